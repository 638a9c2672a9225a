-- 010 (PostgreSQL): claimed rows record the fence that claimed them, as
-- storage/migrations/010_claim_fence.sql says it for SQLite, translated
-- by the rules at the top of 001.
ALTER TABLE deliveries ADD COLUMN claim_fence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channel_posts ADD COLUMN claim_fence BIGINT NOT NULL DEFAULT 0;
