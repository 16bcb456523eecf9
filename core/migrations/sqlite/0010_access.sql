-- no-transaction
-- Access that bites (issue 15). Runs outside sqlx's transaction because rebuilding a
-- table that others reference needs foreign keys off, which SQLite only allows there.
--
-- An account can be deactivated (by its seller's main account): while deactivated_at
-- is set it signs in with nothing — no token, no web session, no password — and is
-- routed nothing.
--
-- A shop's identity (platform, external id, region) is unique per seller, not across
-- sellers: one seller cannot block another's shop, and a conflict tells nothing about
-- other sellers. SQLite cannot drop a table constraint, so `shops` is rebuilt.
PRAGMA foreign_keys = OFF;
BEGIN;
ALTER TABLE agents ADD COLUMN deactivated_at INTEGER;
CREATE TABLE shops_new (
    id             TEXT PRIMARY KEY,
    seller_id      TEXT NOT NULL REFERENCES sellers(id),
    platform       TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    region         TEXT NOT NULL,
    name           TEXT NOT NULL,
    settings       TEXT NOT NULL DEFAULT '{}',
    ingest_secret  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (seller_id, platform, external_id, region)
);
INSERT INTO shops_new (id, seller_id, platform, external_id, region, name, settings, ingest_secret, created_at)
    SELECT id, seller_id, platform, external_id, region, name, settings, ingest_secret, created_at FROM shops;
DROP TABLE shops;
ALTER TABLE shops_new RENAME TO shops;
CREATE INDEX shops_seller ON shops (seller_id);
COMMIT;
PRAGMA foreign_keys = ON;
