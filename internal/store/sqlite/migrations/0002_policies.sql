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

-- IAM groups and their members.
CREATE TABLE groups (
	group_id   TEXT PRIMARY KEY,
	group_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
	path       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES groups (group_id) ON DELETE RESTRICT,
	user_id  TEXT NOT NULL REFERENCES users (user_id) ON DELETE RESTRICT,
	PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX group_members_user ON group_members (user_id);

-- IAM roles. The trust policy is the role's resource-based policy.
CREATE TABLE roles (
	role_id              TEXT PRIMARY KEY,
	role_name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
	path                 TEXT NOT NULL,
	description          TEXT NOT NULL DEFAULT '',
	trust_policy         TEXT NOT NULL,
	max_session_duration INTEGER NOT NULL,
	created_at           INTEGER NOT NULL
) STRICT;

-- Managed policies attached to users, groups and roles (entity_kind says
-- which table entity_id refers to). IAM refuses to delete a policy or an
-- entity while an attachment remains; the store checks this in the same
-- transaction as the delete.
CREATE TABLE policy_attachments (
	entity_kind TEXT NOT NULL CHECK (entity_kind IN ('user', 'group', 'role')),
	entity_id   TEXT NOT NULL,
	policy_id   TEXT NOT NULL REFERENCES policies (policy_id) ON DELETE RESTRICT,
	PRIMARY KEY (entity_kind, entity_id, policy_id)
) STRICT;
CREATE INDEX policy_attachments_policy ON policy_attachments (policy_id);

-- Inline policies embedded in users, groups and roles.
CREATE TABLE inline_policies (
	entity_kind TEXT NOT NULL CHECK (entity_kind IN ('user', 'group', 'role')),
	entity_id   TEXT NOT NULL,
	policy_name TEXT NOT NULL,
	document    TEXT NOT NULL,
	PRIMARY KEY (entity_kind, entity_id, policy_name)
) STRICT;

-- Permissions boundaries of users and roles: a managed policy ARN.
ALTER TABLE users ADD COLUMN permissions_boundary TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN permissions_boundary TEXT NOT NULL DEFAULT '';
