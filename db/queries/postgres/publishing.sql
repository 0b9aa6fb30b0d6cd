-- name: CreateAttempt :execrows
-- CreateAttempt inserts nothing (0 rows) when the part already has an attempt, rather than
-- failing: a run's first attempt is written without reading first, and on PostgreSQL a
-- failed statement would end the transaction.
INSERT INTO publish_attempts (
    post_id, platform, segment, user_id, mode, state, idempotency_key, owner, tries,
    ref_id, ref_url, ref_cid, error, updated_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (post_id, platform, segment) DO NOTHING;

-- name: ListAttempts :many
SELECT * FROM publish_attempts
WHERE post_id = $1 AND platform = $2 AND user_id = $3 AND mode = $4
ORDER BY segment;

-- name: UpdateAttempt :exec
-- UpdateAttempt is a compare-and-set: it changes the row only while it is still the
-- version the caller read (state, owner and tries), so of two racing writers one wins.
-- The loser's statement fails, like UpdatePost's when no row matched (see there): a lost
-- compare-and-set aborts its transaction, even when sent with the COMMIT.
WITH updated AS (
    UPDATE publish_attempts SET
        state = @state, idempotency_key = @idempotency_key, owner = @owner, tries = @tries,
        ref_id = @ref_id, ref_url = @ref_url, ref_cid = @ref_cid, error = @error,
        updated_at = @updated_at
    WHERE post_id = @post_id AND platform = @platform AND segment = @segment
      AND user_id = @user_id AND mode = @mode
      AND state = @from_state AND owner = @from_owner AND tries = @from_tries
    RETURNING 1
)
SELECT 1 / count(*) FROM updated;
