-- Version 2. Per behavior, CloudFront's cache policy (viewer headers and cookies that key the
-- cache and are forwarded) and origin request policy (forwarded, not keyed), spelled as egctl
-- spells them: 'none', 'all', 'all-viewer' or names joined by commas. Nothing is forwarded
-- by default.
ALTER TABLE behaviors ADD COLUMN cache_headers TEXT NOT NULL DEFAULT 'none'
    CHECK (length(cache_headers) BETWEEN 1 AND 511);
ALTER TABLE behaviors ADD COLUMN cache_cookies TEXT NOT NULL DEFAULT 'none'
    CHECK (length(cache_cookies) BETWEEN 1 AND 511);
ALTER TABLE behaviors ADD COLUMN origin_headers TEXT NOT NULL DEFAULT 'none'
    CHECK (length(origin_headers) BETWEEN 1 AND 511);
ALTER TABLE behaviors ADD COLUMN origin_cookies TEXT NOT NULL DEFAULT 'none'
    CHECK (length(origin_cookies) BETWEEN 1 AND 511);

-- A generation per distribution, new on every insert: the gateway drops a distribution's
-- cached objects when its id vanishes or comes back with another generation, so a delete
-- and re-create between two of its polls is still noticed. meta.dist_generation only grows.
ALTER TABLE distributions ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
INSERT INTO meta (key, value) VALUES ('dist_generation', 0);
UPDATE distributions SET generation = rowid;
UPDATE meta SET value = (SELECT ifnull(max(generation), 0) FROM distributions)
WHERE key = 'dist_generation';
CREATE TRIGGER distributions_generation AFTER INSERT ON distributions BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'dist_generation';
    UPDATE distributions SET generation = (SELECT value FROM meta WHERE key = 'dist_generation')
    WHERE id = new.id;
END;
