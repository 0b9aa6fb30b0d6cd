-- Rate-limit tiers and counters (service/ratelimit.go) and idempotency keys
-- (service/idempotency.go).

-- NULL: the operator's default tier (OCTOPOST_DEFAULT_TIER).
ALTER TABLE users ADD COLUMN tier text CHECK (tier IN ('free', 'starter', 'pro', 'unlimited'));

-- One row per (bucket, window): the requests counted in it by every instance. A bucket
-- is a key's minute ("m:<key id>") or its publishing hour ("p:<key id>").
CREATE TABLE rate_limit_windows (
    bucket       text COLLATE "C" NOT NULL,
    window_start timestamptz NOT NULL,
    count        bigint NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE INDEX rate_limit_windows_expires_at ON rate_limit_windows (expires_at);

-- One row per (user, mode, key) while the key is remembered: in flight while its first
-- request runs, then done with the response it got.
CREATE TABLE idempotency_keys (
    user_id         text COLLATE "C" NOT NULL REFERENCES users (id),
    mode            text NOT NULL CHECK (mode IN ('live', 'test')),
    idem_key        text COLLATE "C" NOT NULL,
    fingerprint     text NOT NULL, -- hex SHA-256 of method, path and body
    token           text NOT NULL, -- the claimer's: only it completes or releases the row
    state           text NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status integer NOT NULL DEFAULT 0,
    response_header bytea,         -- JSON object of header name to values
    response_body   bytea,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    lease_until     timestamptz NOT NULL,
    PRIMARY KEY (user_id, mode, idem_key)
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
