-- name: CreateWebhook :exec
INSERT INTO webhooks (
    id, user_id, mode, url, events, secret, is_active, previous_secret,
    previous_secret_expires_at, created_at, updated_at, disabled_reason
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: GetWebhook :one
SELECT * FROM webhooks WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: ListWebhooks :many
SELECT * FROM webhooks WHERE user_id = $1 AND mode = $2 ORDER BY id DESC;

-- name: UpdateWebhook :execrows
UPDATE webhooks SET
    url = $4, events = $5, secret = $6, is_active = $7, previous_secret = $8,
    previous_secret_expires_at = $9, updated_at = $10, disabled_reason = $11
WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: DeleteWebhook :execrows
DELETE FROM webhooks WHERE id = $1 AND user_id = $2 AND mode = $3;
