package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
)

// runStdin executes one command against the bundle's database with stdin as its input.
func (b *cliBundle) runStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + b.dbPath}
	var out, errOut bytes.Buffer
	code = runWithInput(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// signIn signs in to the bundle's database as the dashboard would.
func (b *cliBundle) signIn(t *testing.T, email, pw string) (string, error) {
	t.Helper()
	d, err := db.Open(t.Context(), "sqlite:"+b.dbPath)
	require.NoError(t, err)
	defer d.Close()
	_, token, err := service.New(d, nil, nil, service.Config{}).SignIn(t.Context(), email, pw, "127.0.0.1", "cli test")
	return token, err
}

func (b *cliBundle) sessionUser(t *testing.T, token string) error {
	t.Helper()
	d, err := db.Open(t.Context(), "sqlite:"+b.dbPath)
	require.NoError(t, err)
	defer d.Close()
	_, _, err = service.New(d, nil, nil, service.Config{}).SessionUser(t.Context(), token)
	return err
}

func TestUsersPasswordFromStdin(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)

	code, out, errOut := b.runStdin(t, "correct horse battery\nthe second line is not read\n", "users", "create", "--email", "dev@example.com", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^usr_[0-9A-Z]{26}\n$`, out)
	require.Empty(t, errOut)
	_, err := b.signIn(t, "dev@example.com", "correct horse battery")
	require.NoError(t, err, "the first line, without its newline")

	// Without --password-stdin stdin is not read, and the user has no password.
	code, _, errOut = b.runStdin(t, "another password here\n", "users", "create", "--email", "ops@example.com")
	require.Equal(t, 0, code, errOut)
	_, err = b.signIn(t, "ops@example.com", "another password here")
	require.ErrorIs(t, err, service.ErrSignInFailed)

	// set-password gives one (a CRLF line ending is dropped too) and ends every session.
	token, err := b.signIn(t, "dev@example.com", "correct horse battery")
	require.NoError(t, err)
	code, out, errOut = b.runStdin(t, "a new password, longer\r\n", "users", "set-password", "--email", "Dev@Example.com", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "password set for dev@example.com, who is signed out of every dashboard session\n", out)
	require.NotContains(t, out+errOut, "a new password")
	require.ErrorIs(t, b.sessionUser(t, token), service.ErrUnauthenticated)
	_, err = b.signIn(t, "dev@example.com", "correct horse battery")
	require.ErrorIs(t, err, service.ErrSignInFailed)
	_, err = b.signIn(t, "dev@example.com", "a new password, longer")
	require.NoError(t, err)

	// No file needed: the password may end without a newline.
	code, _, errOut = b.runStdin(t, "no newline at the end", "users", "set-password", "--email", "ops@example.com", "--password-stdin")
	require.Equal(t, 0, code, errOut)
	_, err = b.signIn(t, "ops@example.com", "no newline at the end")
	require.NoError(t, err)
}

func TestPasswordMistakesExitTwoAndWriteNothing(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	b.mustRun(t, "users", "create", "--email", "dev@example.com")
	long := strings.Repeat("p", service.PasswordMaxLength+1)
	for name, tc := range map[string]struct {
		stdin string
		args  []string
	}{
		"create empty stdin":        {"", []string{"users", "create", "--email", "new@example.com", "--password-stdin"}},
		"create empty first line":   {"\ncorrect horse battery\n", []string{"users", "create", "--email", "new@example.com", "--password-stdin"}},
		"create short password":     {"short pass\n", []string{"users", "create", "--email", "new@example.com", "--password-stdin"}},
		"create long password":      {long + "\n", []string{"users", "create", "--email", "new@example.com", "--password-stdin"}},
		"create bad email":          {"correct horse battery\n", []string{"users", "create", "--email", "not an email", "--password-stdin"}},
		"set without stdin flag":    {"correct horse battery\n", []string{"users", "set-password", "--email", "dev@example.com"}},
		"set without email":         {"correct horse battery\n", []string{"users", "set-password", "--password-stdin"}},
		"set empty stdin":           {"", []string{"users", "set-password", "--email", "dev@example.com", "--password-stdin"}},
		"set short password":        {"short pass\n", []string{"users", "set-password", "--email", "dev@example.com", "--password-stdin"}},
		"set unknown user":          {"correct horse battery\n", []string{"users", "set-password", "--email", "nobody@example.com", "--password-stdin"}},
		"set password as argument":  {"", []string{"users", "set-password", "--email", "dev@example.com", "--password-stdin", "correct horse battery"}},
		"create password as a flag": {"", []string{"users", "create", "--email", "new@example.com", "--password", "correct horse battery"}},
		"create password as value":  {"", []string{"users", "create", "--email", "new@example.com", "--password-stdin=correct horse battery"}},
		"set password as value":     {"", []string{"users", "set-password", "--email", "dev@example.com", "-password-stdin=correct horse battery"}},
		"create password argument":  {"", []string{"users", "create", "--email", "new@example.com", "correct horse battery"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := b.runStdin(t, tc.stdin, tc.args...)
			require.Equal(t, 2, code, "stdout: %s stderr: %s", out, errOut)
			require.Empty(t, out)
			m := mistakeStyle.FindStringSubmatch(errOut)
			require.NotNil(t, m, errOut)
			for _, pw := range []string{"correct horse battery", "short pass", long[:20]} {
				require.NotContains(t, errOut, pw, "the password is never echoed")
			}
		})
	}
	// Nothing was written: no new user, and dev still has no password.
	code, _, _ := b.runStdin(t, "", "users", "create", "--email", "new@example.com")
	require.Equal(t, 0, code, "new@example.com was not created before")
	_, err := b.signIn(t, "dev@example.com", "correct horse battery")
	require.ErrorIs(t, err, service.ErrSignInFailed)
}

func TestUsersHelpExplainsPasswords(t *testing.T) {
	t.Parallel()
	_, out, _ := runEnv(context.Background(), nil, "users", "create", "--help")
	for _, want := range []string{"usage: octopost users create --email <email> [--password-stdin]", "-password-stdin", "first line of stdin", "at least 12 characters", "users set-password"} {
		require.Contains(t, out, want)
	}
	_, out, _ = runEnv(context.Background(), nil, "users", "set-password", "-h")
	for _, want := range []string{"usage: octopost users set-password --email <email> --password-stdin", "-password-stdin", "signed out of every dashboard session", "OCTOPOST_DATABASE_URL"} {
		require.Contains(t, out, want)
	}
	_, out, _ = runEnv(context.Background(), nil, "users", "--help")
	require.Contains(t, out, "octopost users set-password --email <email> --password-stdin")
	_, out, _ = runEnv(context.Background(), nil, "help")
	require.Contains(t, out, "octopost users create --email <email> [--password-stdin]")
}
