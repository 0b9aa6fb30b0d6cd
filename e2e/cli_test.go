package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runBinary runs the octopost binary with args and the configuration e in dir, and returns
// its exit code, stdout and stderr.
func runBinary(t *testing.T, dir string, e env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = environ(e)
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	cmd.SysProcAttr = childAttr()
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("octopost %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// TestEveryCommandExplainsItself asks every command and subcommand of the built binary for
// its help, with -h and --help: each prints its own usage on stdout and exits 0, without
// touching a database.
func TestEveryCommandExplainsItself(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"serve", "migrate", "users", "users create", "users set-password", "users set-tier",
		"keys", "keys create", "keys list", "keys revoke", "backup", "version"} {
		for _, flag := range []string{"-h", "--help"} {
			t.Run(command+" "+flag, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				code, out, errOut := runBinary(t, dir, env{}, append(strings.Fields(command), flag)...)
				require.Equal(t, 0, code, errOut)
				require.Empty(t, errOut)
				require.True(t, strings.HasPrefix(out, "usage: octopost "+command), out)
				if command != "version" && command != "users" && command != "keys" {
					require.Contains(t, out, "OCTOPOST_DATABASE_URL", "names the settings it reads")
				}
				_, err := os.Stat(filepath.Join(dir, "octopost.db"))
				require.ErrorIs(t, err, os.ErrNotExist, "no database created")
			})
		}
	}
}

// TestVersionNamesTheCommit checks that `octopost version` prints the commit the binary was
// built from, from Go's build information, and the version set at link time. The binary is
// built here as a release is (build-image.sh): -buildvcs=auto stamps the commit even where
// GOFLAGS says -buildvcs=false, as the suite's own binary may be built.
func TestVersionNamesTheCommit(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "octopost")
	build := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", "-X main.version=v0.0.0-e2e", "-o", bin,
		"github.com/octopost/octopost/cmd/octopost")
	output, err := build.CombinedOutput()
	require.NoError(t, err, "%s", output)
	out, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`^octopost v0\.0\.0-e2e\ncommit ([0-9a-f]{40})( \(modified\))?\ngo\S+\n$`).FindStringSubmatch(string(out))
	require.NotNil(t, m, "%s", out)
	// A commit of this repository (HEAD may have moved on since the build).
	require.NoError(t, exec.Command("git", "cat-file", "-e", m[1]+"^{commit}").Run(), "commit %s", m[1])

	// Without either, it says so rather than inventing them.
	code, out2, errOut := runBinary(t, t.TempDir(), env{}, "version")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^octopost \S+\ncommit \S+( \(modified\))?\ngo\S+\n$`, out2)
}

// TestMistakesExitTwoInOneStyle checks the built binary's exit code and message for
// mistakes in arguments and in settings.
func TestMistakesExitTwoInOneStyle(t *testing.T) {
	t.Parallel()
	style := regexp.MustCompile(`^octopost[a-z -]*: [^\n]+\nRun "octopost[a-z -]* --help" for usage\.\n$`)
	for name, tc := range map[string]struct {
		e    env
		args []string
	}{
		"unknown command":  {env{}, []string{"frobnicate"}},
		"unknown flag":     {env{}, []string{"keys", "list", "--colour"}},
		"bad log format":   {env{"OCTOPOST_LOG_FORMAT": "xml"}, []string{"serve"}},
		"bad database url": {env{"OCTOPOST_DATABASE_URL": "mysql://localhost/o"}, []string{"migrate"}},
		"backup postgres":  {env{"OCTOPOST_DATABASE_URL": "postgres://127.0.0.1:1/o"}, []string{"backup", "--to", "b.db"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runBinary(t, t.TempDir(), tc.e, tc.args...)
			require.Equal(t, 2, code, errOut)
			require.Empty(t, out)
			require.Regexp(t, style, errOut)
		})
	}
}

// TestPortInUseIsLoggedAndFails starts serve on a port that is taken: it exits non-zero,
// and says why in its configured log format.
func TestPortInUseIsLoggedAndFails(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	code, _, errOut := runBinary(t, t.TempDir(), env{"OCTOPOST_ADDR": taken.Addr().String(), "OCTOPOST_LOG_FORMAT": "text"}, "serve")
	require.Equal(t, 1, code, errOut)
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		require.Regexp(t, `^time=\S+ level=[A-Z]+ msg=`, line)
	}
	require.Regexp(t, `level=ERROR msg="octopost stopped" error=".*address already in use`, errOut)
}
