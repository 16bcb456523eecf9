-- Languages and topics of buyer messages (issue 18). Each inbound text keeps the
-- language detected offline and the detector's confidence (per mille; NULL: too short
-- to detect, e.g. an emoji), and the topic label a classifier applied at 90 %
-- confidence or more (SH-TOPIC-1, SH-TOPIC-2) with its confidence (per mille).
ALTER TABLE messages ADD COLUMN detected_language TEXT;
ALTER TABLE messages ADD COLUMN language_confidence BIGINT;
ALTER TABLE messages ADD COLUMN topic TEXT;
ALTER TABLE messages ADD COLUMN topic_confidence BIGINT;
-- A conversation's topics (at most two, the latest first) as columns the list filters
-- on (`topic=`), each on an index like the flag filter's; `topics` keeps the list.
ALTER TABLE conversations ADD COLUMN topic_1 TEXT;
ALTER TABLE conversations ADD COLUMN topic_2 TEXT;
CREATE INDEX conversations_topic_1 ON conversations (seller_id, topic_1, list_status, last_message_at, id)
    WHERE topic_1 IS NOT NULL;
CREATE INDEX conversations_topic_2 ON conversations (seller_id, topic_2, list_status, last_message_at, id)
    WHERE topic_2 IS NOT NULL;
