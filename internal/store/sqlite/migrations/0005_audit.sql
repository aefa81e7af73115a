-- The audit trail: one row per API call and function URL request.
CREATE TABLE audit_events (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	time            INTEGER NOT NULL, -- unix milliseconds
	request_id      TEXT NOT NULL,
	source_ip       TEXT NOT NULL DEFAULT '',
	user_agent      TEXT NOT NULL DEFAULT '',
	principal_arn   TEXT NOT NULL DEFAULT '',
	access_key_id   TEXT NOT NULL DEFAULT '',
	credential_type TEXT NOT NULL DEFAULT '',
	service         TEXT NOT NULL DEFAULT '',
	action          TEXT NOT NULL DEFAULT '',
	resource        TEXT NOT NULL DEFAULT '',
	decision        TEXT NOT NULL DEFAULT '',
	reason          TEXT NOT NULL DEFAULT '',
	error_code      TEXT NOT NULL DEFAULT '',
	status          INTEGER NOT NULL,
	latency_ms      REAL NOT NULL
) STRICT;
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_request ON audit_events (request_id);
