-- Several daemons on one database (issue 19). The same tables as on PostgreSQL, where
-- they are used; a SQLite database has one daemon, which keeps them empty. What each
-- daemon publishes to its live streams is also appended to `live_events`, ids only (the
-- rest is read on demand), and announced with a notification; every other daemon reads
-- the rows after the last it saw. `seq` is the cursor a reconnecting client gives.
CREATE TABLE live_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    origin      TEXT NOT NULL,
    shop_id     TEXT,
    seller_id   TEXT,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Storefront customers' open chat sockets, per daemon: a customer is in the store while
-- any live daemon holds a socket of theirs, and a reply is handed to that daemon.
CREATE TABLE storefront_sockets (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL,
    buyer        TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    opened_at    INTEGER NOT NULL
);
CREATE INDEX storefront_sockets_buyer ON storefront_sockets (shop_id, buyer);
CREATE INDEX storefront_sockets_instance ON storefront_sockets (instance_id);
