-- 011 (PostgreSQL): a round records whether the vote judged it, as
-- storage/migrations/011_judged_round.sql says it for SQLite, translated
-- by the rules at the top of 001.
ALTER TABLE rounds ADD COLUMN judged BIGINT NOT NULL DEFAULT 0 CHECK (judged IN (0, 1));
CREATE INDEX rounds_judged ON rounds (id) WHERE judged = 1;
