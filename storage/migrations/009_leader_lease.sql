-- 009: leases, by which instances sharing one database elect one of them
-- to do what must run once (polling Telegram, sending within one global
-- rate). One row per lease name ('leader'): who holds it (holder, an
-- instance name unique per process), until when (expires_at, read on the
-- database's clock, never an instance's), since when that holder has it
-- (acquired_at) and its fencing token (fence), which grows by one each
-- time the lease changes holder and never otherwise, so that work stamped
-- with an older fence can be refused. Times are INTEGER milliseconds since
-- the Unix epoch, UTC. A released lease keeps its row, holder and fence,
-- with expires_at 0: the next holder gets fence + 1.
CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    fence       INTEGER NOT NULL CHECK (fence > 0),
    expires_at  INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
