package db

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Ping checks that the database answers, for readiness (GET /readyz).
func (d *DB) Ping(ctx context.Context) error {
	switch d.Engine {
	case EngineSQLite:
		return d.SQLite.PingContext(ctx)
	case EnginePostgres:
		return d.Postgres.Ping(ctx)
	}
	return fmt.Errorf("db: unknown engine %q", d.Engine)
}

// PendingMigrations lists the migration files this binary carries that the database has
// not had yet, in the order Migrate would apply them: empty when the schema is current.
// Readiness uses it: an instance whose schema is behind (another instance still migrating,
// or a missed migrate) must not take traffic. A database never migrated has no
// schema_migrations table: that is an error, which readiness reports the same way.
func (d *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	dir := path.Join("migrations", string(d.Engine))
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("db: pending migrations: %w", err)
	}
	var pending []string
	for _, e := range entries {
		version := strings.TrimSuffix(e.Name(), ".sql")
		var n int
		switch d.Engine {
		case EngineSQLite:
			err = d.SQLite.QueryRowContext(ctx, migrationApplied, version).Scan(&n)
		case EnginePostgres:
			err = d.Postgres.QueryRow(ctx, migrationApplied, version).Scan(&n)
		}
		if err != nil {
			return nil, fmt.Errorf("db: pending migrations: %w", err)
		}
		if n == 0 {
			pending = append(pending, version)
		}
	}
	return pending, nil
}
