-- Service data reads (issue 17): the rollups are also kept summed per UTC 4-hour block
-- (block = slot / 16: 00:00, 04:00, … 20:00 UTC), written with the slot, hour and day
-- rows in the same statement batch. A local day in a zone a whole number of hours off
-- UTC reads its blocks and at most a few hours at each edge (6 block rows in
-- Asia/Shanghai) instead of 24 hour rows. Filled from the hours once; `shopmux
-- service-data recompute --apply` rebuilds every unit's table.
CREATE TABLE service_rollups_4h (
    shop_id   TEXT NOT NULL,
    block     BIGINT NOT NULL,
    agent_id  TEXT NOT NULL,
    metric    TEXT NOT NULL,
    n         BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (shop_id, block, agent_id, metric)
) WITHOUT ROWID;
INSERT INTO service_rollups_4h (shop_id, block, agent_id, metric, n, total)
SELECT shop_id, hour / 4, agent_id, metric, SUM(n), SUM(total)
FROM service_rollups_hourly GROUP BY shop_id, hour / 4, agent_id, metric;
