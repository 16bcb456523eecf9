-- The FAQ bot and the shop greeting (issue 16: DY-GREET-1, DY-BOT-1..4).
-- A conversation the bot handles waits for no agent and is not routed until it is
-- handed over (bot_active), and counts the bot's consecutive misses (bot_misses).
ALTER TABLE conversations ADD COLUMN bot_active BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN bot_misses BIGINT NOT NULL DEFAULT 0;
-- A shop's bot switch, greeting and FAQ list (JSON array of question ids), and its
-- totals: answers sent, solved and unsolved marks, hand-offs.
CREATE TABLE faq_bots (
    shop_id     TEXT PRIMARY KEY,
    enabled     BIGINT NOT NULL DEFAULT 0,
    greeting    TEXT NOT NULL DEFAULT '',
    faq         TEXT NOT NULL DEFAULT '[]',
    hits        BIGINT NOT NULL DEFAULT 0,
    answered    BIGINT NOT NULL DEFAULT 0,
    solved      BIGINT NOT NULL DEFAULT 0,
    unsolved    BIGINT NOT NULL DEFAULT 0,
    hand_offs   BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);
-- A shop's questions: category, phrasings (JSON array), the answer and the answers per
-- language (JSON object), related question ids (JSON array), and their counts.
CREATE TABLE faq_questions (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL,
    category    TEXT NOT NULL,
    phrasings   TEXT NOT NULL,
    answer      TEXT NOT NULL,
    answers     TEXT NOT NULL DEFAULT '{}',
    related     TEXT NOT NULL DEFAULT '[]',
    hits        BIGINT NOT NULL DEFAULT 0,
    answered    BIGINT NOT NULL DEFAULT 0,
    solved      BIGINT NOT NULL DEFAULT 0,
    unsolved    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE INDEX faq_questions_shop ON faq_questions (shop_id, created_at, id);
-- Each bot answer, so the buyer can mark it solved or unsolved (once each way).
CREATE TABLE bot_answers (
    message_id       TEXT PRIMARY KEY,
    shop_id          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    question_id      TEXT NOT NULL,
    feedback         TEXT,
    created_at       BIGINT NOT NULL
);
