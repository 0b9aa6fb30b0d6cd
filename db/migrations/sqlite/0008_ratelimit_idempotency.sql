-- Rate-limit tiers (service/ratelimit.go) and idempotency keys (service/idempotency.go).
-- SQLite counts requests in the process, so it has no table of windows.

-- NULL: the operator's default tier (OCTOPOST_DEFAULT_TIER).
ALTER TABLE users ADD COLUMN tier TEXT CHECK (tier IN ('free', 'starter', 'pro', 'unlimited'));

-- One row per (user, mode, key) while the key is remembered: in flight while its first
-- request runs, then done with the response it got.
CREATE TABLE idempotency_keys (
    user_id         TEXT NOT NULL REFERENCES users (id),
    mode            TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    idem_key        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL, -- hex SHA-256 of method, path and body
    token           TEXT NOT NULL, -- the claimer's: only it completes or releases the row
    state           TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status INTEGER NOT NULL DEFAULT 0,
    response_header BLOB,          -- JSON object of header name to values
    response_body   BLOB,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    lease_until     TEXT NOT NULL,
    PRIMARY KEY (user_id, mode, idem_key)
) STRICT;

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
