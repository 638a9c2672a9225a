-- 004 (PostgreSQL): a class belongs to a person as well as to a chat, as
-- storage/migrations/004_class_owner.sql says it for SQLite, translated by
-- the rules at the top of 001.
ALTER TABLE classes ADD COLUMN owner_user_id BIGINT NOT NULL DEFAULT 0;
UPDATE classes SET owner_user_id = owner_chat_id
    WHERE owner_chat_id IN (SELECT chat_id FROM chats WHERE kind = 'private');

ALTER TABLE confirmations ADD COLUMN preview_key TEXT COLLATE "C" NOT NULL DEFAULT '';
