-- name: GetQueueSettings :one
SELECT * FROM queue_settings WHERE user_id = $1 AND mode = $2;

-- name: PutQueueSettings :exec
INSERT INTO queue_settings (user_id, mode, timezone, active_hours, interval_minutes, updated_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, mode) DO UPDATE SET
    timezone = excluded.timezone, active_hours = excluded.active_hours,
    interval_minutes = excluded.interval_minutes, updated_at = excluded.updated_at;

-- name: ListQueue :many
-- ListQueue reads the approved queue in order, on posts_scope_queue: one range, however
-- many pending posts sit beside it.
SELECT * FROM posts
WHERE user_id = @user_id AND mode = @mode AND queue_state = 'queued'
ORDER BY queued_at, id
LIMIT @page_size;

-- name: ListQueueIDs :many
-- ListQueueIDs reads the approved queue's ids in order, from posts_scope_queue alone: the
-- positions of a page of posts cost an index range, not the rows of the queue's posts.
SELECT id FROM posts
WHERE user_id = @user_id AND mode = @mode AND queue_state = 'queued'
ORDER BY queued_at, id
LIMIT @page_size;

-- name: LockQueue :exec
-- LockQueue keeps others from entering the scope's queue until the transaction ends (a
-- transaction-scoped advisory lock on the scope), so that the count that bounds it stays
-- true until the post it admits is written.
SELECT pg_advisory_xact_lock(hashtextextended(@user_id::text || ' ' || @mode::text, 0));

-- name: CountQueue :one
-- CountQueue counts queued and pending posts together, in two ranges of posts_scope_queue.
SELECT count(*) FROM posts
WHERE user_id = $1 AND mode = $2 AND queue_state IN ('queued', 'pending');
