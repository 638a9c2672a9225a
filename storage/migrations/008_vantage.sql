-- 008: several instances may share one database, each probing from where it
-- runs and naming itself (VANTAGE). vantage is the name of the instance that
-- ran the round and its probes; '' is a row written before this migration,
-- by the one instance there was. The leader reads the latest round of each
-- vantage since a time (this index) and that round's results (the index
-- check_results_round of 001).
-- Plain SQL that PostgreSQL accepts as well.
ALTER TABLE rounds ADD COLUMN vantage TEXT NOT NULL DEFAULT '';
ALTER TABLE check_results ADD COLUMN vantage TEXT NOT NULL DEFAULT '';
CREATE INDEX rounds_vantage_started ON rounds (vantage, started_at);
