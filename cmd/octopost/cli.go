package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/queue"
	"github.com/octopost/octopost/service"
)

// How the commands explain themselves
//
// Every command and subcommand answers -h and --help with its own usage, flags and the
// settings it reads, on stdout, exiting 0: help that was asked for is an answer, not a
// mistake. A mistake (a bad flag, a missing argument, a malformed setting, an unknown
// user) exits 2 with one line on stderr, "octopost <command>: <what is wrong>", and a
// second one pointing at that command's --help; a failure of the system exits 1. serve,
// once it has a logger, reports its failures (a port in use) through it, in the
// configured log format, like everything else it says.

// Exit codes: 0 success, 1 a failure of the system (database unreachable, port in use,
// …), 2 a mistake in the command or its settings (bad flag, unknown user, bad permission,
// malformed setting), after which nothing was written.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// commandDoc is what --help says about a command.
type commandDoc struct {
	synopsis string // after "octopost "
	about    string
	settings []settingDoc
	// subcommands, for a group (users, keys): their names, in order.
	subcommands []string
}

// commands are the documented commands, by the name their FlagSet carries.
func commands() map[string]commandDoc {
	store := []settingDoc{settingDatabaseURL, settingLogFormat}
	return map[string]commandDoc{
		"serve": {synopsis: "serve", settings: serveSettings(),
			about: "Run the HTTP API and the publishing queue until SIGINT or SIGTERM. The database is migrated first."},
		"migrate": {synopsis: "migrate", settings: store,
			about: "Apply the database migrations and exit."},
		"users": {synopsis: "users <command>", subcommands: []string{"create", "set-password", "set-tier"},
			about: "Manage users."},
		"users create": {synopsis: "users create --email <email> [--password-stdin]", settings: store,
			about: "Add a user and print its id.\n" +
				"With --password-stdin, the first line of stdin, its newline dropped, is the user's dashboard password\n" +
				"(" + passwordRule + "). Without it the user has no password and cannot sign in to the dashboard\n" +
				"until \"octopost users set-password\" gives one."},
		"users set-password": {synopsis: "users set-password --email <email> --password-stdin", settings: store,
			about: "Set a user's dashboard password to the first line of stdin, its newline dropped\n" +
				"(" + passwordRule + "). The user is signed out of every dashboard session."},
		"users set-tier": {synopsis: "users set-tier --email <email> --tier free|starter|pro|unlimited", settings: store,
			about: "Set a user's rate-limit tier."},
		"keys": {synopsis: "keys <command>", subcommands: []string{"create", "list", "revoke"},
			about: "Manage API keys."},
		"keys create": {synopsis: "keys create --user <email> --name <name> --mode live|test [--permissions p1,p2] [--json]", settings: store,
			about: "Create an API key for a user and print its secret: this is the only time it is shown."},
		"keys list": {synopsis: "keys list --user <email> [--json]", settings: store,
			about: "List a user's API keys, newest first, without their secrets."},
		"keys revoke": {synopsis: "keys revoke <key-id>", settings: store,
			about: "Revoke an API key; revoking it again is harmless."},
		"backup": {synopsis: "backup --to <file>", settings: []settingDoc{settingDatabaseURL, settingSecretKey},
			about: "Copy a SQLite database consistently, also while serve runs on it, and its credentials key to <file>.key.\n" +
				"The key is secret: keep it apart from untrusted storage. For PostgreSQL, use pg_dump."},
		"version": {synopsis: "version",
			about: "Print the version and the commit this binary was built from."},
	}
}

const usage = `usage:
  octopost serve
  octopost migrate
  octopost users create --email <email> [--password-stdin]
  octopost users set-password --email <email> --password-stdin
  octopost users set-tier --email <email> --tier free|starter|pro|unlimited
  octopost keys create --user <email> --name <name> --mode live|test [--permissions p1,p2] [--json]
  octopost keys list --user <email> [--json]
  octopost keys revoke <key-id>
  octopost backup --to <file>
  octopost version

Run "octopost <command> --help" for a command's flags and settings.
`

// usageError is a mistake in the command line or its settings; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// helpRequest is -h or --help given to a command: its help goes to stdout, exit 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string { return h.fs.Name() + ": help requested" }

