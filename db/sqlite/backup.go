package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database behind pool to the new file path, with
// VACUUM INTO: it reads the database in one read transaction, so writers (a server running
// on the same file, in WAL mode) go on while it runs, and the copy is the database as of
// one moment, compacted, with every committed transaction of the WAL in it. The file is
// created here, readable by its owner only like the database itself, and must not exist:
// a backup never overwrites anything. A failed backup leaves no file behind.
func Backup(ctx context.Context, pool *sql.DB, path string) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	// SQLite writes into an empty file as into a new one.
	if _, err := pool.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("VACUUM INTO %s: %w", path, err)
	}
	// The copy is on disk before anyone is told it is there.
	f, err = os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
