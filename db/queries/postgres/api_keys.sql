-- name: CreateAPIKey :exec
INSERT INTO api_keys (id, user_id, name, mode, permissions, key_hash, hint, created_at, last_used_at, revoked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: GetAPIKeyByHash :one
SELECT * FROM api_keys WHERE key_hash = $1;

-- name: ListAPIKeys :many
SELECT * FROM api_keys WHERE user_id = $1 ORDER BY id DESC;

-- name: RevokeAPIKey :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, @revoked_at)
WHERE id = @id
RETURNING *;

-- name: TouchAPIKey :exec
UPDATE api_keys SET last_used_at = @last_used_at
WHERE id = @id AND (last_used_at IS NULL OR last_used_at <= @used_before);

-- name: RevokeUserAPIKey :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, @revoked_at)
WHERE id = @id AND user_id = @user_id
RETURNING *;
