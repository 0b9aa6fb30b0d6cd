-- name: CreateAccount :exec
INSERT INTO accounts (
    id, user_id, mode, platform, platform_user_id, username, display_name, avatar_url,
    is_active, connected_at, last_used_at, credentials, simulate, inactive_reason
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = ? AND user_id = ? AND mode = ?;

-- name: ListAccounts :many
SELECT * FROM accounts WHERE user_id = ? AND mode = ? ORDER BY id;

-- name: ActiveAccount :one
-- ActiveAccount reads accounts_scope_platform_active backwards from its newest entry.
SELECT * FROM accounts
WHERE user_id = ? AND mode = ? AND platform = ? AND is_active = 1
ORDER BY connected_at DESC, id DESC
LIMIT 1;

-- name: UpdateAccount :execrows
UPDATE accounts SET
    platform_user_id = ?, username = ?, display_name = ?, avatar_url = ?, is_active = ?,
    last_used_at = ?, credentials = ?, simulate = ?, inactive_reason = ?
WHERE id = ? AND user_id = ? AND mode = ?;

-- name: DeleteAccount :execrows
DELETE FROM accounts WHERE id = ? AND user_id = ? AND mode = ?;
