-- Routing: agent loads, the shops' queues, live stream sessions and daemon liveness.

-- An agent's load is the sum of its `in_progress` counters over its shops.
CREATE INDEX conversation_counters_assignee ON conversation_counters (assignee, bucket);

-- Each shop's queue: its unassigned conversations, by arrival.
CREATE INDEX conversations_queue ON conversations (shop_id, created_at, id)
    WHERE state = 'unassigned';

-- Daemons sharing this database, with a heartbeat in wall-clock milliseconds; the
-- sessions of a daemon that stopped beating are dropped by the others.
CREATE TABLE daemon_instances (
    id            TEXT PRIMARY KEY,
    started_at    BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL
);

-- Live streams (chat tools open) per agent: `agents.connected` is 1 while it has any
-- (TT-AGENT-3).
CREATE TABLE agent_sessions (
    id           TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    opened_at    BIGINT NOT NULL
);
CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id);
CREATE INDEX agent_sessions_instance ON agent_sessions (instance_id);
