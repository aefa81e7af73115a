-- When and where each access key was last used (GetAccessKeyLastUsed).
ALTER TABLE access_keys ADD COLUMN last_used_at INTEGER;
ALTER TABLE access_keys ADD COLUMN last_used_service TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN last_used_region TEXT NOT NULL DEFAULT '';

-- Tags of users and roles. Keys are unique without regard to case.
CREATE TABLE entity_tags (
	entity_kind TEXT NOT NULL CHECK (entity_kind IN ('user', 'role')),
	entity_id   TEXT NOT NULL,
	tag_key     TEXT NOT NULL COLLATE NOCASE,
	tag_value   TEXT NOT NULL,
	PRIMARY KEY (entity_kind, entity_id, tag_key)
) STRICT;
