-- Order details shown in the customer panel (SH-PROFILE-1).
ALTER TABLE orders ADD COLUMN name TEXT;
ALTER TABLE orders ADD COLUMN total TEXT;

-- What the platform knows about a buyer (Shopify's customer webhooks, SH-PROFILE-1),
-- keyed by the buyer's external id so it may arrive before their first message.
CREATE TABLE buyer_profiles (
    shop_id            TEXT NOT NULL,
    buyer_external_id  TEXT NOT NULL,
    profile            TEXT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (shop_id, buyer_external_id)
);

-- The cart a storefront chat customer has (the widget reports its token), and each
-- cart's last known lines, so a cart webhook becomes "added" or "removed" (SH-CART-1).
ALTER TABLE storefront_sessions ADD COLUMN cart_token TEXT;
-- The customer's time zone, as their browser reports it (the panel's local time).
ALTER TABLE storefront_sessions ADD COLUMN time_zone TEXT;
ALTER TABLE storefront_sessions ADD COLUMN utc_offset_minutes BIGINT;
CREATE INDEX storefront_sessions_cart ON storefront_sessions (shop_id, cart_token);
CREATE TABLE carts (
    shop_id     TEXT NOT NULL,
    cart_token  TEXT NOT NULL,
    lines       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (shop_id, cart_token)
);
