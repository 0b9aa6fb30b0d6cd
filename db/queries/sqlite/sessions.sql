-- Dashboard sessions (service/sessions.go) and the sign-in limiter's windows.

-- name: CreateSession :exec
INSERT INTO sessions (id, user_id, token_hash, user_agent, created_at, last_seen_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: GetSessionByTokenHash :one
SELECT sqlc.embed(sessions), sqlc.embed(users)
FROM sessions JOIN users ON users.id = sessions.user_id
WHERE sessions.token_hash = ? AND sessions.revoked_at IS NULL;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = sqlc.arg(last_seen_at), expires_at = sqlc.arg(expires_at)
WHERE id = sqlc.arg(id) AND last_seen_at <= sqlc.arg(seen_before) AND revoked_at IS NULL;

-- name: RevokeSessionByTokenHash :exec
UPDATE sessions SET revoked_at = coalesce(revoked_at, sqlc.arg(revoked_at)) WHERE token_hash = sqlc.arg(token_hash);

-- name: RevokeSession :execrows
UPDATE sessions SET revoked_at = coalesce(revoked_at, sqlc.arg(revoked_at))
WHERE id = sqlc.arg(id) AND user_id = sqlc.arg(user_id);

-- name: RevokeUserSessions :exec
UPDATE sessions SET revoked_at = sqlc.arg(revoked_at) WHERE user_id = sqlc.arg(user_id) AND revoked_at IS NULL;

-- name: ListSessions :many
SELECT * FROM sessions
WHERE user_id = sqlc.arg(user_id) AND revoked_at IS NULL AND expires_at > sqlc.arg(now)
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: DeleteEndedSessions :exec
DELETE FROM sessions WHERE expires_at <= sqlc.arg(now) OR revoked_at IS NOT NULL;

-- name: GetSignInFailures :one
SELECT count FROM sign_in_windows WHERE bucket = ? AND window_start = ?;

-- name: AddSignInFailures :one
INSERT INTO sign_in_windows (bucket, window_start, count, expires_at)
VALUES (sqlc.arg(bucket), sqlc.arg(window_start), sqlc.arg(n), sqlc.arg(expires_at))
ON CONFLICT (bucket, window_start) DO UPDATE SET count = sign_in_windows.count + excluded.count
RETURNING count;

-- name: DeleteExpiredSignInWindows :exec
DELETE FROM sign_in_windows WHERE expires_at <= ?;
