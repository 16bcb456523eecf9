-- The fingerprint of the key secrets are sealed with (an HMAC of a fixed label under the
-- key, never the key): a daemon started with another key refuses to start.
CREATE TABLE sealing_key (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    fingerprint  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
