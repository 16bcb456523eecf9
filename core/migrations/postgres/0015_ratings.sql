-- Ratings of the service (DY-RATE-1, issue 16). One row per rating message a buyer sent
-- (storefront card, platform report, `api` channel): a message is a rating once
-- (keyed by `message_id`, inserts are ON CONFLICT DO NOTHING, so redeliveries change
-- nothing). A buyer may rate again: every rating is kept, and `latest` marks the one that
-- counts for its conversation (1), the earlier ones 0. The agent rated is the
-- conversation's assignee at rating time, else the agent who last replied (NULL: none).
CREATE TABLE ratings (
    seller_id        TEXT NOT NULL,
    shop_id          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    buyer_id         TEXT NOT NULL,
    agent_id         TEXT,
    message_id       TEXT PRIMARY KEY,
    score            BIGINT NOT NULL,
    comment          TEXT,
    source           TEXT NOT NULL,
    latest           BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);
-- The lists: a seller's or a shop's ratings newest first, a conversation's, an agent's
-- (issue 17 reads per agent and time range).
CREATE INDEX ratings_seller ON ratings (seller_id, created_at, message_id);
CREATE INDEX ratings_shop ON ratings (shop_id, created_at, message_id);
CREATE INDEX ratings_conversation ON ratings (conversation_id, created_at, message_id);
CREATE INDEX ratings_agent ON ratings (agent_id, created_at, message_id);
-- The history filters (DY-HIST-1) need no index of their own: the time range runs on
-- the lists' `last_message_at` indexes, the agent on `conversations_assignee_latest`,
-- a buyer's platform id on `buyers (shop_id, external_id)` per shop in scope.
