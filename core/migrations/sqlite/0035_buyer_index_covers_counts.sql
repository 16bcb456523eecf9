-- Issue 20: a history filter by buyer (a name part shared by thousands of buyers) counts
-- their conversations over every page. It is driven from the matching buyers through
-- this index; with the seller, shop and list status in it, the count reads the index
-- alone instead of every matching conversation's row. The columns never change but
-- `list_status`, and a buyer's conversations still come in creation order.
DROP INDEX conversations_buyer;
CREATE INDEX conversations_buyer ON conversations (buyer_id, seller_id, shop_id, list_status, created_at);
