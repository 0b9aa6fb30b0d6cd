-- name: CreateAttempt :execrows
-- CreateAttempt inserts nothing (0 rows) when the part already has an attempt, rather than
-- failing: a run's first attempt is written without reading first, and on PostgreSQL a
-- failed statement would end the transaction.
INSERT INTO publish_attempts (
    post_id, platform, segment, user_id, mode, state, idempotency_key, owner, tries,
    ref_id, ref_url, ref_cid, error, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (post_id, platform, segment) DO NOTHING;

-- name: ListAttempts :many
SELECT * FROM publish_attempts
WHERE post_id = ? AND platform = ? AND user_id = ? AND mode = ?
ORDER BY segment;

-- name: UpdateAttempt :execrows
-- UpdateAttempt is a compare-and-set: it changes the row only while it is still the
-- version the caller read (state, owner and tries), so of two racing writers one wins.
UPDATE publish_attempts SET
    state = sqlc.arg(state), idempotency_key = sqlc.arg(idempotency_key), owner = sqlc.arg(owner),
    tries = sqlc.arg(tries), ref_id = sqlc.arg(ref_id), ref_url = sqlc.arg(ref_url),
    ref_cid = sqlc.arg(ref_cid), error = sqlc.arg(error), updated_at = sqlc.arg(updated_at)
WHERE post_id = sqlc.arg(post_id) AND platform = sqlc.arg(platform) AND segment = sqlc.arg(segment)
  AND user_id = sqlc.arg(user_id) AND mode = sqlc.arg(mode)
  AND state = sqlc.arg(from_state) AND owner = sqlc.arg(from_owner) AND tries = sqlc.arg(from_tries);
