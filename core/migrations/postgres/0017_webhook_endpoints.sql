-- Outbound webhooks (issue 16): a seller's HTTPS endpoints with the events they want,
-- and the durable queue of signed deliveries to them.
-- events: the subscribed event names, comma-separated. secret: sealed like shop
-- credentials (context `webhook:<id>`). status: active | paused; pause_reason: manual |
-- failing. failing_since: when the current run of failures began (NULL after a success).
CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY,
    seller_id            TEXT NOT NULL,
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    events               TEXT NOT NULL,
    secret               TEXT NOT NULL,
    notify_email         TEXT,
    status               TEXT NOT NULL DEFAULT 'active',
    pause_reason         TEXT,
    paused_at            BIGINT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    failing_since        BIGINT,
    last_success_at      BIGINT,
    last_failure_at      BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_seller ON webhook_endpoints (seller_id, created_at);
-- One row per (event, endpoint); no foreign key, so an endpoint deleted meanwhile never
-- fails the ingest that queues for it (its orphans are never claimed). seq orders a conversation's events for one endpoint
-- (order_key: the conversation, or the delivery itself for a ping): a delivery is
-- claimed only when no earlier one of its order key is pending. payload is the exact
-- body sent (signed as is). next_attempt_at doubles as the lease's end while claimed
-- (lease_token set). retry_since: the first attempt of the current retry budget.
CREATE TABLE webhook_deliveries (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    endpoint_id      TEXT NOT NULL,
    event            TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    order_key        TEXT NOT NULL,
    conversation_id  TEXT,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_token      TEXT,
    retry_since      BIGINT,
    last_attempt_at  BIGINT,
    last_status_code BIGINT,
    last_error       TEXT,
    delivered_at     BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, order_key, status, seq);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (endpoint_id, seq);
