-- Several daemons on one database (issue 19): what each daemon publishes to its live
-- streams is also appended here, ids only (the rest is read on demand), and announced
-- with `pg_notify('shopmux_live', current_schema())`; every other daemon reads the rows
-- after the last it saw and publishes them to its own streams. `seq` is the cursor a
-- reconnecting client gives to get what it missed. Rows are kept for a while, then
-- pruned by the daemon leading the timer passes.
CREATE TABLE live_events (
    seq         BIGSERIAL PRIMARY KEY,
    origin      TEXT NOT NULL,
    shop_id     TEXT,
    seller_id   TEXT,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Storefront customers' open chat sockets, per daemon: a customer is in the store while
-- any live daemon holds a socket of theirs, and a reply is handed to that daemon.
CREATE TABLE storefront_sockets (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL,
    buyer        TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    opened_at    BIGINT NOT NULL
);
CREATE INDEX storefront_sockets_buyer ON storefront_sockets (shop_id, buyer);
CREATE INDEX storefront_sockets_instance ON storefront_sockets (instance_id);
