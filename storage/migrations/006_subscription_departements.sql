-- 006: a subscription may be narrowed to some départements of its académie.
-- A subscription without any row here follows the whole académie, as every
-- subscription made before this migration does (they are left untouched).
-- departement is the catalog's code ("78", "2A", "974"). The rows go with
-- their subscription: deleted with it, moved with its chat.
CREATE TABLE subscription_departements (
    chat_id      INTEGER NOT NULL,
    academie     TEXT    NOT NULL,
    departement  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (chat_id, academie, departement),
    FOREIGN KEY (chat_id, academie) REFERENCES subscriptions (chat_id, academie)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;
