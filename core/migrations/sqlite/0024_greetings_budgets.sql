-- A shop's greeting per buyer language (DY-GREET-1): JSON {lang: text}; the buyer's
-- language picks one, else the plain `greeting` (the default).
ALTER TABLE faq_bots ADD COLUMN greetings TEXT NOT NULL DEFAULT '{}';
