-- Service data reads (issue 17). The rollups are also kept summed per UTC hour
-- (hour = slot / 4) and per UTC day (day = slot / 96), written with the 15-minute ones
-- in the same statement batch: a period reads its whole UTC days, the whole hours at
-- its edges and only then slots. Filled from the slots once; `shopmux service-data
-- recompute --apply` rebuilds all three.
CREATE TABLE service_rollups_hourly (
    shop_id   TEXT NOT NULL,
    hour      BIGINT NOT NULL,
    agent_id  TEXT NOT NULL,
    metric    TEXT NOT NULL,
    n         BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (shop_id, hour, agent_id, metric)
) WITHOUT ROWID;
CREATE TABLE service_rollups_daily (
    shop_id   TEXT NOT NULL,
    day       BIGINT NOT NULL,
    agent_id  TEXT NOT NULL,
    metric    TEXT NOT NULL,
    n         BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (shop_id, day, agent_id, metric)
) WITHOUT ROWID;
INSERT INTO service_rollups_hourly (shop_id, hour, agent_id, metric, n, total)
SELECT shop_id, slot / 4, agent_id, metric, SUM(n), SUM(total)
FROM service_rollups GROUP BY shop_id, slot / 4, agent_id, metric;
INSERT INTO service_rollups_daily (shop_id, day, agent_id, metric, n, total)
SELECT shop_id, slot / 96, agent_id, metric, SUM(n), SUM(total)
FROM service_rollups GROUP BY shop_id, slot / 96, agent_id, metric;
-- The waits still unanswered (DY-QA-1) are counted per agent from this index alone.
DROP INDEX conversations_reply_wait;
CREATE INDEX conversations_reply_wait
    ON conversations (shop_id, reply_wait_since, assignee_id, entry_point)
    WHERE reply_wait_since IS NOT NULL;
