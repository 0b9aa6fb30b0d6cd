package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service/secretbox"
)

// secretKeyFile is where the generated credentials key of a SQLite database is kept: next
// to the database, so the two are backed up and moved together.
func secretKeyFile(databaseURL string) string {
	path := db.DefaultSQLiteFile
	if p, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		path = p
	}
	return path + ".key"
}

// secrets returns the box that seals account credentials. OCTOPOST_SECRET_KEY wins; a
// SQLite database without one gets a key generated on first start and kept beside it; a
// PostgreSQL deployment must bring its own, since its instances have no shared disk.
func (c *cli) secrets(d *db.DB, logger *slog.Logger) (*secretbox.Box, error) {
	if v := c.getenv("OCTOPOST_SECRET_KEY"); v != "" {
		key, err := secretbox.ParseKey(v)
		if err != nil {
			return nil, usagef("OCTOPOST_SECRET_KEY: %v", err)
		}
		return secretbox.New(key)
	}
	if d.Engine != db.EngineSQLite {
		return nil, usagef("OCTOPOST_SECRET_KEY is required with PostgreSQL: set it to 32 random bytes in base64 (openssl rand -base64 32), the same on every instance")
	}
	path := secretKeyFile(c.getenv("OCTOPOST_DATABASE_URL"))
	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials key: %w", err)
	}
	abs, _ := filepath.Abs(path)
	if created {
		logger.Warn("generated a key for encrypting account credentials; keep it with the database (or set OCTOPOST_SECRET_KEY)", "path", abs)
	} else {
		logger.Info("using the credentials key beside the database", "path", abs)
	}
	return secretbox.New(key)
}
