-- The dashboard's users, sessions and sign-in limiter (service/users.go, service/sessions.go).

-- The argon2id hash of the user's password as a PHC string (service/password); NULL: the
-- user has none and cannot sign in to the dashboard until one is set.
ALTER TABLE users ADD COLUMN password_hash TEXT;

-- One row per dashboard session. The cookie carries a random token; only its SHA-256 is
-- kept, so a copy of the database signs nobody in. Ended sessions (expired or revoked)
-- are deleted by a sweep on sign-in.
CREATE TABLE sessions (
    id           TEXT NOT NULL PRIMARY KEY,   -- ses_…: the public id, for listing and revoking
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the cookie's token
    user_agent   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,               -- min(last seen + idle timeout, created + lifetime)
    revoked_at   TEXT
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id, id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed sign-ins counted per (bucket, window) in the database, so that instances sharing
-- it share the count. A bucket is an email's or a client address's, hashed.
CREATE TABLE sign_in_windows (
    bucket       TEXT NOT NULL,
    window_start TEXT NOT NULL,
    count        INTEGER NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (bucket, window_start)
) STRICT;

CREATE INDEX sign_in_windows_expires_at ON sign_in_windows (expires_at);
