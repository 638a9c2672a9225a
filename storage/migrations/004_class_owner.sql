-- 004: a class belongs to a person as well as to a chat.
-- owner_user_id is the Telegram user who created the class; 0 when unknown
-- (classes made before this migration in a group, or by an admin posting
-- anonymously as the group). In a private chat the user is the chat, so
-- the classes made there before this migration get it back exactly. In a
-- group, a class is managed by the group's admins whoever created it.
ALTER TABLE classes ADD COLUMN owner_user_id INTEGER NOT NULL DEFAULT 0;
UPDATE classes SET owner_user_id = owner_chat_id
    WHERE owner_chat_id IN (SELECT chat_id FROM chats WHERE kind = 'private');

-- A preview waiting for « Envoyer » keeps its text once: in the reply that
-- showed it, named here by its dedup key ('' for the other questions, and
-- for previews from before this migration, which keep their text).
ALTER TABLE confirmations ADD COLUMN preview_key TEXT NOT NULL DEFAULT '';
