-- 005: a portal never seen up is a catalog problem, not an outage.
-- seen_url is the catalog URL at which the checker last saw the service
-- answer as itself (up, degraded, or its own waiting room); '' when it never
-- has since it entered the catalog at its current URL. unverified = 1 while
-- every result since then was bad: nobody is told about it, its time counts
-- in no uptime, and the status page says « non vérifié ».
-- A row from before this migration whose service was ever judged, told
-- about or seen answering gets '*': seen, at a URL not recorded, which the
-- checker replaces by the catalog's URL on its next round.
-- The CHECK is written with OR, as in 001 (an UPDATE of a column with an
-- "IN (…)" CHECK runs much slower in the bundled SQLite).
ALTER TABLE service_states ADD COLUMN seen_url TEXT NOT NULL DEFAULT '';
ALTER TABLE service_states ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0
    CHECK (unverified = 0 OR unverified = 1);
UPDATE service_states SET seen_url = '*'
    WHERE state <> 'unknown' OR announced_state <> 'unknown'
       OR last_state = 'up' OR last_state = 'degraded' OR last_reason = 'waiting_room';
