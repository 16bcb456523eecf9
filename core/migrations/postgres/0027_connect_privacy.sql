-- Connecting shops through the platforms' authorization pages (issue 21).
-- A started authorization: the SHA-256 of its state's random part (the state itself is
-- never stored), the owner who started it, its platform and the store they named; it is
-- good once (used_at) and only until expires_at.
CREATE TABLE connect_states (
    state_hash  TEXT PRIMARY KEY,
    seller_id   TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    platform    TEXT NOT NULL,
    shop_hint   TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX connect_states_expiry ON connect_states (expires_at);

-- Privacy requests a platform forwarded (export a buyer's data, redact a buyer, redact a
-- shop) and what was done: one row per request (the platform's id deduplicates
-- redeliveries), the export sealed (it is personal data), the counts of what was redacted.
CREATE TABLE privacy_requests (
    id                   TEXT PRIMARY KEY,
    seller_id            TEXT NOT NULL,
    shop_id              TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    platform_request_id  TEXT,
    buyers               TEXT NOT NULL,
    orders               TEXT NOT NULL,
    buyers_found         BIGINT NOT NULL,
    messages_redacted    BIGINT NOT NULL,
    export               TEXT,
    received_at          BIGINT NOT NULL,
    completed_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX privacy_requests_platform_id ON privacy_requests (shop_id, kind, platform_request_id);
CREATE INDEX privacy_requests_seller ON privacy_requests (seller_id, received_at);
