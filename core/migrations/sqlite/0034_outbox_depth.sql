-- Operations (issue 19): `/metrics` reads the outbox's depth and its oldest entry per
-- platform at every scrape. This index answers it from the pending entries alone,
-- grouped by shop (a covering index read, no table rows): the cost grows with what is
-- waiting, not with everything ever delivered.
CREATE INDEX outbox_pending_by_shop ON outbox (status, shop_id, created_at);
