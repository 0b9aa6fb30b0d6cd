-- The queue's sweep (service/queue_fire.go).

-- name: QueueScopes :many
-- The scopes with an approved queued post, read from posts_queued_scopes alone.
SELECT DISTINCT user_id, mode FROM posts WHERE queue_state = 'queued' ORDER BY user_id, mode;

-- name: OldestQueuedPost :one
-- The scope's first approved queued post, from the queue's index in order.
SELECT * FROM posts
WHERE user_id = ? AND mode = ? AND queue_state = 'queued'
ORDER BY queued_at, id
LIMIT 1;

-- name: ClaimQueueSlot :execrows
-- One row when the slot was free, none when it was already claimed.
INSERT INTO queue_slots (user_id, mode, slot_at, post_id) VALUES (?, ?, ?, ?)
ON CONFLICT (user_id, mode, slot_at) DO NOTHING;

-- name: DeleteQueueSlotsBefore :exec
DELETE FROM queue_slots WHERE slot_at < ?;
