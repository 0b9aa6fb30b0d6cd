-- name: CreateUser :exec
INSERT INTO users (id, email, created_at) VALUES (?, ?, ?);

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = ?;

-- name: HasUsers :one
SELECT EXISTS (SELECT 1 FROM users) AS has_users;

-- name: CreateFirstUser :execrows
-- Inserts only while the table is empty. Run inside a write transaction (BEGIN IMMEDIATE
-- holds SQLite's one write lock from its start), so no other insert can slip in between
-- the check and the insert.
INSERT INTO users (id, email, password_hash, created_at)
SELECT sqlc.arg(id), sqlc.arg(email), sqlc.arg(password_hash), sqlc.arg(created_at)
WHERE NOT EXISTS (SELECT 1 FROM users);

-- name: SetUserPassword :execrows
UPDATE users SET password_hash = sqlc.arg(password_hash) WHERE id = sqlc.arg(id);
