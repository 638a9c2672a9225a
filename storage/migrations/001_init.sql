-- 001: the core tables every part of Sentinelle shares.
-- Times are INTEGER milliseconds since the Unix epoch, UTC, everywhere.
-- Levels are a bitmask: primaire=1, college=2, lycee=4; 0 means "not given".

-- A Telegram chat that talks to the bot: a person (private) or a group.
CREATE TABLE chats (
    chat_id         INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL DEFAULT 'private'
                    CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
    role            TEXT    NOT NULL DEFAULT ''
                    CHECK (role IN ('', 'parent', 'eleve', 'enseignant')),
    levels          INTEGER NOT NULL DEFAULT 0 CHECK (levels BETWEEN 0 AND 7),
    alert_outage    INTEGER NOT NULL DEFAULT 1 CHECK (alert_outage IN (0, 1)),
    alert_recovery  INTEGER NOT NULL DEFAULT 1 CHECK (alert_recovery IN (0, 1)),
    alert_degraded  INTEGER NOT NULL DEFAULT 0 CHECK (alert_degraded IN (0, 1)),
    display_name    TEXT    NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

-- Which académies a chat follows.
CREATE TABLE subscriptions (
    chat_id     INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
    academie    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (chat_id, academie)
) STRICT, WITHOUT ROWID;
CREATE INDEX subscriptions_academie ON subscriptions (academie, chat_id);

-- The judged state of each service, kept across restarts so that a restart
-- neither re-announces a known outage nor forgets one. candidate_* is the
-- streak of rounds pointing to another state (the thresholds DOWN_AFTER and
-- UP_AFTER continue across a restart); announced_* is the state families were
-- last told about, which differs from state only while a maintenance hides
-- the changes; last_* is the latest probe, whatever the judgement.
-- The CHECKs are written with OR, not IN: with three "IN (…)" CHECKs, an
-- UPDATE of those columns ran a hundred times slower in SQLite 3 as bundled
-- by go-sqlite3 v1.14.53 (about 1 ms a row instead of 10 µs), and every
-- round updates every row.
CREATE TABLE service_states (
    service_id         TEXT    PRIMARY KEY,
    state              TEXT    NOT NULL DEFAULT 'unknown'
                       CHECK (state = 'unknown' OR state = 'up' OR state = 'degraded' OR state = 'down'),
    reason             TEXT    NOT NULL DEFAULT '',
    since              INTEGER NOT NULL,
    candidate_state    TEXT    NOT NULL DEFAULT ''
                       CHECK (candidate_state = '' OR candidate_state = 'up' OR candidate_state = 'degraded'
                              OR candidate_state = 'down'),
    candidate_reason   TEXT    NOT NULL DEFAULT '',
    candidate_count    INTEGER NOT NULL DEFAULT 0,
    candidate_since    INTEGER NOT NULL DEFAULT 0,
    announced_state    TEXT    NOT NULL DEFAULT 'unknown'
                       CHECK (announced_state = 'unknown' OR announced_state = 'up'
                              OR announced_state = 'degraded' OR announced_state = 'down'),
    announced_since    INTEGER NOT NULL DEFAULT 0,
    last_checked_at    INTEGER NOT NULL DEFAULT 0,
    last_state         TEXT    NOT NULL DEFAULT '',
    last_reason        TEXT    NOT NULL DEFAULT '',
    last_http_status   INTEGER NOT NULL DEFAULT 0,
    last_latency_ms    INTEGER NOT NULL DEFAULT 0,
    maintenance_until  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One check round: when it ran, how many services failed, and whether the
-- vantage guard voided it (most services and every canary failed: our own
-- network, not the ENTs, was down).
CREATE TABLE rounds (
    id               INTEGER PRIMARY KEY,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER NOT NULL,
    services         INTEGER NOT NULL,
    failed           INTEGER NOT NULL,
    canaries         INTEGER NOT NULL DEFAULT 0,
    canaries_failed  INTEGER NOT NULL DEFAULT 0,
    voided           INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1))
) STRICT;
CREATE INDEX rounds_started ON rounds (started_at);

-- The raw result of one probe. Pruned after 30 days; uptime lives on in
-- uptime_hourly. Canary probes are stored too, under service_id
-- 'canary:<url>', so that a voided round can be explained.
CREATE TABLE check_results (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    service_id   TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('up', 'degraded', 'down')),
    reason       TEXT    NOT NULL,
    http_status  INTEGER NOT NULL DEFAULT 0,
    latency_ms   INTEGER NOT NULL DEFAULT 0,
    final_url    TEXT    NOT NULL DEFAULT '',
    error        TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX check_results_service_at ON check_results (service_id, at);
CREATE INDEX check_results_round ON check_results (round_id);

-- An outage as people lived it: opened when a service is judged down,
-- closed when it is judged usable again (up, or degraded: slow but usable).
-- reason is the cause judged when it opened; end_state what it ended into;
-- maintenance = 1 when it opened during a declared maintenance.
CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    service_id   TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    end_state    TEXT    NOT NULL DEFAULT '' CHECK (end_state IN ('', 'up', 'degraded')),
    maintenance  INTEGER NOT NULL DEFAULT 0 CHECK (maintenance IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX incidents_one_open ON incidents (service_id) WHERE ended_at IS NULL;
CREATE INDEX incidents_started ON incidents (started_at);

-- Time spent in each judged state, per service and UTC hour (hour = the
-- hour's start in ms). Uptime is computed from these durations, not from
-- counting checks.
CREATE TABLE uptime_hourly (
    service_id      TEXT    NOT NULL,
    hour            INTEGER NOT NULL,
    up_ms           INTEGER NOT NULL DEFAULT 0,
    degraded_ms     INTEGER NOT NULL DEFAULT 0,
    down_ms         INTEGER NOT NULL DEFAULT 0,
    maintenance_ms  INTEGER NOT NULL DEFAULT 0,
    unknown_ms      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, hour)
) STRICT, WITHOUT ROWID;

-- Things that happened and that people may need to hear about: a change of a
-- service's state (written by the checker in the same transaction as the
-- round's results), a class notice, an announcement, a reply to a command.
-- The delivery side expands an event into one delivery row per recipient.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    dedup_key    TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL
                 CHECK (kind IN ('outage', 'degraded', 'recovery', 'class_notice', 'announcement', 'reply')),
    priority     INTEGER NOT NULL DEFAULT 2 CHECK (priority BETWEEN 0 AND 2),
    service_id   TEXT    NOT NULL DEFAULT '',
    from_state   TEXT    NOT NULL DEFAULT '',
    to_state     TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    audience     TEXT    NOT NULL DEFAULT '',
    payload      TEXT    NOT NULL DEFAULT '{}',
    silent       INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1)),
    at           INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX events_service ON events (service_id, id);

-- Key/value facts the service keeps about itself (the Telegram update
-- offset, the last round's time and whether it was voided, …).
CREATE TABLE meta (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
