-- Rate-limit tiers (service/ratelimit.go). SQLite counts requests in the process.

-- name: GetUserTier :one
SELECT tier FROM users WHERE id = ?;

-- name: SetUserTier :execrows
UPDATE users SET tier = ? WHERE id = ?;
