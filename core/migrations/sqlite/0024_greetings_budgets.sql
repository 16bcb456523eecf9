-- A shop's greeting per buyer language (DY-GREET-1): JSON {lang: text}; the buyer's
-- language picks one, else the plain `greeting` (the default).
ALTER TABLE faq_bots ADD COLUMN greetings TEXT NOT NULL DEFAULT '{}';

-- A seller's own monthly translation budget in characters (issue 18), set by the main
-- account: no row keeps the daemon's configured default; `monthly_chars` NULL is no
-- budget at all.
CREATE TABLE translation_budgets (
    seller_id      TEXT PRIMARY KEY,
    monthly_chars  INTEGER,
    updated_at     INTEGER NOT NULL
);
