package sqlite_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQueueSweepPlan checks that what the queue's sweep reads every 15 seconds costs the
// queued posts, not the table: the scopes with a queue come from the partial index of the
// approved queued posts alone, and a scope's oldest queued post is the first entry of its
// range of posts_scope_queue, with no sort.
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
		"QueueScopes":      `SCAN posts USING COVERING INDEX posts_queued_scopes`,
		"OldestQueuedPost": `SEARCH posts USING INDEX posts_scope_queue \(user_id=\? AND mode=\? AND queue_state=\?\)`,
	} {
		t.Run(name, func(t *testing.T) {
			query, params := sweepQuery(t, name)
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

// sweepQuery returns the text of a query in db/queries/sqlite/queue_slots.sql, and its
// number of parameters (all written ?).
func sweepQuery(t *testing.T, name string) (string, int) {
	t.Helper()
	src, err := os.ReadFile("../queries/sqlite/queue_slots.sql")
	require.NoError(t, err)
	for block := range strings.SplitSeq(string(src), "-- name: ") {
		if !strings.HasPrefix(block, name+" ") {
			continue
		}
		var lines []string
		for line := range strings.SplitSeq(block, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "--") && !strings.HasPrefix(line, name+" ") {
				lines = append(lines, line)
			}
		}
		query := strings.TrimSuffix(strings.Join(lines, "\n"), ";")
		return query, strings.Count(query, "?")
	}
	t.Fatalf("no query %s in queue_slots.sql", name)
	return "", 0
}
