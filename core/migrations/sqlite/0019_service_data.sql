-- Service data (issue 17: TT-DATA-1..3, DY-QA-1..3). Rollups kept as events happen, in
-- the transaction of the event they count: per shop, agent ('' when none), 15-minute
-- slot (ms since the epoch / 900000: every time zone's midnight falls on a slot edge)
-- and metric ('started', 'served', 'response', 'within_s:30', 'unreplied_s:600',
-- 'first_reply_h:24', 'rated', 'satisfied'), a count n and a sum of milliseconds.
-- A period's figure sums the slots of its range; nothing scans messages per request.
CREATE TABLE service_rollups (
    shop_id   TEXT NOT NULL,
    slot      BIGINT NOT NULL,
    agent_id  TEXT NOT NULL,
    metric    TEXT NOT NULL,
    n         BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (shop_id, slot, agent_id, metric)
) WITHOUT ROWID;
-- When a human agent first took the conversation (DY-QA-2 measures the first human
-- reply from it); later assignments and transfers leave it.
ALTER TABLE conversations ADD COLUMN first_assigned_at BIGINT;
