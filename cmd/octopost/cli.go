package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/queue"
	"github.com/octopost/octopost/service"
)

// Exit codes: 0 success, 1 a failure of the system (database unreachable, …), 2 a mistake
// in the command (bad flag, unknown user, bad permission), after which nothing was written.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `usage:
  octopost serve
  octopost migrate
  octopost users create --email <email>
  octopost users set-tier --email <email> --tier free|starter|pro|unlimited
  octopost keys create --user <email> --name <name> --mode live|test [--permissions p1,p2] [--json]
  octopost keys list --user <email> [--json]
  octopost keys revoke <key-id>
`

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// cli carries what every command needs.
type cli struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// timeouts replaces serve's productionTimeouts when not nil: tests run serve at a
	// smaller scale.
	timeouts *timeouts
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	err := c.dispatch(ctx, args)
	var ue usageError
	var se *service.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "octopost: %s\n", ue.msg)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stderr, usage)
		return exitUsage
	case errors.As(err, &se) && se.Kind != 0:
		// The caller named something that does not exist or broke a rule: their mistake.
		fmt.Fprintf(stderr, "octopost: %s\n", se.Message)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "octopost: %v\n", err)
		return exitError
	}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("missing command\n%s", usage)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return c.serve(ctx, rest)
	case "migrate":
		return c.migrate(ctx, rest)
	case "users":
		if len(rest) > 0 && rest[0] == "create" {
			return c.usersCreate(ctx, rest[1:])
		}
		if len(rest) > 0 && rest[0] == "set-tier" {
			return c.usersSetTier(ctx, rest[1:])
		}
		return usagef("unknown users command; expected: users create --email <email>, or users set-tier --email <email> --tier <tier>")
	case "keys":
		if len(rest) == 0 {
			return usagef("missing keys command; expected create, list or revoke")
		}
		switch rest[0] {
		case "create":
			return c.keysCreate(ctx, rest[1:])
		case "list":
			return c.keysList(ctx, rest[1:])
		case "revoke":
			return c.keysRevoke(ctx, rest[1:])
		}
		return usagef("unknown keys command %q; expected create, list or revoke", rest[0])
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	return usagef("unknown command %q\n%s", args[0], usage)
}

// parseFlags parses a command's flags, turning every mistake into a usage error and
// refusing stray arguments beyond the expected count.
func parseFlags(fs *flag.FlagSet, args []string, positional int) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() != positional {
		return usagef("%s: expected %d argument(s), got %q", fs.Name(), positional, fs.Args())
	}
	return nil
}

// open connects to the configured database and brings its schema up to date.
func (c *cli) open(ctx context.Context) (*db.DB, error) {
	d, err := db.Open(ctx, c.getenv("OCTOPOST_DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	if len(d.Tightened) > 0 {
		// Once: the files stay private from now on. A bad log format is serve's to
		// report; this warning goes out as text then.
		logger, err := c.logger()
		if err != nil {
			logger = slog.New(slog.NewTextHandler(c.stderr, nil))
		}
		logger.Warn("the SQLite files were readable by other users; made them private to their owner (0600)",
			"files", d.Tightened)
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := queue.Migrate(ctx, d); err != nil {
		d.Close()
		return nil, fmt.Errorf("migrate the publishing queue: %w", err)
	}
	return d, nil
}

func (c *cli) migrate(ctx context.Context, args []string) error {
	if err := parseFlags(flag.NewFlagSet("migrate", flag.ContinueOnError), args, 0); err != nil {
		return err
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(c.stdout, "migrations applied (%s)\n", d.Engine)
	return nil
}

func (c *cli) usersCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *email == "" {
		return usagef("users create: --email is required")
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := service.New(d, nil, nil, service.Config{}).CreateUser(ctx, *email)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, u.ID)
	return nil
}

// keyJSON is how --json shows a key: never the secret, except once at creation.
type keyJSON struct {
	ID          string     `json:"id"`
	Key         string     `json:"key,omitempty"`
	Name        string     `json:"name"`
	Mode        string     `json:"mode"`
	Permissions []string   `json:"permissions"`
	Hint        string     `json:"hint,omitempty"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

func permissionNames(ps []service.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func (c *cli) keysCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	email := fs.String("user", "", "the owner's email address")
	name := fs.String("name", "", "what the key is for")
	mode := fs.String("mode", "", "live or test")
	perms := fs.String("permissions", "", "comma-separated permissions; none means full access")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ name, value string }{{"--user", *email}, {"--name", *name}, {"--mode", *mode}} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return usagef("keys create: %s required", strings.Join(missing, ", "))
	}
	m := service.Mode(*mode)
	if !m.Valid() {
		return usagef("keys create: --mode must be live or test, not %q", *mode)
	}
	var permissions []service.Permission
	if *perms != "" {
		var err error
		if permissions, err = service.ParsePermissions(strings.Split(*perms, ",")); err != nil {
			return usagef("keys create: %s", err.(*service.Error).Message)
		}
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	k, secret, err := service.New(d, nil, nil, service.Config{}).CreateAPIKey(ctx, *email, *name, m, permissions)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(keyJSON{
			ID: k.ID, Key: secret, Name: k.Name, Mode: string(k.Mode), Permissions: permissionNames(k.Permissions),
		})
	}
	fmt.Fprintln(c.stdout, secret)
	return nil
}

func (c *cli) keysList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys list", flag.ContinueOnError)
	email := fs.String("user", "", "the owner's email address")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *email == "" {
		return usagef("keys list: --user is required")
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	keys, err := service.New(d, nil, nil, service.Config{}).ListAPIKeys(ctx, *email)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]keyJSON, len(keys))
		for i, k := range keys {
			created := k.CreatedAt
			out[i] = keyJSON{
				ID: k.ID, Name: k.Name, Mode: string(k.Mode), Permissions: permissionNames(k.Permissions),
				Hint: k.Hint, CreatedAt: &created, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt,
			}
		}
		return json.NewEncoder(c.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tMODE\tPERMISSIONS\tKEY\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		perms := "(full access)"
		if len(k.Permissions) > 0 {
			perms = strings.Join(permissionNames(k.Permissions), ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Mode, perms, k.Hint,
			k.CreatedAt.Format(time.RFC3339), formatTime(k.LastUsedAt), formatTime(k.RevokedAt))
	}
	return tw.Flush()
}

func formatTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *cli) keysRevoke(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keys revoke", flag.ContinueOnError)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	k, err := service.New(d, nil, nil, service.Config{}).RevokeAPIKey(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked %s (%s) at %s\n", k.ID, k.Name, k.RevokedAt.UTC().Format(time.RFC3339))
	return nil
}
