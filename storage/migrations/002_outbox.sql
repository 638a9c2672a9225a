-- 002: the outbox. An event is expanded into one delivery row per
-- recipient, which the dispatcher claims, sends and marks. A row is marked
-- 'sent' only after Telegram accepted the message, so a crash re-sends at
-- most the rows that were 'inflight'.
-- Times are INTEGER milliseconds since the Unix epoch, UTC; 0 means "never".

-- Where an event stands in its expansion: 'new' until every recipient has a
-- delivery row (expand_cursor is the last chat id done, NULL before the
-- first chunk), 'superseded' when a later event about the same service made
-- its news untrue, 'dead' when Telegram refused its text (our bug).
ALTER TABLE events ADD COLUMN state TEXT NOT NULL DEFAULT 'new'
    CHECK (state IN ('new', 'expanded', 'superseded', 'dead'));
ALTER TABLE events ADD COLUMN expand_cursor INTEGER;
ALTER TABLE events ADD COLUMN expanded_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN dead_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX events_new ON events (priority, id) WHERE state = 'new';

-- A teacher's class. Its members hear the class notices and, during an
-- outage of their académie's ENT, the plan B. closed_at = 0: still open.
CREATE TABLE classes (
    id             INTEGER PRIMARY KEY,
    code           TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    academie       TEXT    NOT NULL,
    owner_chat_id  INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    plan_b         TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    closed_at      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX classes_academie ON classes (academie) WHERE closed_at = 0;
CREATE INDEX classes_owner ON classes (owner_chat_id);

CREATE TABLE class_members (
    class_id   INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    joined_at  INTEGER NOT NULL,
    PRIMARY KEY (class_id, chat_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX class_members_chat ON class_members (chat_id);

-- One message of one event to one chat. The primary key is the structural
-- anti-spam guarantee: expanding twice cannot create a second row. priority
-- is copied from the event so that the claim reads one index. A group that
-- became a supergroup moves its rows through ON UPDATE CASCADE.
CREATE TABLE deliveries (
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    chat_id          INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    priority         INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'inflight', 'sent', 'cancelled', 'undeliverable', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    tg_message_id    INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    sent_at          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (event_id, chat_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries (priority, next_attempt_at, event_id) WHERE state = 'pending';
CREATE INDEX deliveries_chat ON deliveries (chat_id, state);

-- An outage or recovery posted once to an académie's public channel
-- ("@ent_versailles"). Channels are named, not numbered, and are nobody's
-- subscription, so they get their own small table with the same life cycle
-- as deliveries.
CREATE TABLE channel_posts (
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    channel          TEXT    NOT NULL,
    academie         TEXT    NOT NULL,
    priority         INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'inflight', 'sent', 'cancelled', 'undeliverable', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    tg_message_id    INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    sent_at          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (event_id, channel)
) STRICT, WITHOUT ROWID;
CREATE INDEX channel_posts_due ON channel_posts (next_attempt_at) WHERE state = 'pending';
