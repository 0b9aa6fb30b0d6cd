-- name: CreatePost :exec
INSERT INTO posts (
    id, user_id, mode, content, platforms, status, scheduled_for, media, segments, preset_id,
    platform_results, created_at, updated_at, published_at, generation, platform_options,
    platform_content, queue_state, queued_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetPost :one
SELECT * FROM posts WHERE id = ? AND user_id = ? AND mode = ?;

-- name: ListPosts :many
-- ListPosts walks posts_scope_id backwards from before_id (a value above every id for the
-- first page), so a page costs the same however deep it is. The platform filter is checked
-- on the rows the index yields; an empty platform matches every post.
SELECT * FROM posts
WHERE user_id = sqlc.arg(user_id) AND mode = sqlc.arg(mode) AND id < sqlc.arg(before_id)
  AND (CAST(sqlc.arg(platform) AS TEXT) = '' OR EXISTS (SELECT 1 FROM json_each(posts.platforms) WHERE json_each.value = sqlc.arg(platform)))
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: ListPostsByStatus :many
-- ListPostsByStatus is ListPosts for one status, on posts_scope_status_id.
SELECT * FROM posts
WHERE user_id = sqlc.arg(user_id) AND mode = sqlc.arg(mode) AND status = sqlc.arg(status) AND id < sqlc.arg(before_id)
  AND (CAST(sqlc.arg(platform) AS TEXT) = '' OR EXISTS (SELECT 1 FROM json_each(posts.platforms) WHERE json_each.value = sqlc.arg(platform)))
ORDER BY id DESC
LIMIT sqlc.arg(page_size);

-- name: UpdatePost :execrows
UPDATE posts SET
    content = ?, platforms = ?, status = ?, scheduled_for = ?, media = ?, segments = ?,
    preset_id = ?, platform_results = ?, updated_at = ?, published_at = ?, generation = ?,
    platform_options = ?, platform_content = ?, queue_state = ?, queued_at = ?
WHERE id = ? AND user_id = ? AND mode = ?;

-- name: DeletePost :execrows
DELETE FROM posts WHERE id = ? AND user_id = ? AND mode = ?;
