-- Agent sign-in for the web inbox. Every account may get a login name (unique across
-- the daemon) and an argon2id password hash (a PHC string). Accounts created before
-- this migration keep a NULL login: they go on with their bearer tokens, and get a
-- login when their owner sets their password with one (PUT /api/v1/agents/{id}/password).
ALTER TABLE agents ADD COLUMN login TEXT;
ALTER TABLE agents ADD COLUMN password_hash TEXT;
CREATE UNIQUE INDEX agents_login ON agents (login);

-- Browser sessions: only the SHA-256 of the cookie's token is stored. A session ends
-- at expires_at (absolute), or when it has not been seen for the idle limit.
CREATE TABLE web_sessions (
    token_hash    TEXT PRIMARY KEY,
    agent_id      TEXT NOT NULL REFERENCES agents(id),
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX web_sessions_agent ON web_sessions (agent_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
