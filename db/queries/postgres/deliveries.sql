-- name: GetEvent :one
SELECT * FROM events WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: CreateDelivery :exec
INSERT INTO webhook_deliveries (
    id, webhook_id, user_id, mode, event_id, event_type, state, attempts, last_status_code,
    last_error, last_attempt_at, next_attempt_at, created_at, updated_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: GetDelivery :one
SELECT * FROM webhook_deliveries WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: ListDeliveries :many
-- ListDeliveries walks webhook_deliveries_webhook_id backwards from before_id (a value
-- above every id for the first page), so a page costs the same however deep it is.
SELECT * FROM webhook_deliveries
WHERE webhook_id = @webhook_id AND user_id = @user_id AND mode = @mode AND id < @before_id
ORDER BY id DESC
LIMIT @page_size;

-- name: UpdateDelivery :execrows
-- A compare-and-set on the state and attempts the caller read.
UPDATE webhook_deliveries SET
    state = @state, attempts = @attempts, last_status_code = @last_status_code,
    last_error = @last_error, last_attempt_at = @last_attempt_at,
    next_attempt_at = @next_attempt_at, updated_at = @updated_at
WHERE id = @id AND user_id = @user_id AND mode = @mode
  AND state = @from_state AND attempts = @from_attempts;

-- name: AddWebhookFailure :one
UPDATE webhooks SET consecutive_failures = consecutive_failures + 1
WHERE id = $1 AND user_id = $2 AND mode = $3
RETURNING consecutive_failures;

-- name: ResetWebhookFailures :exec
UPDATE webhooks SET consecutive_failures = 0
WHERE id = $1 AND user_id = $2 AND mode = $3 AND consecutive_failures <> 0;

-- name: DisableWebhook :execrows
-- Only the first of several callers disabling an endpoint at once changes the row.
UPDATE webhooks SET is_active = false, updated_at = $1, disabled_reason = $5
WHERE id = $2 AND user_id = $3 AND mode = $4 AND is_active;
