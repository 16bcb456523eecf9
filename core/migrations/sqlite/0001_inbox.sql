-- shopmux inbox schema, SQLite dialect. Instants are milliseconds since the Unix epoch;
-- ids are UUIDv7 text (time-ordered); booleans are 0/1.

CREATE TABLE sellers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE agents (
    id                 TEXT PRIMARY KEY,
    seller_id          TEXT NOT NULL REFERENCES sellers(id),
    role               TEXT NOT NULL,
    nickname           TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'offline',
    accept_assignment  INTEGER NOT NULL DEFAULT 1,
    connected          INTEGER NOT NULL DEFAULT 0,
    capacity           INTEGER NOT NULL DEFAULT 10,
    token_hash         TEXT NOT NULL UNIQUE,
    created_at         INTEGER NOT NULL,
    UNIQUE (seller_id, nickname)
);

CREATE TABLE shops (
    id             TEXT PRIMARY KEY,
    seller_id      TEXT NOT NULL REFERENCES sellers(id),
    platform       TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    region         TEXT NOT NULL,
    name           TEXT NOT NULL,
    settings       TEXT NOT NULL DEFAULT '{}',
    ingest_secret  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (platform, external_id, region)
);
CREATE INDEX shops_seller ON shops (seller_id);

CREATE TABLE shop_grants (
    agent_id  TEXT NOT NULL REFERENCES agents(id),
    shop_id   TEXT NOT NULL REFERENCES shops(id),
    can_chat  INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (agent_id, shop_id)
);

CREATE TABLE buyers (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    nickname     TEXT NOT NULL,
    language     TEXT,
    email        TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (shop_id, external_id)
);

-- Each part of a buyer's name, lowercased, for AE-SEARCH-1 prefix search.
CREATE TABLE buyer_name_parts (
    part      TEXT NOT NULL,
    buyer_id  TEXT NOT NULL,
    PRIMARY KEY (part, buyer_id)
) WITHOUT ROWID;

CREATE TABLE orders (
    id                   TEXT PRIMARY KEY,
    shop_id              TEXT NOT NULL,
    buyer_id             TEXT NOT NULL,
    external_id          TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    status               TEXT NOT NULL,
    reverse_in_progress  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (shop_id, external_id)
);
CREATE INDEX orders_buyer ON orders (buyer_id);
CREATE INDEX orders_external ON orders (external_id);

CREATE TABLE conversations (
    id                     TEXT PRIMARY KEY,
    seller_id              TEXT NOT NULL,
    shop_id                TEXT NOT NULL,
    platform               TEXT NOT NULL,
    buyer_id               TEXT NOT NULL,
    entry_point            TEXT NOT NULL,
    state                  TEXT NOT NULL,
    -- open (unassigned or in progress), history (ended) or closed: what lists filter on.
    list_status            TEXT NOT NULL,
    assignee_id            TEXT,
    flag                   TEXT,
    topics                 TEXT NOT NULL DEFAULT '[]',
    has_order              INTEGER NOT NULL DEFAULT 0,
    unread_count           INTEGER NOT NULL DEFAULT 0,
    waiting_since          INTEGER,
    wait_rank              INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    last_message_at        INTEGER NOT NULL,
    last_buyer_message_at  INTEGER,
    last_agent_reply_at    INTEGER,
    assigned_at            INTEGER,
    ended_at               INTEGER,
    closed_at              INTEGER,
    preview                TEXT NOT NULL DEFAULT ''
);
-- At most one open conversation per buyer.
CREATE UNIQUE INDEX conversations_open_buyer ON conversations (buyer_id)
    WHERE state IN ('unassigned', 'in_progress');
CREATE INDEX conversations_buyer ON conversations (buyer_id, created_at);
-- Inbox lists. Every index that orders by last_message_at is rewritten on each
-- buyer message, so there are few: newest first and longest-waiting first per seller
-- (waiting buyers sort first there, so "unreplied" is a prefix of it), and partial
-- indexes for the selective lists (assigned to an agent, flagged). Other filters
-- (shop, unread, has order) walk these in order and skip what does not match.
CREATE INDEX conversations_seller_latest ON conversations (seller_id, list_status, last_message_at, id);
CREATE INDEX conversations_seller_waiting ON conversations (seller_id, list_status, wait_rank, id);
CREATE INDEX conversations_assignee_latest ON conversations (assignee_id, list_status, last_message_at, id)
    WHERE assignee_id IS NOT NULL;
CREATE INDEX conversations_flagged ON conversations (seller_id, flag, list_status, last_message_at, id)
    WHERE flag IS NOT NULL;

-- Lifecycle timers (TT-WIN-1, DY-END-2) find due conversations through these: open
-- ones with an unreplied buyer message, and open ones where the agent spoke last.
CREATE INDEX conversations_timer_unreplied ON conversations (platform, waiting_since)
    WHERE list_status = 'open' AND waiting_since IS NOT NULL;
CREATE INDEX conversations_timer_answered ON conversations (platform, last_agent_reply_at)
    WHERE list_status = 'open' AND waiting_since IS NULL;

CREATE TABLE messages (
    id                   TEXT PRIMARY KEY,
    conversation_id      TEXT NOT NULL,
    shop_id              TEXT NOT NULL,
    direction            TEXT NOT NULL,
    sender_kind          TEXT NOT NULL,
    sender_agent_id      TEXT,
    content              TEXT NOT NULL,
    translated_text      TEXT,
    platform_message_id  TEXT,
    created_at           INTEGER NOT NULL,
    delivery_status      TEXT,
    delivery_error       TEXT
);
-- The idempotency guarantee: one message per (shop, platform message id).
CREATE UNIQUE INDEX messages_platform_id ON messages (shop_id, platform_message_id);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

-- Terms are pre-split by shopmux (search_terms.rs) and every query is an AND of single
-- terms, so no positions are needed: detail=none keeps the index small and cheap to write.
CREATE VIRTUAL TABLE message_fts USING fts5 (
    terms,
    conversation_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0',
    detail = none,
    columnsize = 0
);

CREATE TABLE conversation_counters (
    shop_id   TEXT NOT NULL,
    assignee  TEXT NOT NULL,
    bucket    TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (shop_id, assignee, bucket)
) WITHOUT ROWID;

-- Sub-accounts that may no longer chat with a buyer (AE-XFER-2: after a transfer).
CREATE TABLE buyer_access_revoked (
    buyer_id  TEXT NOT NULL,
    agent_id  TEXT NOT NULL,
    rule      TEXT NOT NULL,
    PRIMARY KEY (buyer_id, agent_id)
);

CREATE TABLE buyer_notes (
    id          TEXT PRIMARY KEY,
    buyer_id    TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX buyer_notes_buyer ON buyer_notes (buyer_id, created_at);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,
    shop_id          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
