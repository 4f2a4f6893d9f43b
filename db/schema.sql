-- edgegate schema, version 1. eg_db_open applies this and every file in db/migrations/ in
-- order, each in its own transaction, and records the count in PRAGMA user_version.
-- Enumerations are stored with the CloudFront API spellings so the database reads like the
-- console. A change to distributions, aliases, origins or behaviors bumps
-- meta.config_version; the gateway watches that counter.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('config_version', 1);

CREATE TABLE distributions (
    id      TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 63),
    comment TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);

CREATE TABLE aliases (
    alias   TEXT PRIMARY KEY COLLATE NOCASE,
    dist_id TEXT NOT NULL REFERENCES distributions (id) ON DELETE CASCADE
);

CREATE TABLE origins (
    dist_id           TEXT NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    id                TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 63),
    domain            TEXT NOT NULL CHECK (length(domain) BETWEEN 1 AND 255),
    origin_path       TEXT NOT NULL DEFAULT '',
    type              TEXT NOT NULL DEFAULT 'custom'
                      CHECK (type IN ('custom', 's3', 's3-website')),
    protocol_policy   TEXT NOT NULL DEFAULT 'http-only'
                      CHECK (protocol_policy IN ('http-only', 'https-only', 'match-viewer')),
    http_port         INTEGER NOT NULL DEFAULT 80 CHECK (http_port BETWEEN 1 AND 65535),
    https_port        INTEGER NOT NULL DEFAULT 443 CHECK (https_port BETWEEN 1 AND 65535),
    ssl_protocols     TEXT NOT NULL DEFAULT 'TLSv1.2' CHECK (ssl_protocols <> ''),
    read_timeout      INTEGER NOT NULL DEFAULT 30 CHECK (read_timeout BETWEEN 1 AND 180),
    keepalive_timeout INTEGER NOT NULL DEFAULT 5 CHECK (keepalive_timeout BETWEEN 1 AND 180),
    PRIMARY KEY (dist_id, id),
    CHECK (type <> 's3-website' OR protocol_policy = 'http-only'),
    CHECK (type <> 's3' OR protocol_policy = 'match-viewer')
);

-- precedence orders the non-default behaviors from 0; the default "*" sits at 2147483647.
CREATE TABLE behaviors (
    dist_id                TEXT NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    path_pattern           TEXT NOT NULL CHECK (length(path_pattern) BETWEEN 1 AND 255),
    precedence             INTEGER NOT NULL,
    origin_id              TEXT NOT NULL,
    viewer_protocol_policy TEXT NOT NULL DEFAULT 'allow-all'
                           CHECK (viewer_protocol_policy IN
                                  ('allow-all', 'redirect-to-https', 'https-only')),
    allowed_methods        TEXT NOT NULL DEFAULT 'GET,HEAD'
                           CHECK (allowed_methods IN ('GET,HEAD', 'GET,HEAD,OPTIONS',
                                  'GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE')),
    cached_methods         TEXT NOT NULL DEFAULT 'GET,HEAD'
                           CHECK (cached_methods IN ('GET,HEAD', 'GET,HEAD,OPTIONS')),
    min_ttl                INTEGER NOT NULL DEFAULT 0 CHECK (min_ttl >= 0),
    default_ttl            INTEGER NOT NULL DEFAULT 86400,
    max_ttl                INTEGER NOT NULL DEFAULT 31536000,
    forward_host           INTEGER NOT NULL DEFAULT 0 CHECK (forward_host IN (0, 1)),
    forward_query          INTEGER NOT NULL DEFAULT 1 CHECK (forward_query IN (0, 1)),
    PRIMARY KEY (dist_id, path_pattern),
    FOREIGN KEY (dist_id, origin_id) REFERENCES origins (dist_id, id) ON DELETE RESTRICT,
    CHECK (min_ttl <= default_ttl AND default_ttl <= max_ttl),
    CHECK ((path_pattern = '*') = (precedence = 2147483647))
);
CREATE INDEX behaviors_order ON behaviors (dist_id, precedence);
CREATE INDEX behaviors_origin ON behaviors (dist_id, origin_id);

-- The default behavior goes only with its distribution.
CREATE TRIGGER behaviors_keep_default BEFORE DELETE ON behaviors
WHEN old.path_pattern = '*' AND EXISTS (SELECT 1 FROM distributions WHERE id = old.dist_id)
BEGIN
    SELECT RAISE(ABORT, 'the default behavior (*) cannot be deleted');
END;

CREATE TABLE invalidations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    dist_id          TEXT NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    caller_reference TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'InProgress'
                     CHECK (status IN ('InProgress', 'Completed')),
    created_at       INTEGER NOT NULL,
    completed_at     INTEGER,
    UNIQUE (dist_id, caller_reference)
);
CREATE INDEX invalidations_pending ON invalidations (status) WHERE status = 'InProgress';

CREATE TABLE invalidation_paths (
    invalidation_id INTEGER NOT NULL REFERENCES invalidations (id) ON DELETE CASCADE,
    path            TEXT NOT NULL CHECK (substr(path, 1, 1) = '/'),
    PRIMARY KEY (invalidation_id, path)
) WITHOUT ROWID;

CREATE TRIGGER distributions_ins AFTER INSERT ON distributions BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER distributions_upd AFTER UPDATE ON distributions BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER distributions_del AFTER DELETE ON distributions BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER aliases_ins AFTER INSERT ON aliases BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER aliases_del AFTER DELETE ON aliases BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER origins_ins AFTER INSERT ON origins BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER origins_upd AFTER UPDATE ON origins BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER origins_del AFTER DELETE ON origins BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER behaviors_ins AFTER INSERT ON behaviors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER behaviors_upd AFTER UPDATE ON behaviors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
CREATE TRIGGER behaviors_del AFTER DELETE ON behaviors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'config_version'; END;
