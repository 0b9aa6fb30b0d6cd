// Package db opens Octopost's database, SQLite or PostgreSQL, migrates it, and hands out
// the service.Store for it. The stores themselves live in db/sqlite and db/postgres, and
// both pass the same conformance suite, db/storetest.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/octopost/octopost/db/postgres"
	"github.com/octopost/octopost/db/sqlite"
	"github.com/octopost/octopost/service"
)

// Engine names a database engine.
type Engine string

const (
	EngineSQLite   Engine = "sqlite"
	EnginePostgres Engine = "postgres"
)

// DefaultSQLiteFile is the database Open uses when it is given no URL.
const DefaultSQLiteFile = "octopost.db"

// DB is an open database: the service.Store on it, and the underlying pool for the
// engine in use (for River, which needs the pool itself).
type DB struct {
	service.Store
	Engine   Engine
	SQLite   *sql.DB       // set when Engine == EngineSQLite
	Postgres *pgxpool.Pool // set when Engine == EnginePostgres

	// Tightened lists the SQLite files whose permissions Open narrowed to 0600, for the
	// caller to log: they were readable by other users of the machine.
	Tightened []string

	sqliteStore *sqlite.Store // holds prepared statements on SQLite, closed with it
}

// Open connects to the database named by url:
//
//   - "" is the SQLite file octopost.db in the working directory;
//   - "sqlite:<path>" is the SQLite file at path, created if missing;
//   - "postgres://…" or "postgresql://…" is a PostgreSQL database (a libpq URL, as pgx
//     parses it).
//
// It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case url == "":
		return openSQLite(ctx, DefaultSQLiteFile)
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite:"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	}
	// Name only the scheme: the rest of a URL may hold a password.
	scheme, _, _ := strings.Cut(url, ":")
	return nil, fmt.Errorf(`db: unsupported database URL (scheme %q): want "" for ./%s, "sqlite:<path>", or "postgres://…"`,
		scheme, DefaultSQLiteFile)
}

// sqliteOptions are set on every connection. WAL lets readers run beside the one writer;
// busy_timeout makes a writer wait for the lock instead of failing; _txlock=immediate
// takes the write lock at BEGIN, so two transactions that read then write cannot
// deadlock upgrading their locks; synchronous=NORMAL is durable under WAL except for the
// last transactions before a power loss.
const sqliteOptions = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// SQLiteDSN is the modernc.org/sqlite data source name, with Octopost's connection
// settings, for the database file at path. Every connection to the file uses it, the
// store's and the publishing queue's alike.
func SQLiteDSN(path string) string { return path + "?" + sqliteOptions }

func openSQLite(ctx context.Context, path string) (*DB, error) {
	switch {
	case path == "":
		return nil, errors.New(`db: "sqlite:" needs a file path, e.g. "sqlite:/var/lib/octopost/octopost.db"`)
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		// An in-memory database is private to one connection, and the store uses a pool.
		return nil, fmt.Errorf("db: %q: give SQLite a file path (in-memory and file: URI databases are not supported)", path)
	case strings.ContainsRune(path, '?'):
		return nil, fmt.Errorf("db: SQLite path %q must not contain '?'", path)
	}
	tightened, err := privateFiles(path)
	if err != nil {
		return nil, err
	}
	pool, err := OpenSQLitePool(path)
	if err != nil {
		return nil, fmt.Errorf("db: open SQLite %s: %w", path, err)
	}
	// Each connection keeps its own page cache: bound the pool, and keep idle connections
	// open so the cache stays warm.
	n := max(4, runtime.GOMAXPROCS(0))
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: open SQLite %s: %w", path, err)
	}
	store := sqlite.New(pool)
	return &DB{Store: store, Engine: EngineSQLite, SQLite: pool, Tightened: tightened, sqliteStore: store}, nil
}

// privateMode is the mode of the SQLite files, which hold webhook signing secrets and
// sealed credentials: the owner's only, like the credentials key file.
const privateMode fs.FileMode = 0o600

// othersMode are the permission bits of the group and of everyone else.
const othersMode fs.FileMode = 0o077

// privateFiles makes the SQLite database at path, and its -wal and -shm files where they
// exist, readable by their owner only, and returns the files whose modes it narrowed (it
// clears the group's and others' bits, so 0644 becomes 0600).
//
// SQLite would create the database 0644 (less the umask), so a missing one is created
// here first, 0600. SQLite gives the -wal and -shm files it creates later the database
// file's own permissions, so they are private by construction; the ones it finds are
// left from a server that ran before this rule, like a database created then, and are
// tightened.
func privateFiles(path string) ([]string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, privateMode)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("db: create SQLite %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("db: create SQLite %s: %w", path, err)
	}
	var tightened []string
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("db: SQLite %s: %w", name, err)
		}
		perm := info.Mode().Perm()
		if perm&othersMode == 0 {
			continue
		}
		if err := os.Chmod(name, perm&^othersMode); err != nil {
			return nil, fmt.Errorf("db: SQLite %s is readable by other users (mode %v) and could not be made private: %w",
				name, info.Mode().Perm(), err)
		}
		tightened = append(tightened, name)
	}
	return tightened, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		// pgx's parse errors redact the password.
		return nil, fmt.Errorf("db: open PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: open PostgreSQL: %w", err)
	}
	return &DB{Store: postgres.New(pool), Engine: EnginePostgres, Postgres: pool}, nil
}

// Close closes the store and the pool.
func (d *DB) Close() error {
	switch d.Engine {
	case EngineSQLite:
		return errors.Join(d.sqliteStore.Close(), d.SQLite.Close())
	case EnginePostgres:
		d.Postgres.Close()
	}
	return nil
}
