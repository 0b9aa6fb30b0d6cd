-- Rate-limit tiers and counters (service/ratelimit.go).

-- name: GetUserTier :one
SELECT tier FROM users WHERE id = $1;

-- name: SetUserTier :execrows
UPDATE users SET tier = sqlc.arg(tier) WHERE id = sqlc.arg(id);

-- name: CountRequests :one
-- One atomic statement per reservation: the insert or the increment by n, and the count
-- it produced. Concurrent upserts of one row serialize on its lock, so each sees the
-- count its own increment made, across every instance.
INSERT INTO rate_limit_windows (bucket, window_start, count, expires_at)
VALUES (sqlc.arg(bucket), sqlc.arg(window_start), sqlc.arg(n)::bigint, sqlc.arg(expires_at))
ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + excluded.count
RETURNING count;

-- name: DeleteExpiredRateWindows :exec
DELETE FROM rate_limit_windows WHERE expires_at < $1;
