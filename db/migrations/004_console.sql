-- Version 4. What the console (edgegate-admin) needs: its operators and their sessions,
-- sign-in throttling shared by its workers, an audit of who changed what, and a revision per
-- distribution, origin and behavior, so that of two editors the second is told the first
-- changed the row instead of overwriting it unseen.
-- None of the new tables bumps meta.config_version: the gateway reloads its routes on that
-- counter, and a sign-in or an audit row changes nothing it serves.

CREATE TABLE users (
    name       TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
    hash       TEXT NOT NULL CHECK (length(hash) BETWEEN 1 AND 191),
    created_at INTEGER NOT NULL
);

-- A session is stored by its token's digest, never the token: a copy of the database signs
-- nobody in.
CREATE TABLE sessions (
    token_digest TEXT PRIMARY KEY,
    user         TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One row per key ("user:NAME", "ip:ADDR") that failed to sign in lately.
CREATE TABLE login_throttle (
    key      TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    next_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- dist_id is no foreign key: the record of a change outlives what it changed. '' for changes
-- outside any distribution (users).
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    dist_id TEXT NOT NULL DEFAULT '',
    action  TEXT NOT NULL,
    object  TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_dist ON audit (dist_id, id DESC);

-- rev is set by the database on every insert and update of a row, from one counter
-- (meta.rev) that only grows, so a writer that read rev N can say "only while it is still
-- N": a row deleted and made again under the same name never has an old revision again.
-- Setting it is an UPDATE of its own, which the *_upd triggers count in
-- meta.config_version like any other (the gateway sees a change either way). Two updates
-- do not change it: the one distributions_generation makes right after an insert
-- (generation changes), and a behavior's precedence alone (the order of behaviors, which
-- eg_db_behavior_reorder guards with the whole order instead; an edit of one behavior is not
-- refused because another was added before it). Rows older than revisions keep rev 1.
ALTER TABLE distributions ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE origins ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE behaviors ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
INSERT INTO meta (key, value) VALUES ('rev', 1);

CREATE TRIGGER distributions_rev_ins AFTER INSERT ON distributions
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'rev';
    UPDATE distributions SET rev = (SELECT value FROM meta WHERE key = 'rev')
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER distributions_rev AFTER UPDATE ON distributions
WHEN new.rev = old.rev AND new.generation IS old.generation
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'rev';
    UPDATE distributions SET rev = (SELECT value FROM meta WHERE key = 'rev')
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER origins_rev_ins AFTER INSERT ON origins
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'rev';
    UPDATE origins SET rev = (SELECT value FROM meta WHERE key = 'rev') WHERE rowid = new.rowid;
END;
CREATE TRIGGER origins_rev AFTER UPDATE ON origins
WHEN new.rev = old.rev
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'rev';
    UPDATE origins SET rev = (SELECT value FROM meta WHERE key = 'rev') WHERE rowid = new.rowid;
END;
CREATE TRIGGER behaviors_rev_ins AFTER INSERT ON behaviors
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'rev';
    UPDATE behaviors SET rev = (SELECT value FROM meta WHERE key = 'rev')
    WHERE rowid = new.rowid;
END;
CREATE TRIGGER behaviors_rev AFTER UPDATE ON behaviors
WHEN new.rev = old.rev AND new.precedence IS old.precedence
BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'rev';
    UPDATE behaviors SET rev = (SELECT value FROM meta WHERE key = 'rev')
    WHERE rowid = new.rowid;
END;
