-- Outbox leases per row (issue 15). A claim takes one row: it writes a fresh random
-- lease token and moves next_attempt_at to the end of that row's own lease (one send's
-- time limit plus a margin); only the holder of the token records the attempt's outcome,
-- so a slow daemon's late answer cannot overwrite the attempt of the daemon that took
-- the row over after its lease ran out. NULL: not claimed since the last outcome.
ALTER TABLE outbox ADD COLUMN lease_token TEXT;
-- A conversation's pending replies in order: a reply is claimed only when no earlier
-- reply of its conversation is still pending.
CREATE INDEX outbox_conversation_pending ON outbox (conversation_id, status, created_at, message_id);
