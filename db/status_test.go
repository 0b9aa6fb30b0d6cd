package db_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPendingMigrationsAndPing holds readiness's view of the database to the runner's: a
// migrated database has nothing pending, one whose record of a file is gone lists exactly
// that file, one never migrated is an error, and a closed database does not answer.
func TestPendingMigrationsAndPing(t *testing.T) {
	t.Parallel()
	for name, url := range map[string]func(t *testing.T) string{"SQLite": sqliteURL, "Postgres": postgresURL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			d := open(t, url(t))
			require.NoError(t, d.Ping(ctx))
			_, err := d.PendingMigrations(ctx)
			require.Error(t, err, "never migrated")

			require.NoError(t, d.Migrate(ctx))
			pending, err := d.PendingMigrations(ctx)
			require.NoError(t, err)
			require.Empty(t, pending)

			versions := appliedVersions(t, d)
			require.NotEmpty(t, versions)
			last := versions[len(versions)-1]
			switch name {
			case "SQLite":
				_, err = d.SQLite.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = $1`, last)
			default:
				_, err = d.Postgres.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, last)
			}
			require.NoError(t, err)
			pending, err = d.PendingMigrations(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{last}, pending)
		})
	}
}
