package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// secretKeyFile is where the generated credentials key of a SQLite database is kept: next
// to the database, so the two are backed up and moved together.
func secretKeyFile(databaseURL string) string {
	return sqlitePath(databaseURL) + ".key"
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

// settingDoc describes one environment setting: for a command's --help, and for the
// configuration serve logs at start. One table, so the two cannot disagree.
type settingDoc struct {
	name    string
	def     string // what an unset value means
	meaning string
	// secret values are never printed: the log says only whether they are set.
	secret bool
	// url values may carry a password (postgres://user:pass@host/db), which is redacted.
	url bool
}

var (
	settingDatabaseURL = settingDoc{name: "OCTOPOST_DATABASE_URL", def: "./" + db.DefaultSQLiteFile, url: true,
		meaning: `the database: "sqlite:<path>", or "postgres://…" / "postgresql://…"`}
	settingLogFormat = settingDoc{name: "OCTOPOST_LOG_FORMAT", def: "json", meaning: "json or text; logs go to stderr"}
	settingSecretKey = settingDoc{name: "OCTOPOST_SECRET_KEY", def: "(a key file beside a SQLite database)", secret: true,
		meaning: "32 random bytes in base64 that encrypt account credentials; required with PostgreSQL"}
)

// serveSettings are the settings serve reads, its platforms' last.
func serveSettings() []settingDoc {
	out := []settingDoc{
		{name: "OCTOPOST_ADDR", def: "localhost:8080", meaning: "where serve listens"},
		settingDatabaseURL,
		settingLogFormat,
		settingSecretKey,
		{name: "OCTOPOST_REFUSE_TEST_KEYS", def: "false", meaning: "true answers 401 to every test key"},
		{name: "OCTOPOST_WEBHOOKS_ALLOW_PRIVATE", def: "false", meaning: "true lets webhook URLs use http and private addresses (development only)"},
		{name: "OCTOPOST_WEBHOOK_PORTS", def: "(443 and 80 only)", meaning: "more ports webhook URLs may use, separated by commas"},
		{name: "OCTOPOST_DEFAULT_TIER", def: "free", meaning: "rate-limit tier of users without one: free, starter, pro or unlimited"},
		{name: "OCTOPOST_PLATFORMS_ALLOW_PRIVATE", def: "false", meaning: "true lets platform URLs use http and private addresses (development and tests)"},
		{name: "OCTOPOST_JOB_TIMEOUT", def: "5m", meaning: "how long one publishing job may run, such as 2m"},
		{name: "OCTOPOST_SHUTDOWN_DELAY", def: "5s", meaning: "how long /readyz answers 503 after SIGTERM before requests are drained; 0 drains at once"},
		{name: "OCTOPOST_METRICS_ADDR", def: "(off)", meaning: "where GET /metrics (Prometheus) listens, apart from the API, such as 127.0.0.1:9090"},
		{name: "OCTOPOST_INSTANCE_ID", def: "(host name and address)", meaning: "this instance's name in the publishing queue"},
		{name: "OCTOPOST_PUBLIC_URL", def: "http:// and OCTOPOST_ADDR", meaning: "the external base URL; OAuth callbacks are {OCTOPOST_PUBLIC_URL}/oauth/{platform}/callback; https makes the dashboard's cookie Secure"},
		{name: "OCTOPOST_OAUTH_REDIRECT_ORIGINS", def: "(none)", meaning: "more origins a connect's redirect_url may point to, separated by commas"},
	}
	for _, spec := range platforms.All {
		for _, st := range spec.Settings {
			d := settingDoc{name: st.Env, def: st.Default, meaning: spec.ID + " setting", url: true}
			if d.def == "" {
				d.def = "(unset)"
			}
			if strings.HasSuffix(st.Env, platform.SettingClientSecret) {
				d.secret, d.url = true, false
			}
			out = append(out, d)
		}
	}
	return out
}

// effective is the value serve runs with: the operator's, or the default; a secret is
// only said to be set, and a URL's password is masked.
func (s settingDoc) effective(getenv func(string) string) string {
	v := getenv(s.name)
	switch {
	case v == "":
		return s.def
	case s.secret:
		return "[redacted]"
	case s.url:
		if u, err := url.Parse(v); err == nil && u.User != nil {
			return u.Redacted()
		}
	}
	return v
}

// logConfiguration logs, once at start, the configuration serve runs with, so an operator
// can see what an instance took from its environment without reading it.
func (c *cli) logConfiguration(logger *slog.Logger) {
	settings := serveSettings()
	attrs := make([]any, 0, len(settings))
	for _, s := range settings {
		attrs = append(attrs, slog.String(s.name, s.effective(c.getenv)))
	}
	logger.Info("configuration", attrs...)
}

// printSettings writes settings as the "settings:" part of a command's help.
func printSettings(w io.Writer, settings []settingDoc) {
	if len(settings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nsettings (environment):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range settings {
		fmt.Fprintf(tw, "  %s\t%s (default: %s)\n", s.name, s.meaning, s.def)
	}
	tw.Flush()
}
