-- Issue 16, the rest: an order's tracking number as the platform reports it (fills the
-- quick-reply variable {tracking_number}), and a shop's own versions of the texts the
-- bot and the rating card send (JSON: {"rephrase": {lang: text}, "hand_off": {…},
-- "rating_thanks": {…}}; a language without its own falls back to the built-in text).
ALTER TABLE orders ADD COLUMN tracking_number TEXT;
ALTER TABLE faq_bots ADD COLUMN texts TEXT NOT NULL DEFAULT '{}';
