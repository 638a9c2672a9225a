-- 008 (PostgreSQL): rounds and results name the instance (VANTAGE) that
-- ran them, as storage/migrations/008_vantage.sql says it for SQLite,
-- translated by the rules at the top of 001.
ALTER TABLE rounds ADD COLUMN vantage TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE check_results ADD COLUMN vantage TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX rounds_vantage_started ON rounds (vantage, started_at);
