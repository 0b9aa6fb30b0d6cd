package sqlite_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQueueSweepPlan checks that what the queue's sweep reads every 15 seconds costs the
// queued posts, not the table: the scopes with a queue come from the partial index of the
// approved queued posts alone, and a scope's oldest queued post is the first entry of its
// range of posts_scope_queue, with no sort. A post's position reads the queue's ids from
// that index alone, none of the posts' rows.
func TestQueueSweepPlan(t *testing.T) {
	t.Parallel()
	d := openDB(t)
	ctx := t.Context()
	seedPosts(t, d, 20, 2000)
	// Every 50th post is queued, one in three of those still pending.
	_, err := d.SQLite.ExecContext(ctx, `UPDATE posts
		SET status = 'queued', queued_at = created_at,
		    queue_state = CASE WHEN rowid % 3 = 0 THEN 'pending' ELSE 'queued' END
		WHERE rowid % 50 = 0`)
	require.NoError(t, err)
	_, err = d.SQLite.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)

	for name, want := range map[string]string{
		"queue_slots.sql QueueScopes":      `SCAN posts USING COVERING INDEX posts_queued_scopes`,
		"queue_slots.sql OldestQueuedPost": `SEARCH posts USING INDEX posts_scope_queue \(user_id=\? AND mode=\? AND queue_state=\?\)`,
		"queue.sql ListQueueIDs":           `SEARCH posts USING COVERING INDEX posts_scope_queue \(user_id=\? AND mode=\? AND queue_state=\?\)`,
	} {
		t.Run(name, func(t *testing.T) {
			file, query, _ := strings.Cut(name, " ")
			query, params := namedQuery(t, file, query)
			rows, err := d.SQLite.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, make([]any, params)...)
			require.NoError(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Err())
			text := strings.Join(plan, "\n")
			require.Regexp(t, want, text)
			require.NotContains(t, text, "TEMP B-TREE", text)
		})
	}
}
