-- The OAuth connections in progress: one row per consent screen a caller was sent to,
-- taken (deleted) by the callback that comes back with its state, so a state works once.
-- Only the state's SHA-256 is kept; the PKCE verifier is sealed like credentials.

CREATE TABLE oauth_states (
    state_hash   text COLLATE "C" PRIMARY KEY, -- hex SHA-256 of the state sent to the platform
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id),
    mode         text NOT NULL CHECK (mode IN ('live', 'test')),
    platform     text NOT NULL,
    redirect_url text,           -- where the caller's user goes afterwards; NULL: a plain page
    verifier     bytea NOT NULL, -- sealed PKCE code verifier (sealed empty where no PKCE)
    expires_at   timestamptz NOT NULL
);

-- Expired states are deleted by expiry when new ones are made.
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);
