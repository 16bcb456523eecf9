-- The pre-send compliance check (issue 16): a reply sent although it broke the shop's
-- off-platform contact policy records which policies the agent acknowledged ("send
-- anyway"), who sent it and when. One row per such message; nothing deletes it.
CREATE TABLE message_policy_overrides (
    message_id  TEXT PRIMARY KEY,
    policies    TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
