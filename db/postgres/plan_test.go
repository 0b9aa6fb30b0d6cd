package postgres_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db/internal/codec"
)

// TestListPostsPlan checks that both post listings walk an index backwards from the
// cursor, with no sort, so that a page costs the same however deep it is. Which index is
// the planner's choice: the scope's (user_id, mode[, status], id) index, or the primary
// key filtered by scope when the scope is a large part of the table. PostgreSQL may plan
// a prepared statement once for any parameters (a generic plan), so it checks that plan
// as well as the one for the actual values.
func TestListPostsPlan(t *testing.T) {
	t.Parallel()
	d := openDB(t)
	ctx := t.Context()

	// Posts of 20 users, interleaved, so that the planner sees a table where one scope is
	// a small part, as in production.
	const users, perUser = 20, 5000
	seedPosts(t, d, users, perUser)
	_, err := d.Postgres.Exec(ctx, "ANALYZE posts")
	require.NoError(t, err)

	// Halfway down usr_00's posts.
	cursor := fmt.Sprintf("post_%026d", users*perUser/2)
	for _, tc := range []struct {
		query string
		args  []any
	}{
		{"ListPosts", []any{"usr_00", "live", codec.FirstPage, "", 20}},
		{"ListPosts", []any{"usr_00", "live", cursor, "twitter", 20}},
		{"ListPostsByStatus", []any{"usr_00", "live", "published", codec.FirstPage, "", 20}},
		{"ListPostsByStatus", []any{"usr_00", "live", "draft", cursor, "bluesky", 20}},
	} {
		for _, planCache := range []string{"force_custom_plan", "force_generic_plan"} {
			t.Run(tc.query+"/"+planCache, func(t *testing.T) {
				var plan []string
				err := pgx.BeginFunc(ctx, d.Postgres, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = "+planCache); err != nil {
						return err
					}
					rows, err := tx.Query(ctx, "EXPLAIN "+namedQuery(t, tc.query), tc.args...)
					if err != nil {
						return err
					}
					plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
					return err
				})
				require.NoError(t, err)

				text := strings.Join(plan, "\n")
				require.Regexp(t, `Index Scan Backward using (posts_pkey|posts_scope_id|posts_scope_status_id) on posts`, text)
				require.Regexp(t, `Index Cond: .*\(id < `, text)
				require.NotContains(t, text, "Sort", text)
			})
		}
	}
}

// namedQuery returns the text of a query in db/queries/postgres/posts.sql, with its
// @name parameters numbered the way sqlc numbers them (in order of first use).
func namedQuery(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile("../queries/postgres/posts.sql")
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
		return strings.TrimSuffix(regexp.MustCompile(`@(\w+)`).ReplaceAllStringFunc(strings.Join(lines, "\n"), func(p string) string {
			if _, ok := numbers[p]; !ok {
				numbers[p] = len(numbers) + 1
			}
			return fmt.Sprintf("$%d", numbers[p])
		}), ";")
	}
	t.Fatalf("no query %s in posts.sql", name)
	return ""
}
