// Package e2e tests Octopost from the outside: the real `octopost` binary, built once per
// run, serves HTTP on 127.0.0.1 as a child process, and the operator CLI runs as separate
// processes against the same database, as an operator would use them. Every response is
// validated against openapi.yaml by apitest.ContractTransport, with kin-openapi and with
// libopenapi-validator applying OpenAPI 3.0's nullable rule strictly.
//
// The PostgreSQL suites use pgtest (one container per test binary, a fresh database per
// test); under CI=true a missing Docker or image fails them instead of skipping.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/octopost/octopost/db/pgtest"
)

// binary is the path of the octopost binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "octopost-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "octopost")
	if err := build(binary); err != nil {
		_ = os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles ./cmd/octopost into out with the go command that runs the tests.
func build(out string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if root := os.Getenv("GOROOT"); root != "" {
			goCmd = filepath.Join(root, "bin", "go")
		} else {
			return fmt.Errorf("no go command in PATH to build octopost with: %w", err)
		}
	}
	cmd := exec.Command(goCmd, "build", "-o", out, "github.com/octopost/octopost/cmd/octopost")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/octopost: %v\n%s", err, output)
	}
	return nil
}
