-- 005 (PostgreSQL): a portal never seen up is a catalog problem, not an
-- outage, as storage/migrations/005_seen_up.sql says it for SQLite,
-- translated by the rules at the top of 001.
ALTER TABLE service_states ADD COLUMN seen_url TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE service_states ADD COLUMN unverified BIGINT NOT NULL DEFAULT 0
    CHECK (unverified = 0 OR unverified = 1);
UPDATE service_states SET seen_url = '*'
    WHERE state <> 'unknown' OR announced_state <> 'unknown'
       OR last_state = 'up' OR last_state = 'degraded' OR last_reason = 'waiting_room';
