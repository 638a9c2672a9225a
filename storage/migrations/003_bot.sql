-- 003: what the Telegram bot keeps beyond the shared tables.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.

-- A teacher's notice to a class, or an admin's announcement, once its
-- sender pressed « Envoyer ». It counts a class's notices per day (at most
-- 10) and, once every delivery of the event is settled, tells the sender
-- how many people received it (reported_at then set). The text itself is in
-- the event's payload, and goes with it: deleting the class's events, when
-- the class is closed or its teacher leaves, deletes these rows too.
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL UNIQUE REFERENCES events (id) ON DELETE CASCADE,
    sender_chat_id  INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    class_id        INTEGER REFERENCES classes (id) ON DELETE CASCADE,
    label           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    reported_at     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notices_class ON notices (class_id, created_at);
CREATE INDEX notices_unreported ON notices (id) WHERE reported_at = 0;
CREATE INDEX notices_sender ON notices (sender_chat_id);

-- A question waiting for a button: the preview of a notice or an
-- announcement (« Envoyer » / « Annuler »), the erasure of a chat
-- (« Supprimer » / « Annuler »), the académie of a new class. id is random
-- and is the button's callback data, so that a forged button cannot act on
-- somebody else's question; user_id is who may answer. The text of a
-- preview lives here only until it is answered or expires (one hour).
CREATE TABLE confirmations (
    id          TEXT    PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    user_id     INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('diffuser', 'annonce', 'oublier', 'classe')),
    class_id    INTEGER REFERENCES classes (id) ON DELETE CASCADE,
    target      TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX confirmations_expiry ON confirmations (expires_at);
CREATE INDEX confirmations_chat ON confirmations (chat_id);
CREATE INDEX confirmations_class ON confirmations (class_id) WHERE class_id IS NOT NULL;
