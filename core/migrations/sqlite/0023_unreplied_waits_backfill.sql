-- Service data (issue 17, DY-QA-1): a buyer's wait for a human reply as the rollups count
-- it — from the buyer's first message after the last human reply (a rating card awaits
-- no reply; a bot's answer or hand-off changes nothing) — kept on the conversation, so
-- the waits still unanswered after 10 minutes are counted by one indexed range read per
-- shop and period, never by scanning messages. NULL once a human answered.
ALTER TABLE conversations ADD COLUMN reply_wait_since INTEGER;
UPDATE conversations SET reply_wait_since = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.sender_kind = 'buyer'
      AND m.created_at > COALESCE(conversations.last_agent_reply_at, -1)
      AND m.content NOT LIKE '{"type":"rating_card"%'
) WHERE waiting_since IS NOT NULL;
CREATE INDEX conversations_reply_wait ON conversations (shop_id, reply_wait_since)
    WHERE reply_wait_since IS NOT NULL;
-- Reply deadlines (0020) for conversations written before them: the open conversations
-- with no deadline stored yet, stamped in batches by the timer leader (each stamped and
-- taken off this list in one transaction; stamping again changes nothing).
CREATE TABLE deadline_backfill (
    conversation_id TEXT PRIMARY KEY
);
INSERT INTO deadline_backfill (conversation_id)
    SELECT id FROM conversations
    WHERE list_status = 'open' AND next_breach_at IS NULL AND sla_due_at IS NULL;
