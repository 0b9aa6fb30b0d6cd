-- name: CreateAPIKey :exec
INSERT INTO api_keys (id, user_id, name, mode, permissions, key_hash, hint, created_at, last_used_at, revoked_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetAPIKeyByHash :one
SELECT * FROM api_keys WHERE key_hash = ?;

-- name: ListAPIKeys :many
SELECT * FROM api_keys WHERE user_id = ? ORDER BY id DESC;

-- name: RevokeAPIKey :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, sqlc.arg(revoked_at))
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: TouchAPIKey :exec
UPDATE api_keys SET last_used_at = sqlc.arg(last_used_at)
WHERE id = sqlc.arg(id) AND (last_used_at IS NULL OR last_used_at <= sqlc.arg(used_before));

-- name: RevokeUserAPIKey :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, sqlc.arg(revoked_at))
WHERE id = sqlc.arg(id) AND user_id = sqlc.arg(user_id)
RETURNING *;
