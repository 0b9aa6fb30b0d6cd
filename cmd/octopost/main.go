// Command octopost runs the Octopost API server and its operator tasks:
//
//	octopost serve                        run the HTTP API and the dashboard (/dashboard)
//	octopost migrate                      apply database migrations
//	octopost users create --email E       add a user, print its id
//	octopost users set-tier --email E --tier free|starter|pro|unlimited
//	octopost keys create --user E --name N --mode live|test [--permissions p1,p2] [--json]
//	octopost keys list --user E [--json]
//	octopost keys revoke KEY_ID
//	octopost backup --to FILE             copy a live SQLite database and its key
//	octopost version                      print the version and commit
//
// Every command answers -h and --help with its flags and settings.
//
// Configuration comes from the environment (see README, and serveSettings in config.go,
// which "octopost serve --help" prints and serve logs at start).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// The time zone database, in the binary: the dashboard shows times in the browser's
	// zone, and the server image (FROM scratch) has no /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