// cli carries what every command needs.
type cli struct {
	getenv func(string) string
	stdin  io.Reader // read only by --password-stdin
	stdout io.Writer
	stderr io.Writer
	// timeouts replaces serve's productionTimeouts when not nil: tests run serve at a
	// smaller scale.
	timeouts *timeouts
	// command is the command being run ("keys create"), named in its mistakes.
	command string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWithInput(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// runWithInput is run with stdin given, for the commands that read a password from it.
func runWithInput(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	err := c.dispatch(ctx, args)
	var ue usageError
	var help helpRequest
	var se *service.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		c.printHelp(help.fs)
		return exitOK
	case errors.As(err, &ue):
		c.mistake(ue.msg)
		return exitUsage
	case errors.As(err, &se) && se.Kind != 0:
		// The caller named something that does not exist or broke a rule: their mistake.
		c.mistake(se.Message)
		return exitUsage
	}
	if c.command == "serve" {
		// serve speaks in its log format; a bad format was a usage error above.
		if logger, lerr := c.logger(); lerr == nil {
			logger.Error("octopost stopped", "error", err.Error())
			return exitError
		}
	}
	fmt.Fprintf(stderr, "%s: %v\n", c.prefix(), err)
	return exitError
}

func (c *cli) prefix() string {
	if c.command == "" {
		return "octopost"
	}
	return "octopost " + c.command
}

// mistake writes a usage error in the one style every command uses.
func (c *cli) mistake(msg string) {
	// Some messages already name their command; say it once.
	msg = strings.TrimPrefix(msg, c.command+": ")
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prefix(), msg)
	fmt.Fprintf(c.stderr, "Run \"%s --help\" for usage.\n", c.prefix())
}

func (c *cli) printHelp(fs *flag.FlagSet) {
	doc, ok := commands()[fs.Name()]
	if !ok {
		fmt.Fprint(c.stdout, usage)
		return
	}
	fmt.Fprintf(c.stdout, "usage: octopost %s\n\n%s\n", doc.synopsis, doc.about)
	if len(doc.subcommands) > 0 {
		fmt.Fprintln(c.stdout, "\ncommands:")
		for _, sub := range doc.subcommands {
			fmt.Fprintf(c.stdout, "  octopost %s\n", commands()[fs.Name()+" "+sub].synopsis)
		}
		fmt.Fprintf(c.stdout, "\nRun \"octopost %s <command> --help\" for a command's flags and settings.\n", fs.Name())
		return
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(c.stdout, "\nflags:")
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
	}
	printSettings(c.stdout, doc.settings)
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("missing command; expected one of serve, migrate, users, keys, backup, version")
	}
	cmd, rest := args[0], args[1:]
	c.command = cmd
	switch cmd {
	case "serve":
		return c.serve(ctx, rest)
	case "migrate":
		return c.migrate(ctx, rest)
	case "backup":
		return c.backup(ctx, rest)
	case "version":
		return c.version(rest)
	case "users":
		return c.group(ctx, cmd, rest, map[string]func(context.Context, []string) error{
			"create": c.usersCreate, "set-password": c.usersSetPassword, "set-tier": c.usersSetTier,
		})
	case "keys":
		return c.group(ctx, cmd, rest, map[string]func(context.Context, []string) error{
			"create": c.keysCreate, "list": c.keysList, "revoke": c.keysRevoke,
		})
	case "help", "-h", "--help":
		c.command = ""
		if len(rest) > 0 {
			// "octopost help keys create" is "octopost keys create --help".
			return c.dispatch(ctx, append(rest, "--help"))
		}
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	c.command = ""
	return usagef("unknown command %q; expected one of serve, migrate, users, keys, backup, version", cmd)
}

// group runs one of a group's subcommands (users create), or answers the group's --help.
func (c *cli) group(ctx context.Context, name string, args []string, subs map[string]func(context.Context, []string) error) error {
	expected := strings.Join(commands()[name].subcommands, ", ")
	if len(args) == 0 {
		return usagef("missing command; expected one of %s", expected)
	}
	if args[0] == "-h" || args[0] == "--help" {
		return helpRequest{flag.NewFlagSet(name, flag.ContinueOnError)}
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usagef("unknown command %q; expected one of %s", args[0], expected)
	}
	c.command = name + " " + args[0]
	return sub(ctx, args[1:])
}

// parseFlags parses a command's flags, turning every mistake into a usage error and
// refusing stray arguments beyond the expected count; -h and --help ask for its help.
func parseFlags(fs *flag.FlagSet, args []string, positional int) error {
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if fs.NArg() != positional {
		return usagef("expected %d argument(s), got %q", positional, fs.Args())
	}
	return nil
}

// parseFlagsOnly is parseFlags without the count of the arguments left.
func parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpRequest{fs}
		}
		return usagef("%v", err)
	}
	for _, a := range fs.Args() {
		// A help flag after the positional arguments still asks for help.
		if a == "-h" || a == "--help" || a == "-help" {
			return helpRequest{fs}
		}
	}
	return nil
}

