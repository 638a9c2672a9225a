-- 007 (PostgreSQL): a class is bound to the ENT its pupils use, as
-- storage/migrations/007_class_service.sql says it for SQLite, translated
-- by the rules at the top of 001.
ALTER TABLE classes ADD COLUMN service_id TEXT COLLATE "C" NOT NULL DEFAULT '';
