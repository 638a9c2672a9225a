-- 007: a class is bound to the ENT its pupils use (a catalog service id);
-- its plan B goes with that ENT's outages only. '' is a class not bound
-- yet, as every class made before this migration is (they are left
-- untouched): its plan B goes with an outage of any ENT of its académie
-- until its teacher picks one.
ALTER TABLE classes ADD COLUMN service_id TEXT NOT NULL DEFAULT '';
