-- Deployment packages, content-addressed by the hex SHA-256 of the zip.
CREATE TABLE code_blobs (
	sha256     TEXT PRIMARY KEY,
	zip        BLOB NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- Functions: the unqualified ($LATEST) configuration as JSON, which the
-- lambda package owns; the columns are what queries need.
CREATE TABLE functions (
	function_name TEXT PRIMARY KEY,
	config        TEXT NOT NULL,
	code_sha256   TEXT NOT NULL REFERENCES code_blobs (sha256),
	created_at    INTEGER NOT NULL
) STRICT;

-- Published versions: frozen copies of the configuration.
CREATE TABLE function_versions (
	function_name TEXT NOT NULL REFERENCES functions (function_name) ON DELETE CASCADE,
	version       INTEGER NOT NULL,
	config        TEXT NOT NULL,
	code_sha256   TEXT NOT NULL REFERENCES code_blobs (sha256),
	PRIMARY KEY (function_name, version)
) STRICT;

CREATE TABLE function_aliases (
	function_name TEXT NOT NULL REFERENCES functions (function_name) ON DELETE CASCADE,
	alias_name    TEXT NOT NULL,
	config        TEXT NOT NULL,
	PRIMARY KEY (function_name, alias_name)
) STRICT;

-- Resource-based policies, one per qualifier ('' is the unqualified function).
CREATE TABLE function_policies (
	function_name TEXT NOT NULL REFERENCES functions (function_name) ON DELETE CASCADE,
	qualifier     TEXT NOT NULL,
	policy        TEXT NOT NULL,
	revision_id   TEXT NOT NULL,
	PRIMARY KEY (function_name, qualifier)
) STRICT;

-- Function URL configurations, one per qualifier.
CREATE TABLE function_urls (
	url_id        TEXT PRIMARY KEY,
	function_name TEXT NOT NULL REFERENCES functions (function_name) ON DELETE CASCADE,
	qualifier     TEXT NOT NULL,
	config        TEXT NOT NULL,
	UNIQUE (function_name, qualifier)
) STRICT;
