package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations holds the schema, one numbered file per change and engine. Files are applied
// in name order, each once; a file is never edited after it has shipped.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// The runner's own bookkeeping, the only SQL outside db/queries besides the migration
// files: sqlc generates code for queries on the schema, not for the runner that makes it.
const (
	createSQLiteMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT NOT NULL PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT`
	createPostgresMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)`
	// migrationApplied and recordMigration use $1, which both engines accept.
	migrationApplied = `SELECT count(*) FROM schema_migrations WHERE version = $1`
	recordMigration  = `INSERT INTO schema_migrations (version) VALUES ($1)`
	// lockMigrations serialises migrators on PostgreSQL until their transaction ends, so
	// instances that start together apply each file once. The key is arbitrary but fixed:
	// "octopost" read as a big-endian int64.
	lockMigrations = `SELECT pg_advisory_xact_lock(8026386982880899956)`
)

// Migrate applies, in order, every migration file the database has not had yet, each in
// its own transaction, and records it in schema_migrations. Running it again is a no-op.
func (d *DB) Migrate(ctx context.Context) error {
	dir := path.Join("migrations", string(d.Engine))
	entries, err := fs.ReadDir(migrations, dir) // sorted by name
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	for _, e := range entries {
		script, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("db: migrate: %w", err)
		}
		version := strings.TrimSuffix(e.Name(), ".sql")
		switch d.Engine {
		case EngineSQLite:
			err = d.migrateSQLite(ctx, version, string(script))
		case EnginePostgres:
			err = d.migratePostgres(ctx, version, string(script))
		}
		if err != nil {
			return fmt.Errorf("db: migrate %s: %w", version, err)
		}
	}
	return nil
}

// migrateSQLite applies one file. The connection begins transactions IMMEDIATE, which
// takes the database's write lock, so concurrent migrators run one after the other.
func (d *DB) migrateSQLite(ctx context.Context, version, script string) error {
	tx, err := d.SQLite.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op once committed
	if _, err := tx.ExecContext(ctx, createSQLiteMigrationsTable); err != nil {
		return err
	}
	var applied int
	if err := tx.QueryRowContext(ctx, migrationApplied, version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, recordMigration, version); err != nil {
		return err
	}
	return tx.Commit()
}

func (d *DB) migratePostgres(ctx context.Context, version, script string) error {
	return pgx.BeginFunc(ctx, d.Postgres, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockMigrations); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createPostgresMigrationsTable); err != nil {
			return err
		}
		var applied int
		if err := tx.QueryRow(ctx, migrationApplied, version).Scan(&applied); err != nil {
			return err
		}
		if applied > 0 {
			return nil
		}
		// No arguments: pgx sends the script with the simple protocol, which runs a file of
		// several statements.
		if _, err := tx.Exec(ctx, script); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, recordMigration, version)
		return err
	})
}
