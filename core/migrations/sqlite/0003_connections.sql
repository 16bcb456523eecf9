-- Marketplace connections: a shop's API base and credentials (secrets: never returned
-- by the API, never logged) and the connection's status as last seen.
CREATE TABLE shop_connections (
    shop_id        TEXT PRIMARY KEY,
    api_base       TEXT,
    credentials    TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_detail  TEXT,
    updated_at     INTEGER NOT NULL
);

-- The platform's conversation id with a buyer (TikTok keeps one per buyer and shop).
ALTER TABLE buyers ADD COLUMN platform_conversation_id TEXT;

