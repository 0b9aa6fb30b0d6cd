-- Octopost's tables on SQLite.
--
-- Timestamps are TEXT in one fixed-width UTC form, 2006-01-02T15:04:05.000000Z, so that they
-- keep microseconds, read back exactly as written and compare correctly as strings.
-- JSON columns are TEXT holding the encoding/json form of the service's types.
-- Booleans are INTEGER 0/1.

CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    permissions  TEXT NOT NULL, -- JSON array of permission names; [] is full access
    key_hash     TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;

CREATE INDEX api_keys_user_id ON api_keys (user_id, id);

CREATE TABLE posts (
    id               TEXT NOT NULL PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    mode             TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    content          TEXT NOT NULL,
    platforms        TEXT NOT NULL, -- JSON array
    status           TEXT NOT NULL,
    scheduled_for    TEXT,
    media            TEXT NOT NULL, -- JSON {"images": [...], "video": {...} | null}
    segments         TEXT,          -- JSON array, NULL for none
    preset_id        TEXT,          -- no foreign key: system presets are not stored
    platform_results TEXT NOT NULL, -- JSON object keyed by platform
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    published_at     TEXT
) STRICT;

-- Keyset listing, newest first, with and without a status filter.
CREATE INDEX posts_scope_id ON posts (user_id, mode, id);
CREATE INDEX posts_scope_status_id ON posts (user_id, mode, status, id);

CREATE TABLE presets (
    id                  TEXT NOT NULL PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id),
    mode                TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    name                TEXT NOT NULL,
    platforms           TEXT NOT NULL, -- JSON array
    primary_platform    TEXT,
    cross_link_enabled  INTEGER NOT NULL CHECK (cross_link_enabled IN (0, 1)),
    cross_link_template TEXT NOT NULL,
    is_default          INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

CREATE INDEX presets_scope_id ON presets (user_id, mode, id);
-- At most one default preset per user and mode.
CREATE UNIQUE INDEX presets_scope_default ON presets (user_id, mode) WHERE is_default = 1;

CREATE TABLE webhooks (
    id                         TEXT NOT NULL PRIMARY KEY,
    user_id                    TEXT NOT NULL REFERENCES users (id),
    mode                       TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    url                        TEXT NOT NULL,
    events                     TEXT NOT NULL, -- JSON array
    secret                     TEXT NOT NULL,
    is_active                  INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    previous_secret            TEXT,
    previous_secret_expires_at TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
) STRICT;

CREATE INDEX webhooks_scope_id ON webhooks (user_id, mode, id);
