package sqlite_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestListPostsPlan checks that both post listings search an index from the cursor
// downwards, with no sort, so that a page costs the same however deep it is. The table
// holds many users' posts, interleaved, and has statistics (ANALYZE), as a long-running
// database would.
func TestListPostsPlan(t *testing.T) {
	t.Parallel()
	d := openDB(t)
	ctx := t.Context()
	seedPosts(t, d, 20, 5000)
	_, err := d.SQLite.ExecContext(t.Context(), "ANALYZE")
	require.NoError(t, err)

	for _, name := range []string{"ListPosts", "ListPostsByStatus"} {
		t.Run(name, func(t *testing.T) {
			query, params := namedQuery(t, "posts.sql", name)
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
			require.Regexp(t, `SEARCH posts USING INDEX posts_scope(_status)?_id \(user_id=\? AND mode=\? (AND status=\? )?AND id<\?\)`, text)
			require.NotContains(t, text, "TEMP B-TREE", text)
		})
	}
}

// namedQuery returns the text of a query in db/queries/sqlite/<file> with its
// sqlc.arg(name) parameters numbered the way sqlc numbers them (in order of first use),
// and the number of parameters (of ?s, for a query written with them).
func namedQuery(t *testing.T, file, name string) (string, int) {
	t.Helper()
	src, err := os.ReadFile("../queries/sqlite/" + file)
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
		numbers := map[string]int{}
		query := regexp.MustCompile(`sqlc\.arg\((\w+)\)`).ReplaceAllStringFunc(strings.Join(lines, "\n"), func(p string) string {
			if _, ok := numbers[p]; !ok {
				numbers[p] = len(numbers) + 1
			}
			return fmt.Sprintf("?%d", numbers[p])
		})
		if len(numbers) == 0 {
			// Written with ? (sqlc's positional form): one argument each.
			return strings.TrimSuffix(query, ";"), strings.Count(query, "?")
		}
		return strings.TrimSuffix(query, ";"), len(numbers)
	}
	t.Fatalf("no query %s in %s", name, file)
	return "", 0
}
