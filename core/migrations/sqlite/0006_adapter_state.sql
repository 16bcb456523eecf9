-- Adapters' and plugins' own key-value state (cursors, renewed tokens), per platform.
CREATE TABLE adapter_state (
    platform    TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, key)
);
