-- Storefront identity (issue 15): a session is either proven by the platform (its app
-- proxy signed the customer id) or an anonymous visitor. A typed email is contact data,
-- unverified until the visitor confirms it with the code mailed to it.
ALTER TABLE storefront_sessions ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE storefront_sessions ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
-- The pending confirmation: the address, the code's salted SHA-256, when it expires (ms),
-- and the wrong guesses so far.
ALTER TABLE storefront_sessions ADD COLUMN code_email TEXT;
ALTER TABLE storefront_sessions ADD COLUMN code_hash TEXT;
ALTER TABLE storefront_sessions ADD COLUMN code_expires_at INTEGER;
ALTER TABLE storefront_sessions ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
-- Sessions made before this change took a typed email as the customer's identity: none
-- of them is proven, so they all end (the widget starts a new one).
DELETE FROM storefront_sessions;
