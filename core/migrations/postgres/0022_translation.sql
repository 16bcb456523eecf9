-- Translation (issue 18: TT-TR-1, AE-TR-1, AE-TR-2). A message keeps its original:
-- inbound, `translated_text` (in 0001, written from now on) is the buyer's text in the
-- agent's language; outbound, `content` is what was sent and `original_text` what the
-- agent wrote. `translation_status`: NULL (none applies), pending (waiting for the
-- worker), translated, same_language, failed (`translation_error` says why).
ALTER TABLE messages ADD COLUMN translation_status TEXT;
ALTER TABLE messages ADD COLUMN translation_source TEXT;
ALTER TABLE messages ADD COLUMN translation_target TEXT;
ALTER TABLE messages ADD COLUMN translation_provider TEXT;
ALTER TABLE messages ADD COLUMN translation_error TEXT;
ALTER TABLE messages ADD COLUMN original_text TEXT;
-- The worker's queue: only pending rows are in this index.
CREATE INDEX messages_translation_pending ON messages (created_at, id)
    WHERE translation_status = 'pending';

-- The same text and language pair is translated once per provider: keyed by a SHA-256
-- of provider, source (or "auto"), target and text.
CREATE TABLE translation_cache (
    cache_key        TEXT PRIMARY KEY,
    provider         TEXT NOT NULL,
    source_lang      TEXT,
    target_lang      TEXT NOT NULL,
    translated       TEXT NOT NULL,
    detected_source  TEXT,
    created_at       BIGINT NOT NULL
);

-- Characters sent to each provider per seller and calendar month (UTC, `2026-12`):
-- the usage report and the per-seller monthly budget. Cache hits are not counted.
CREATE TABLE translation_usage (
    seller_id   TEXT NOT NULL,
    provider    TEXT NOT NULL,
    month       TEXT NOT NULL,
    characters  BIGINT NOT NULL,
    requests    BIGINT NOT NULL,
    PRIMARY KEY (seller_id, provider, month)
);

-- A conversation's auto-translation switch and the agent's choice of languages
-- (TT-TR-1, AE-TR-2); no row: off, languages by default.
CREATE TABLE conversation_translation (
    conversation_id  TEXT PRIMARY KEY,
    auto_translate   BIGINT NOT NULL,
    source_lang      TEXT,
    target_lang      TEXT,
    updated_at       BIGINT NOT NULL
);

-- Each agent's interface language, told by the web inbox: the language buyer messages
-- are translated into.
CREATE TABLE agent_languages (
    agent_id    TEXT PRIMARY KEY,
    language    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
