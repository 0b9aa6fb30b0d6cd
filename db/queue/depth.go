package queue

import (
	"context"
	"fmt"

	"github.com/octopost/octopost/db"
)

// DepthCap bounds how many waiting jobs Depth counts: a metrics scrape must cost the same
// with a million jobs waiting as with a thousand, and past this many the exact number no
// longer changes what an operator does.
const DepthCap = 100_000

// depthQuery counts River's waiting jobs by kind (the states of waitingStates), at most
// DepthCap of them, through River's index on state.
const depthQuery = `SELECT kind, count(*) FROM (
	SELECT kind FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'pending') LIMIT %d
) AS waiting GROUP BY kind`

// JobKinds are the kinds of the jobs Octopost enqueues.
func JobKinds() []string {
	return []string{publishArgs{}.Kind(), deliverArgs{}.Kind(), sweepArgs{}.Kind()}
}

// Depth counts the jobs waiting to run in d's River tables, by kind, at most DepthCap in
// all. It reads the table directly: River's API lists jobs but does not count them.
func Depth(ctx context.Context, d *db.DB) (map[string]int, error) {
	query := fmt.Sprintf(depthQuery, DepthCap)
	out := map[string]int{}
	switch d.Engine {
	case db.EngineSQLite:
		rows, err := d.SQLite.QueryContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var kind string
			var n int
			if err := rows.Scan(&kind, &n); err != nil {
				return nil, fmt.Errorf("queue depth: %w", err)
			}
			out[kind] = n
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
	case db.EnginePostgres:
		rows, err := d.Postgres.Query(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var kind string
			var n int64
			if err := rows.Scan(&kind, &n); err != nil {
				return nil, fmt.Errorf("queue depth: %w", err)
			}
			out[kind] = int(n)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
	default:
		return nil, fmt.Errorf("queue depth: unknown database engine %q", d.Engine)
	}
	return out, nil
}
