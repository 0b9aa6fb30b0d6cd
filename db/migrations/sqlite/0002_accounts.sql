-- Connected accounts, and the outbox of events that webhook delivery reads.

CREATE TABLE accounts (
    id               TEXT NOT NULL PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    mode             TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    username         TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    avatar_url       TEXT,
    is_active        INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    connected_at     TEXT NOT NULL,
    last_used_at     TEXT,
    credentials      BLOB, -- sealed (encrypted) platform credentials; NULL for sandbox accounts
    simulate         TEXT  -- the failure a sandbox account simulates; NULL for live accounts
) STRICT;

CREATE INDEX accounts_scope_id ON accounts (user_id, mode, id);
-- The account a post to a platform goes out through: the most recently connected active one.
CREATE INDEX accounts_scope_platform_active ON accounts (user_id, mode, platform, is_active, connected_at, id);

CREATE TABLE events (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    mode       TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    type       TEXT NOT NULL,
    data       TEXT NOT NULL, -- JSON object: the event's "data", e.g. {"account": {...}}
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX events_scope_id ON events (user_id, mode, id);
