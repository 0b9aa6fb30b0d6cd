-- name: CreateWebhook :exec
INSERT INTO webhooks (
    id, user_id, mode, url, events, secret, is_active, previous_secret,
    previous_secret_expires_at, created_at, updated_at, disabled_reason
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetWebhook :one
SELECT * FROM webhooks WHERE id = ? AND user_id = ? AND mode = ?;

-- name: ListWebhooks :many
SELECT * FROM webhooks WHERE user_id = ? AND mode = ? ORDER BY id DESC;

-- name: UpdateWebhook :execrows
UPDATE webhooks SET
    url = ?, events = ?, secret = ?, is_active = ?, previous_secret = ?,
    previous_secret_expires_at = ?, updated_at = ?, disabled_reason = ?
WHERE id = ? AND user_id = ? AND mode = ?;

-- name: DeleteWebhook :execrows
DELETE FROM webhooks WHERE id = ? AND user_id = ? AND mode = ?;
