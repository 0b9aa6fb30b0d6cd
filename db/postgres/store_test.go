package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/db/storetest"
	"github.com/octopost/octopost/service"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) service.Store { return openDB(t) })
}

// openDB opens a migrated database of its own, closed when t ends.
func openDB(t testing.TB) *db.DB {
	t.Helper()
	dsn := pgtest.New(t)
	d, err := db.Open(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	require.NoError(t, d.Migrate(t.Context()))
	return d
}
