-- The queue's sweep (service/queue_fire.go).

-- name: QueueScopes :many
-- The scopes with an approved queued post, read from posts_queued_scopes alone.
SELECT DISTINCT user_id, mode FROM posts WHERE queue_state = 'queued' ORDER BY user_id, mode;

-- name: OldestQueuedPostForUpdate :one
-- The scope's first approved queued post, from the queue's index in order, locked until
-- the transaction ends. A sweep that waited for another's lock on the same post finds it
-- out of the queue and skips it (PostgreSQL re-checks the condition, then takes the next
-- row in order): it gets the next queued post, if any, and then fails to claim the slot,
-- which the other sweep claimed.
SELECT * FROM posts
WHERE user_id = $1 AND mode = $2 AND queue_state = 'queued'
ORDER BY queued_at, id
LIMIT 1
FOR UPDATE;

-- name: ClaimQueueSlot :execrows
-- One row when the slot was free, none when it was already claimed (a concurrent claim
-- waits for the first to commit or roll back).
INSERT INTO queue_slots (user_id, mode, slot_at, post_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id, mode, slot_at) DO NOTHING;

-- name: DeleteQueueSlotsBefore :exec
DELETE FROM queue_slots WHERE slot_at < $1;
