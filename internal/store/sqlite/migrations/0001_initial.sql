-- Settings of this installation: account ID, master-key check value.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- IAM users. Names are unique without regard to case, as in IAM.
CREATE TABLE users (
	user_id    TEXT PRIMARY KEY,
	user_name  TEXT NOT NULL UNIQUE COLLATE NOCASE,
	path       TEXT NOT NULL DEFAULT '/',
	created_at INTEGER NOT NULL -- unix milliseconds
) STRICT;

-- Long-term access keys. The root user's key has is_root = 1 and no user.
-- secret_sealed is the secret access key sealed with the master key.
CREATE TABLE access_keys (
	access_key_id TEXT PRIMARY KEY,
	user_id       TEXT REFERENCES users (user_id) ON DELETE RESTRICT,
	is_root       INTEGER NOT NULL DEFAULT 0 CHECK (is_root IN (0, 1)),
	status        TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
	secret_sealed BLOB NOT NULL,
	created_at    INTEGER NOT NULL,
	CHECK ((is_root = 1) = (user_id IS NULL))
) STRICT;
CREATE INDEX access_keys_user ON access_keys (user_id);
CREATE UNIQUE INDEX access_keys_one_root ON access_keys (is_root) WHERE is_root = 1;
