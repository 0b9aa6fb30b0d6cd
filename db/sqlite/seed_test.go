package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
)

// seedPosts stores users users, usr_00, usr_01, …, and perUser live posts for each,
// interleaved, with ids in creation order, four statuses and four platforms taking turns.
// One INSERT … SELECT writes them all: 100,000 posts take about a second.
func seedPosts(tb testing.TB, d *db.DB, users, perUser int) {
	tb.Helper()
	ctx := tb.Context()
	for i := range users {
		require.NoError(tb, d.CreateUser(ctx, service.User{ID: fmt.Sprintf("usr_%02d", i), Email: fmt.Sprintf("u%d@example.com", i)}))
	}
	_, err := d.SQLite.ExecContext(ctx, `
		WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1 * ?2)
		INSERT INTO posts (id, user_id, mode, content, platforms, status, media, platform_results, created_at, updated_at)
		SELECT printf('post_%026d', i), printf('usr_%02d', i % ?1), 'live', 'Post number ' || i,
		       json_array(CASE i % 4 WHEN 0 THEN 'twitter' WHEN 1 THEN 'bluesky' WHEN 2 THEN 'mastodon' ELSE 'linkedin' END),
		       CASE i / ?1 % 4 WHEN 0 THEN 'draft' WHEN 1 THEN 'scheduled' WHEN 2 THEN 'published' ELSE 'failed' END,
		       '{"images":[],"video":null}', '{}', '2026-04-03T12:00:00.000000Z', '2026-04-03T12:00:00.000000Z'
		FROM n`, users, perUser)
	require.NoError(tb, err)
}
