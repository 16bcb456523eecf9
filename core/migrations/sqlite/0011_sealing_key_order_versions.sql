-- The fingerprint of the key secrets are sealed with (an HMAC of a fixed label under the
-- key, never the key): a daemon started with another key refuses to start.
CREATE TABLE sealing_key (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- The platform's time (or version) of the last status and return-flag change applied to
-- an order: an older notice changes neither (a late or replayed notice never rolls back).
ALTER TABLE orders ADD COLUMN status_version INTEGER;
ALTER TABLE orders ADD COLUMN reverse_version INTEGER;