// parsePasswordFlags parses the flags of a command that reads a password, which takes no
// arguments. A mistake never repeats what was given: a password typed on the command line
// by mistake stays out of the terminal's scrollback and the logs that catch stderr.
func parsePasswordFlags(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if strings.HasPrefix(a, "-password-stdin=") || strings.HasPrefix(a, "--password-stdin=") {
			return usagef("--password-stdin takes no value: the password is read from stdin")
		}
	}
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("expected no arguments, got %d (not repeated here: give the password on stdin, never as an argument)", fs.NArg())
	}
	return nil
}

// databaseURL is OCTOPOST_DATABASE_URL, refused (exit 2) when it names no database this
// server can use, before anything is opened.
func (c *cli) databaseURL() (string, error) {
	v := c.getenv("OCTOPOST_DATABASE_URL")
	switch {
	case v == "", strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		return v, nil
	case strings.HasPrefix(v, "sqlite:"):
		if strings.TrimPrefix(v, "sqlite:") == "" {
			return "", usagef(`OCTOPOST_DATABASE_URL: "sqlite:" needs a file path, such as sqlite:/var/lib/octopost/octopost.db`)
		}
		return v, nil
	}
	return "", usagef(`OCTOPOST_DATABASE_URL must be unset (./%s), "sqlite:<path>" or "postgres://…", not %q`,
		db.DefaultSQLiteFile, settingDatabaseURL.effective(c.getenv))
}

// version is set at link time (go build -ldflags "-X main.version=v1.2.3"); without it,
// the module's version from the build information is printed.
var version string

func (c *cli) version(args []string) error {
	if err := parseFlags(flag.NewFlagSet("version", flag.ContinueOnError), args, 0); err != nil {
		return err
	}
	v, commit, modified, goVersion := "(devel)", "unknown", false, runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		v = version
	}
	if modified {
		commit += " (modified)"
	}
	fmt.Fprintf(c.stdout, "octopost %s\ncommit %s\n%s\n", v, commit, goVersion)
	return nil
}

// open connects to the configured database and brings its schema up to date.
func (c *cli) open(ctx context.Context) (*db.DB, error) {
	databaseURL, err := c.databaseURL()
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, databaseURL)
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

// passwordRule is what --help says a password must be.
var passwordRule = fmt.Sprintf("at least %d characters, at most %d bytes", service.PasswordMinLength, service.PasswordMaxLength)

// passwordStdinUsage is the --password-stdin flag's help.
const passwordStdinUsage = "read the password from the first line of stdin (never from the command line, where other users of the machine could see it)"

func (c *cli) usersCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	fromStdin := fs.Bool("password-stdin", false, passwordStdinUsage)
	if err := parsePasswordFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usagef("--email is required")
	}
	var pw string
	if *fromStdin {
		var err error
		if pw, err = c.readPassword(); err != nil {
			return err
		}
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := service.New(d, nil, nil, service.Config{}).CreateUser(ctx, *email, pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, u.ID)
	return nil
}

func (c *cli) usersSetPassword(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users set-password", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	fromStdin := fs.Bool("password-stdin", false, passwordStdinUsage+"; required")
	if err := parsePasswordFlags(fs, args); err != nil {
		return err
	}
	var missing []string
	if *email == "" {
		missing = append(missing, "--email")
	}
	if !*fromStdin {
		missing = append(missing, "--password-stdin")
	}
	if len(missing) > 0 {
		return usagef("%s required", strings.Join(missing, ", "))
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := service.New(d, nil, nil, service.Config{}).SetPassword(ctx, *email, pw); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password set for %s, who is signed out of every dashboard session\n", strings.ToLower(*email))
	return nil
}

// readPassword reads a password from the first line of stdin, without its newline (\n or
// \r\n), before any database is opened. It reads no more than a password can be long, and
// then some, so that a password over the limit is refused as one. No message repeats it.
func (c *cli) readPassword() (string, error) {
	r := bufio.NewReader(io.LimitReader(c.stdin, service.PasswordMaxLength+2))
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usagef("--password-stdin: the first line of stdin is empty; it must be the password")
	}
	return line, nil
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
		return usagef("%s required", strings.Join(missing, ", "))
	}
	m := service.Mode(*mode)
	if !m.Valid() {
		return usagef("--mode must be live or test, not %q", *mode)
	}
	var permissions []service.Permission
	if *perms != "" {
		var err error
		if permissions, err = service.ParsePermissions(strings.Split(*perms, ",")); err != nil {
			return usagef("--permissions: %s", err.(*service.Error).Message)
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
		return usagef("--user is required")
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
