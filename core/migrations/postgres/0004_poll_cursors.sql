-- Where each shop's poller stopped (an adapter's opaque cursor), so a restart resumes
-- there and catches up on what arrived while the daemon was down.
CREATE TABLE poll_cursors (
    shop_id    TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    polled_at  BIGINT NOT NULL
);
