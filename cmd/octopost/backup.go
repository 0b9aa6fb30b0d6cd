package main

// How a backup is made and restored
//
// `octopost backup --to <file>` copies a SQLite database while serve may be running on
// it: the copy is made by SQLite itself (VACUUM INTO, in one read transaction), so it is
// the database as of one moment, never a torn file, and writers are not stopped. Account
// credentials and webhook secrets in it are sealed with the credentials key, so the key
// goes with it, to <file>.key (0600): without it the copy's accounts cannot publish. The
// key is as secret as the credentials themselves, and the command says so. When the key
// comes from OCTOPOST_SECRET_KEY instead, there is no file to copy, and the command says
// that the setting must be kept with the backup.
//
// Restoring is copying: stop serve, put the file and its key into a fresh data directory
// as <database> and <database>.key, start. PostgreSQL has its own tool, pg_dump; the
// command refuses it (exit 2) and says so, as the README does.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/sqlite"
)

func (c *cli) backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	to := fs.String("to", "", "the new file to write the copy to; its key goes to <file>.key")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *to == "" {
		return usagef("--to is required")
	}
	databaseURL, err := c.databaseURL()
	if err != nil {
		return err
	}
	if strings.HasPrefix(databaseURL, "postgres") {
		return usagef("backup copies SQLite databases; back PostgreSQL up with pg_dump (pg_dump --format=custom --file=octopost.dump \"$OCTOPOST_DATABASE_URL\"), and keep OCTOPOST_SECRET_KEY with the dump, apart from it")
	}
	source := sqlitePath(databaseURL)
	if _, err := os.Stat(source); errors.Is(err, os.ErrNotExist) {
		return usagef("no SQLite database at %s (OCTOPOST_DATABASE_URL)", source)
	}
	keyTo := *to + ".key"
	for _, path := range []string{*to, keyTo} {
		if _, err := os.Lstat(path); err == nil {
			return usagef("%s already exists; a backup never overwrites a file", path)
		}
	}

	d, err := db.Open(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := sqlite.Backup(ctx, d.SQLite, *to); err != nil {
		return fmt.Errorf("back up %s: %w", source, err)
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s\n", source, *to)

	if c.getenv("OCTOPOST_SECRET_KEY") != "" {
		fmt.Fprintf(c.stderr, "warning: the credentials in %s are sealed with OCTOPOST_SECRET_KEY: keep that key with this backup, and as secret as the credentials themselves, never on storage you do not trust\n", *to)
		return nil
	}
	keyFile := secretKeyFile(databaseURL)
	if err := copyKey(keyFile, keyTo); errors.Is(err, os.ErrNotExist) {
		// serve generates the key on its first start; a database it never ran on has
		// nothing sealed.
		fmt.Fprintf(c.stderr, "warning: no credentials key at %s, so none was copied: it is made when serve first starts\n", keyFile)
		return nil
	} else if err != nil {
		_ = os.Remove(*to)
		return fmt.Errorf("copy the credentials key: %w", err)
	}
	fmt.Fprintf(c.stdout, "copied the credentials key to %s\n", keyTo)
	fmt.Fprintf(c.stderr, "warning: %s is secret: it decrypts the account credentials in %s; keep it apart from untrusted storage, readable only by the server's user\n", keyTo, *to)
	return nil
}

// sqlitePath is the file of a SQLite database URL.
func sqlitePath(databaseURL string) string {
	if p, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		return p
	}
	return db.DefaultSQLiteFile
}

// copyKey copies the key file from to the new file to, readable by its owner only.
func copyKey(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(to)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return errors.Join(out.Sync(), out.Close())
}
