-- Access that bites (issue 15).
--
-- An account can be deactivated (by its seller's main account): while deactivated_at
-- is set it signs in with nothing — no token, no web session, no password — and is
-- routed nothing.
ALTER TABLE agents ADD COLUMN deactivated_at BIGINT;

-- A shop's identity (platform, external id, region) is unique per seller, not across
-- sellers: one seller cannot block another's shop, and a conflict tells nothing about
-- other sellers.
ALTER TABLE shops DROP CONSTRAINT shops_platform_external_id_region_key;
ALTER TABLE shops ADD CONSTRAINT shops_seller_identity UNIQUE (seller_id, platform, external_id, region);
