-- name: GetEvent :one
SELECT * FROM events WHERE id = ? AND user_id = ? AND mode = ?;

-- name: CreateDelivery :exec
INSERT INTO webhook_deliveries (
    id, webhook_id, user_id, mode, event_id, event_type, state, attempts, last_status_code,
    last_error, last_attempt_at, next_attempt_at, created_at, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetDelivery :one
SELECT * FROM webhook_deliveries WHERE id = ? AND user_id = ? AND mode = ?;

-- name: ListDeliveries :many
-- ListDeliveries walks webhook_deliveries_webhook_id backwards from before_id (a value
-- above every id for the first page), so a page costs the same however deep it is.
SELECT * FROM webhook_deliveries
WHERE webhook_id = sqlc.arg(webhook_id) AND user_id = sqlc.arg(user_id) AND mode = sqlc.arg(mode)
  AND id < sqlc.arg(before_id)
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: UpdateDelivery :execrows
-- A compare-and-set on the state and attempts the caller read.
UPDATE webhook_deliveries SET
    state = sqlc.arg(state), attempts = sqlc.arg(attempts), last_status_code = sqlc.arg(last_status_code),
    last_error = sqlc.arg(last_error), last_attempt_at = sqlc.arg(last_attempt_at),
    next_attempt_at = sqlc.arg(next_attempt_at), updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id) AND user_id = sqlc.arg(user_id) AND mode = sqlc.arg(mode)
  AND state = sqlc.arg(from_state) AND attempts = sqlc.arg(from_attempts);

-- name: AddWebhookFailure :one
UPDATE webhooks SET consecutive_failures = consecutive_failures + 1
WHERE id = ? AND user_id = ? AND mode = ?
RETURNING consecutive_failures;

-- name: ResetWebhookFailures :exec
UPDATE webhooks SET consecutive_failures = 0
WHERE id = ? AND user_id = ? AND mode = ? AND consecutive_failures <> 0;

-- name: DisableWebhook :execrows
-- Only the first of several callers disabling an endpoint at once changes the row.
UPDATE webhooks SET is_active = 0, disabled_reason = ?, updated_at = ?
WHERE id = ? AND user_id = ? AND mode = ? AND is_active = 1;
