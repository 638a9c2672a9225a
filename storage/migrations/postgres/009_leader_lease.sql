-- 009 (PostgreSQL): the leases that elect one leader among instances, as
-- storage/migrations/009_leader_lease.sql says it for SQLite, translated
-- by the rules at the top of 001.
CREATE TABLE leases (
    name        TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT COLLATE "C" NOT NULL,
    fence       BIGINT NOT NULL CHECK (fence > 0),
    expires_at  BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);
