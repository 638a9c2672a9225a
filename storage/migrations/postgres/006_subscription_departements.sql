-- 006 (PostgreSQL): a subscription may be narrowed to some départements of
-- its académie, as storage/migrations/006_subscription_departements.sql
-- says it for SQLite, translated by the rules at the top of 001.
CREATE TABLE subscription_departements (
    chat_id      BIGINT NOT NULL,
    academie     TEXT COLLATE "C" NOT NULL,
    departement  TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (chat_id, academie, departement),
    FOREIGN KEY (chat_id, academie) REFERENCES subscriptions (chat_id, academie)
        ON DELETE CASCADE ON UPDATE CASCADE
);
