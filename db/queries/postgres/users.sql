-- name: CreateUser :exec
INSERT INTO users (id, email, created_at) VALUES ($1, $2, $3);

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: HasUsers :one
SELECT EXISTS (SELECT 1 FROM users) AS has_users;

-- name: LockUsersForFirstUser :exec
-- Held until the transaction ends: it conflicts with itself and with every insert, so of
-- two first-user setups the second waits, then sees the first's user.
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

-- name: CreateFirstUser :execrows
-- Inserts only while the table is empty; run after LockUsersForFirstUser in the same
-- transaction, so that the check sees every user committed before it.
INSERT INTO users (id, email, password_hash, created_at)
SELECT @id::text, @email::text, @password_hash::text, @created_at::timestamptz
WHERE NOT EXISTS (SELECT 1 FROM users);

-- name: SetUserPassword :execrows
UPDATE users SET password_hash = @password_hash WHERE id = @id;
