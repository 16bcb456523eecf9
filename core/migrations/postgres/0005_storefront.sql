-- Storefront chat sessions (shopmux's own chat channel for Shopify shops): a customer's
-- session token (hashed) and who they said they are.
CREATE TABLE storefront_sessions (
    token_hash         TEXT PRIMARY KEY,
    shop_id            TEXT NOT NULL,
    buyer_external_id  TEXT NOT NULL,
    nickname           TEXT,
    email              TEXT,
    created_at         BIGINT NOT NULL
);
