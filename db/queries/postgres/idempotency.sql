-- Idempotency keys (service/idempotency.go).

-- name: ClaimIdempotencyKey :one
-- Inserts the claim, or takes over a row that expired or whose in-flight lease lapsed; one
-- statement, so of concurrent claims exactly one returns a row. The claim's created_at is now.
INSERT INTO idempotency_keys (user_id, mode, idem_key, fingerprint, token, state, created_at, expires_at, lease_until)
VALUES (sqlc.arg(user_id), sqlc.arg(mode), sqlc.arg(idem_key), sqlc.arg(fingerprint), sqlc.arg(token), 'in_flight',
        sqlc.arg(created_at), sqlc.arg(expires_at), sqlc.arg(lease_until))
ON CONFLICT (user_id, mode, idem_key) DO UPDATE SET
    fingerprint = excluded.fingerprint, token = excluded.token, state = 'in_flight',
    response_status = 0, response_header = NULL, response_body = NULL,
    created_at = excluded.created_at, expires_at = excluded.expires_at, lease_until = excluded.lease_until
WHERE idempotency_keys.expires_at <= excluded.created_at
   OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.lease_until <= excluded.created_at)
RETURNING token;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE user_id = $1 AND mode = $2 AND idem_key = $3;

-- name: CompleteIdempotencyKey :execrows
UPDATE idempotency_keys
SET state = 'done', response_status = sqlc.arg(response_status), response_header = sqlc.arg(response_header),
    response_body = sqlc.arg(response_body)
WHERE user_id = sqlc.arg(user_id) AND mode = sqlc.arg(mode) AND idem_key = sqlc.arg(idem_key)
  AND token = sqlc.arg(token) AND state = 'in_flight';

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys
WHERE user_id = $1 AND mode = $2 AND idem_key = $3 AND token = $4 AND state = 'in_flight';

-- name: DeleteExpiredIdempotencyKeys :exec
DELETE FROM idempotency_keys WHERE expires_at < $1;
