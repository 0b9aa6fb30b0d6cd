-- name: CreateOAuthState :exec
INSERT INTO oauth_states (state_hash, user_id, mode, platform, redirect_url, verifier, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: TakeOAuthState :one
-- Deleting and returning in one statement is what makes a state single-use: of two
-- callbacks with the same state, one gets the row and the other none.
DELETE FROM oauth_states WHERE state_hash = $1 RETURNING *;

-- name: DeleteExpiredOAuthStates :exec
DELETE FROM oauth_states WHERE expires_at < $1;
