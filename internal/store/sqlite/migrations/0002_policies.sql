-- Customer managed policies. Names are unique in the account without
-- regard to case, whatever the path.
CREATE TABLE policies (
	policy_id       TEXT PRIMARY KEY,
	policy_name     TEXT NOT NULL UNIQUE COLLATE NOCASE,
	path            TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	default_version TEXT NOT NULL,
	next_version    INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE policy_versions (
	policy_id  TEXT NOT NULL REFERENCES policies (policy_id) ON DELETE CASCADE,
	version_id TEXT NOT NULL,
	document   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (policy_id, version_id)
) STRICT;

-- Managed policies attached to users. Deleting either side while attached
-- is refused, as IAM refuses it.
CREATE TABLE user_policy_attachments (
	user_id   TEXT NOT NULL REFERENCES users (user_id) ON DELETE RESTRICT,
	policy_id TEXT NOT NULL REFERENCES policies (policy_id) ON DELETE RESTRICT,
	PRIMARY KEY (user_id, policy_id)
) STRICT;
CREATE INDEX user_policy_attachments_policy ON user_policy_attachments (policy_id);

-- Inline policies embedded in users.
CREATE TABLE user_inline_policies (
	user_id     TEXT NOT NULL REFERENCES users (user_id) ON DELETE RESTRICT,
	policy_name TEXT NOT NULL,
	document    TEXT NOT NULL,
	PRIMARY KEY (user_id, policy_name)
) STRICT;
