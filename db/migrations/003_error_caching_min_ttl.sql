-- Version 3. Per distribution, CloudFront's Error Caching Minimum TTL (its
-- CustomErrorResponses), spelled as egctl's --error-caching-min-ttl: the seconds origin errors
-- (400, 403, 404, 405, 414, 416, 500 to 504) stay cached at least; 0 caches them only as
-- their own headers allow. Every distribution, old ones too, gets CloudFront's default, 10.
ALTER TABLE distributions ADD COLUMN error_caching_min_ttl INTEGER NOT NULL DEFAULT 10
    CHECK (error_caching_min_ttl BETWEEN 0 AND 31536000);
