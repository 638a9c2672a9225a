-- 011: a round records whether the vote judged it (judged 1): the leader
-- wrote it with checker.Record, which moved the states, uptime and
-- incidents from it (or voided it), whereas a follower's round (written by
-- checker.WriteRound) only waits for the leader's next vote. The freshness
-- of what the pages show is that of the latest judged round, not of the
-- latest round of any vantage: a follower that keeps probing while no
-- instance judges must not make the states look current. Rows written
-- before this migration stay 0: which were judged cannot be told (with
-- several instances), and an instance then waits for its first judged
-- round as it does after a start. The index finds the latest judged round
-- without walking the rounds of the followers.
-- Plain SQL that PostgreSQL accepts as well.
ALTER TABLE rounds ADD COLUMN judged INTEGER NOT NULL DEFAULT 0 CHECK (judged IN (0, 1));
CREATE INDEX rounds_judged ON rounds (id) WHERE judged = 1;
