package postgres_test

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
	_, err := d.Postgres.Exec(ctx, `
		INSERT INTO posts (id, user_id, mode, content, platforms, status, media, platform_results, created_at, updated_at)
		SELECT format('post_%s', lpad(i::text, 26, '0')), format('usr_%s', lpad((i % $1::int)::text, 2, '0')), 'live',
		       'Post number ' || i,
		       jsonb_build_array((ARRAY['twitter', 'bluesky', 'mastodon', 'linkedin'])[i % 4 + 1]),
		       (ARRAY['draft', 'scheduled', 'published', 'failed'])[i / $1::int % 4 + 1],
		       '{"images": [], "video": null}', '{}', now(), now()
		FROM generate_series(0, $1::int * $2::int - 1) AS i`, users, perUser)
	require.NoError(tb, err)
}
