-- Quick replies (issue 16; AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): canned texts of one
-- set, either an agent's own (agent_id) or a shop's (shop_id, managed by the main
-- account). Groups are ordered by their first reply's position, replies by position.
-- translations: a JSON list of {language, text}; search_text: group, title and every
-- text, lowercased by shopmux, searched with LIKE.
CREATE TABLE quick_replies (
    id            TEXT PRIMARY KEY,
    seller_id     TEXT NOT NULL,
    shop_id       TEXT,
    agent_id      TEXT,
    group_name    TEXT NOT NULL,
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    translations  TEXT NOT NULL,
    search_text   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((shop_id IS NULL) <> (agent_id IS NULL))
);
CREATE INDEX quick_replies_shop ON quick_replies (shop_id, position);
CREATE INDEX quick_replies_agent ON quick_replies (agent_id, position);
