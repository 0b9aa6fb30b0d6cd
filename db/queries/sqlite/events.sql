-- name: AddEvent :exec
INSERT INTO events (id, user_id, mode, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?);

-- name: ListEvents :many
SELECT * FROM events WHERE user_id = ? AND mode = ? ORDER BY id;
