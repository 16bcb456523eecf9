-- Several daemons may share one database: the inbound translation worker claims a
-- pending message under a lease (a random token and when it runs out, in milliseconds)
-- before paying a provider for it, and records its translation only under that token;
-- a lease that ran out may be taken over.
ALTER TABLE messages ADD COLUMN translation_lease_token TEXT;
ALTER TABLE messages ADD COLUMN translation_lease_until BIGINT;
