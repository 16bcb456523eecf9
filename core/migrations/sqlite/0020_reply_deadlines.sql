-- What a reply is worth (issue 17, item 5): each conversation's earliest deadline not yet
-- missed (the reply window, a lifecycle timer, a service figure's mark such as DY-QA-1's
-- 30 seconds, the shop's first-reply target), kept current on every write and advanced
-- by the timer pass as deadlines pass. breach_rank is the "most urgent first" sort key:
-- next_breach_at, then conversations without a deadline newest first (as wait_rank).
ALTER TABLE conversations ADD COLUMN next_breach_at INTEGER;
ALTER TABLE conversations ADD COLUMN breach_rank INTEGER NOT NULL DEFAULT 0;
-- The shop's first-reply target: when it falls due while nobody has answered (kept after
-- the conversation ends unanswered: a miss still counts), and when to warn that it is
-- about to be missed (NULL once warned: the warning fires once per due time).
ALTER TABLE conversations ADD COLUMN sla_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN breach_warn_at INTEGER;
UPDATE conversations SET breach_rank = 4000000000000000 - last_message_at;
CREATE INDEX conversations_seller_urgent ON conversations (seller_id, list_status, breach_rank, id);
-- The timer pass: deadlines just missed, warnings due.
CREATE INDEX conversations_breach_due ON conversations (next_breach_at)
    WHERE next_breach_at IS NOT NULL;
CREATE INDEX conversations_breach_warn ON conversations (breach_warn_at)
    WHERE breach_warn_at IS NOT NULL;
-- Targets missed with nobody answering yet, per shop and due time (the breach counts).
CREATE INDEX conversations_sla_due ON conversations (shop_id, sla_due_at)
    WHERE sla_due_at IS NOT NULL;
-- Service-level outcomes of first replies: one row per conversation answered while its
-- shop's first-reply target ran, dated by the due time, met or missed, with the agent
-- who answered.
CREATE TABLE service_level_outcomes (
    conversation_id  TEXT PRIMARY KEY,
    seller_id        TEXT NOT NULL,
    shop_id          TEXT NOT NULL,
    agent_id         TEXT,
    due_at           INTEGER NOT NULL,
    replied_at       INTEGER,
    breached         INTEGER NOT NULL
);
CREATE INDEX service_level_outcomes_shop ON service_level_outcomes (shop_id, due_at);
