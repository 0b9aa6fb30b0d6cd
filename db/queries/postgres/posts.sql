-- name: CreatePost :exec
INSERT INTO posts (
    id, user_id, mode, content, platforms, status, scheduled_for, media, segments, preset_id,
    platform_results, created_at, updated_at, published_at, generation, platform_options,
    platform_content, queue_state, queued_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19);

-- name: GetPost :one
SELECT * FROM posts WHERE id = $1 AND user_id = $2 AND mode = $3;

-- name: GetPostForUpdate :one
SELECT * FROM posts WHERE id = $1 AND user_id = $2 AND mode = $3 FOR UPDATE;

-- name: ListPosts :many
-- ListPosts walks an index backwards from before_id (a value above every id for the first
-- page), so a page costs the same however deep it is: posts_scope_id, or the primary key
-- when the planner expects the scope to be most of the table. The platform filter is
-- checked on the rows the index yields; an empty platform matches every post.
SELECT * FROM posts
WHERE user_id = @user_id AND mode = @mode AND id < @before_id
  AND (@platform::text = '' OR platforms @> jsonb_build_array(@platform::text))
ORDER BY id DESC
LIMIT @page_size;

-- name: ListPostsByStatus :many
-- ListPostsByStatus is ListPosts for one status, on posts_scope_status_id (or the primary key).
SELECT * FROM posts
WHERE user_id = @user_id AND mode = @mode AND status = @status AND id < @before_id
  AND (@platform::text = '' OR platforms @> jsonb_build_array(@platform::text))
ORDER BY id DESC
LIMIT @page_size;

-- name: UpdatePost :exec
-- It fails (division by zero, SQLSTATE 22012) when no row matched, so that inside a
-- transaction whose writes are sent with its next statement or its COMMIT (db/postgres/tx.go)
-- a write that changed nothing aborts the transaction, and the COMMIT sent with it rolls back.
WITH updated AS (
    UPDATE posts SET
        content = $4, platforms = $5, status = $6, scheduled_for = $7, media = $8, segments = $9,
        preset_id = $10, platform_results = $11, updated_at = $12, published_at = $13,
        generation = $14, platform_options = $15, platform_content = $16, queue_state = $17,
        queued_at = $18
    WHERE id = $1 AND user_id = $2 AND mode = $3
    RETURNING 1
)
SELECT 1 / count(*) FROM updated;

-- name: DeletePost :execrows
DELETE FROM posts WHERE id = $1 AND user_id = $2 AND mode = $3;
