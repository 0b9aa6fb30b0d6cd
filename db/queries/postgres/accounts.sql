-- name: CreateAccount :exec
INSERT INTO accounts (
    id, user_id, mode, platform, platform_user_id, username, display_name, avatar_url,
    is_active, connected_at, last_used_at, credentials, simulate, inactive_reason
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: GetAccountForUpdate :one
-- GetAccountForUpdate locks the account's row for the rest of the transaction. A lock
-- that had to wait returns the row as the transaction it waited for left it.
SELECT * FROM accounts WHERE id = $1 AND user_id = $2 AND mode = $3 FOR UPDATE;

-- name: ListAccounts :many
SELECT * FROM accounts WHERE user_id = $1 AND mode = $2 ORDER BY id;

-- name: ActiveAccount :one
-- ActiveAccount reads accounts_scope_platform_active backwards from its newest entry.
SELECT * FROM accounts
WHERE user_id = $1 AND mode = $2 AND platform = $3 AND is_active
ORDER BY connected_at DESC, id DESC
LIMIT 1;

-- name: UpdateAccount :exec
-- Like UpdatePost, it fails when no row matched (see there).
WITH updated AS (
    UPDATE accounts SET
        platform_user_id = $4, username = $5, display_name = $6, avatar_url = $7, is_active = $8,
        last_used_at = $9, credentials = $10, simulate = $11, inactive_reason = $12
    WHERE id = $1 AND user_id = $2 AND mode = $3
    RETURNING 1
)
SELECT 1 / count(*) FROM updated;

-- name: DeleteAccount :execrows
DELETE FROM accounts WHERE id = $1 AND user_id = $2 AND mode = $3;
