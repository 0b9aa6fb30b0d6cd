package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/octopost/octopost/db"
)

// Statements of the queue's own plumbing, like the migration runner's in package db: they
// locate and lock the database, and are not queries on Octopost's schema.
const (
	// mainDatabaseFile lists the files of a SQLite connection's databases, "main" first.
	mainDatabaseFile = `SELECT file FROM pragma_database_list WHERE name = 'main'`
	// lockRiverMigrations and unlockRiverMigrations serialise River's migrators on
	// PostgreSQL, so instances that start together apply each of River's migrations
	// once. River's migrations cannot all run in one transaction, so the lock is held by
	// a session. The key is arbitrary but fixed: "octorive" read as a big-endian int64.
	lockRiverMigrations   = `SELECT pg_advisory_lock(8026386982914061925)`
	unlockRiverMigrations = `SELECT pg_advisory_unlock(8026386982914061925)`
)

// openRiverSQLite opens River's own connection to the SQLite database of pool. River's
// SQLite driver runs its many background operations (fetching, completing, electing a
// leader, maintenance) one at a time on a single connection, as its documentation asks,
// so they do not compete with the store's pool for connections.
func openRiverSQLite(pool *sql.DB) (*sql.DB, error) {
	var file string
	if err := pool.QueryRow(mainDatabaseFile).Scan(&file); err != nil {
		return nil, fmt.Errorf("queue: locating the SQLite database: %w", err)
	}
	if file == "" {
		return nil, errors.New("queue: the SQLite database has no file (in-memory databases are not supported)")
	}
	riverDB, err := db.OpenSQLitePool(file)
	if err != nil {
		return nil, fmt.Errorf("queue: opening SQLite for River: %w", err)
	}
	riverDB.SetMaxOpenConns(1)
	return riverDB, nil
}

func migrateSQLite(ctx context.Context, riverDB *sql.DB) error {
	migrator, err := rivermigrate.New(riversqlite.New(riverDB), nil)
	if err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	return nil
}

func migratePostgres(ctx context.Context, pool *pgxpool.Pool) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, lockRiverMigrations); err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	defer func() {
		_, unlockErr := conn.Exec(context.WithoutCancel(ctx), unlockRiverMigrations)
		err = errors.Join(err, unlockErr)
	}()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	return nil
}
