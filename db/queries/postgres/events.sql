-- name: AddEvent :exec
INSERT INTO events (id, user_id, mode, type, data, created_at) VALUES ($1, $2, $3, $4, $5, $6);

-- name: ListEvents :many
SELECT * FROM events WHERE user_id = $1 AND mode = $2 ORDER BY id;
