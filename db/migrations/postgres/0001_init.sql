-- Octopost's tables on PostgreSQL.
--
-- Ids use the "C" collation: they sort by creation time byte by byte, and keyset paging
-- compares them, so the database's locale must not reorder them.

CREATE TABLE users (
    id         text COLLATE "C" PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('live', 'test')),
    permissions  jsonb NOT NULL, -- array of permission names; [] is full access
    key_hash     text NOT NULL UNIQUE,
    hint         text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX api_keys_user_id ON api_keys (user_id, id);

CREATE TABLE posts (
    id               text COLLATE "C" PRIMARY KEY,
    user_id          text COLLATE "C" NOT NULL REFERENCES users (id),
    mode             text NOT NULL CHECK (mode IN ('live', 'test')),
    content          text NOT NULL,
    platforms        jsonb NOT NULL, -- array
    status           text NOT NULL,
    scheduled_for    timestamptz,
    media            jsonb NOT NULL, -- {"images": [...], "video": {...} | null}
    segments         jsonb,          -- array, NULL for none
    preset_id        text,           -- no foreign key: system presets are not stored
    platform_results jsonb NOT NULL, -- object keyed by platform
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    published_at     timestamptz
);

-- Keyset listing, newest first, with and without a status filter.
CREATE INDEX posts_scope_id ON posts (user_id, mode, id);
CREATE INDEX posts_scope_status_id ON posts (user_id, mode, status, id);

CREATE TABLE presets (
    id                  text COLLATE "C" PRIMARY KEY,
    user_id             text COLLATE "C" NOT NULL REFERENCES users (id),
    mode                text NOT NULL CHECK (mode IN ('live', 'test')),
    name                text NOT NULL,
    platforms           jsonb NOT NULL, -- array
    primary_platform    text,
    cross_link_enabled  boolean NOT NULL,
    cross_link_template text NOT NULL,
    is_default          boolean NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE INDEX presets_scope_id ON presets (user_id, mode, id);
-- At most one default preset per user and mode.
CREATE UNIQUE INDEX presets_scope_default ON presets (user_id, mode) WHERE is_default;

CREATE TABLE webhooks (
    id                         text COLLATE "C" PRIMARY KEY,
    user_id                    text COLLATE "C" NOT NULL REFERENCES users (id),
    mode                       text NOT NULL CHECK (mode IN ('live', 'test')),
    url                        text NOT NULL,
    events                     jsonb NOT NULL, -- array
    secret                     text NOT NULL,
    is_active                  boolean NOT NULL,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);

CREATE INDEX webhooks_scope_id ON webhooks (user_id, mode, id);
