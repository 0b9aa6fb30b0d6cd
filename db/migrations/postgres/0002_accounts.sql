-- Connected accounts, and the outbox of events that webhook delivery reads.

CREATE TABLE accounts (
    id               text COLLATE "C" PRIMARY KEY,
    user_id          text COLLATE "C" NOT NULL REFERENCES users (id),
    mode             text NOT NULL CHECK (mode IN ('live', 'test')),
    platform         text NOT NULL,
    platform_user_id text NOT NULL,
    username         text NOT NULL,
    display_name     text NOT NULL,
    avatar_url       text,
    is_active        boolean NOT NULL,
    connected_at     timestamptz NOT NULL,
    last_used_at     timestamptz,
    credentials      bytea, -- sealed (encrypted) platform credentials; NULL for sandbox accounts
    simulate         text   -- the failure a sandbox account simulates; NULL for live accounts
);

CREATE INDEX accounts_scope_id ON accounts (user_id, mode, id);
-- The account a post to a platform goes out through: the most recently connected active one.
CREATE INDEX accounts_scope_platform_active ON accounts (user_id, mode, platform, is_active, connected_at, id);

-- data is json, not jsonb: the outbox is written once and read back to be signed and sent,
-- so it keeps the exact text written (jsonb would reorder the keys of the API's objects).
CREATE TABLE events (
    id         text COLLATE "C" PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id),
    mode       text NOT NULL CHECK (mode IN ('live', 'test')),
    type       text NOT NULL,
    data       json NOT NULL, -- the event's "data", e.g. {"account": {...}}
    created_at timestamptz NOT NULL
);

CREATE INDEX events_scope_id ON events (user_id, mode, id);
