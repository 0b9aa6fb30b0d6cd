package db_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// ourTables are the tables the migrations create, plus the runner's own.
var ourTables = []string{
	"accounts", "api_keys", "events", "idempotency_keys", "oauth_states", "posts", "presets", "publish_attempts",
	"queue_instances", "queue_settings", "queue_slots", "schema_migrations", "sessions", "sign_in_windows", "users", "webhook_deliveries", "webhooks",
}

// ourPostgresTables adds to ourTables the tables only PostgreSQL has: the rate-limit windows
// its instances share (SQLite counts in the process).
var ourPostgresTables = sortedUnion(ourTables, "rate_limit_windows")

func sortedUnion(a []string, more ...string) []string {
	out := append(append([]string(nil), a...), more...)
	slices.Sort(out)
	return out
}

// ourVersions are the migration files, in the order they apply.
var ourVersions = []string{
	"0001_init", "0002_accounts", "0003_publishing", "0004_queue_instances", "0005_oauth_states",
	"0006_post_platform_options", "0007_webhook_deliveries", "0008_ratelimit_idempotency",
	"0009_dashboard", "0010_queue", "0011_queue_slots", "0012_platform_content", "0013_reasons",
}

func TestMigrate(t *testing.T) {
	t.Parallel()

	for _, engine := range []struct {
		name   string
		url    func(t *testing.T) string
		tables func(t *testing.T, d *db.DB) []string
		want   []string
	}{
		{"SQLite", sqliteURL, sqliteTables, ourTables},
		{"Postgres", postgresURL, postgresTables, ourPostgresTables},
	} {
		t.Run(engine.name, func(t *testing.T) {
			t.Parallel()

			t.Run("CreatesTheTablesOnceAndRecordsEachFile", func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				d := open(t, engine.url(t))

				require.Empty(t, engine.tables(t, d))
				require.NoError(t, d.Migrate(ctx))
				require.Equal(t, engine.want, engine.tables(t, d))
				require.Equal(t, ourVersions, appliedVersions(t, d))

				// Again: a no-op, not an error from re-creating the tables.
				require.NoError(t, d.Migrate(ctx))
				require.Equal(t, ourVersions, appliedVersions(t, d))
			})

			t.Run("ConcurrentMigratorsApplyEachFileOnce", func(t *testing.T) {
				t.Parallel()
				url := engine.url(t)
				instances := []*db.DB{open(t, url), open(t, url), open(t, url)}

				var wg sync.WaitGroup
				errs := make([]error, len(instances))
				for i, d := range instances {
					wg.Go(func() { errs[i] = d.Migrate(t.Context()) })
				}
				wg.Wait()
				for _, err := range errs {
					require.NoError(t, err)
				}
				require.Equal(t, engine.want, engine.tables(t, instances[0]))
				require.Equal(t, ourVersions, appliedVersions(t, instances[0]))
			})
		})
	}
}

func TestOpen(t *testing.T) {
	t.Run("DefaultIsOctopostDBInTheWorkingDirectory", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		d := open(t, "")
		require.Equal(t, db.EngineSQLite, d.Engine)
		require.NotNil(t, d.SQLite)
		require.NoError(t, d.Migrate(t.Context()))
		require.FileExists(t, filepath.Join(dir, db.DefaultSQLiteFile))
	})

	t.Run("Postgres", func(t *testing.T) {
		d := open(t, pgtest.New(t))
		require.Equal(t, db.EnginePostgres, d.Engine)
		require.NotNil(t, d.Postgres)
		require.Nil(t, d.SQLite)
	})

	t.Run("Rejects", func(t *testing.T) {
		t.Parallel()
		for url, wantErr := range map[string]string{
			"mysql://root:hunter2@localhost/octopost": `unsupported database URL (scheme "mysql")`,
			"octopost.db":                         `unsupported database URL`,
			"sqlite:":                             `needs a file path`,
			"sqlite::memory:":                     `in-memory`,
			"sqlite:file:octopost.db?mode=memory": `in-memory`,
			"sqlite:/tmp/a?b.db":                  `must not contain '?'`,
		} {
			_, err := db.Open(context.Background(), url)
			require.ErrorContains(t, err, wantErr, url)
			require.NotContains(t, err.Error(), "hunter2")
		}
	})
}

func open(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

func sqliteURL(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "octopost.db")
}

func postgresURL(t *testing.T) string { return pgtest.New(t) }

func sqliteTables(t *testing.T, d *db.DB) []string {
	return queryStrings(t, d, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

func postgresTables(t *testing.T, d *db.DB) []string {
	return queryStrings(t, d, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)
}

func appliedVersions(t *testing.T, d *db.DB) []string {
	return queryStrings(t, d, `SELECT version FROM schema_migrations ORDER BY version`)
}

// queryStrings runs a query of one text column on either engine.
func queryStrings(t *testing.T, d *db.DB, query string) []string {
	t.Helper()
	var rows interface {
		Next() bool
		Scan(...any) error
		Err() error
	}
	switch d.Engine {
	case db.EngineSQLite:
		r, err := d.SQLite.QueryContext(t.Context(), query)
		require.NoError(t, err)
		defer r.Close()
		rows = r
	case db.EnginePostgres:
		r, err := d.Postgres.Query(t.Context(), query)
		require.NoError(t, err)
		defer r.Close()
		rows = r
	}
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}
