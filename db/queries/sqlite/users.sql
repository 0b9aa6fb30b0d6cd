-- name: CreateUser :exec
INSERT INTO users (id, email, created_at) VALUES (?, ?, ?);

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = ?;
