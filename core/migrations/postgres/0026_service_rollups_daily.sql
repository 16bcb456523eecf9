-- Service data (issue 17): the rollups summed per UTC day (day = slot / 96), written
-- with the 15-minute ones in the same statement batch. A long period reads its whole
-- UTC days here and only its edge slots from service_rollups. Filled from the slots
-- once; `shopmux service-data recompute --apply` rebuilds both.
CREATE TABLE service_rollups_daily (
    shop_id   TEXT NOT NULL,
    day       BIGINT NOT NULL,
    agent_id  TEXT NOT NULL,
    metric    TEXT NOT NULL,
    n         BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (shop_id, day, agent_id, metric)
) ;
INSERT INTO service_rollups_daily (shop_id, day, agent_id, metric, n, total)
SELECT shop_id, slot / 96, agent_id, metric, SUM(n), SUM(total)
FROM service_rollups GROUP BY shop_id, slot / 96, agent_id, metric;
