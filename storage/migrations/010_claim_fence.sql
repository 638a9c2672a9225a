-- 010: a claimed row records the fence of the leader's term that claimed it
-- (claim_fence; 0: claimed with no lease, one process, or before this
-- migration). A settle changes the row only while it is still inflight
-- under that fence, so that the late results of a deposed leader cannot
-- overwrite what the next leader did with it; and a new leader takes back
-- the rows claimed under older fences. lease_until, already there, is now
-- measured on the database's clock, like the leases of 009.
-- Plain SQL that PostgreSQL accepts as well.
ALTER TABLE deliveries ADD COLUMN claim_fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_posts ADD COLUMN claim_fence INTEGER NOT NULL DEFAULT 0;
