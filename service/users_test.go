package service_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
)

const goodPassword = "correct horse battery"

// userSetup is a service on a fresh SQLite database at a fixed time, 5 minutes into a
// sign-in window.
func userSetup(t *testing.T) (*service.Service, *clock, *db.DB) {
	t.Helper()
	d := newTestDB(t)
	c := &clock{now: time.Date(2026, 4, 3, 12, 5, 0, 0, time.UTC)}
	return service.New(d, c, nil, service.Config{}), c, d
}

func requireValidation(t *testing.T, err error, field string) *service.Error {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindValidation, se.Kind, se.Message)
	require.Len(t, se.Fields, 1)
	require.Equal(t, field, se.Fields[0].Field)
	return se
}

func requireKind(t *testing.T, err error, kind service.Kind) {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, kind, se.Kind, se.Message)
}

func TestCreateUserWithAPasswordSignsIn(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()

	u, err := svc.CreateUser(ctx, "Dev@Example.com", goodPassword)
	require.NoError(t, err)
	require.Equal(t, "dev@example.com", u.Email)

	ses, token, err := svc.SignIn(ctx, "DEV@example.COM", goodPassword, "192.0.2.1", "test")
	require.NoError(t, err)
	require.Equal(t, u.ID, ses.UserID)
	_, got, err := svc.SessionUser(ctx, token)
	require.NoError(t, err)
	require.Equal(t, u, got)

	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword+"!", "192.0.2.1", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed)
}

func TestAUserWithoutAPasswordCannotSignIn(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()

	_, err := svc.CreateUser(ctx, "dev@example.com", "")
	require.NoError(t, err)
	for _, pw := range []string{"", goodPassword} {
		_, _, err = svc.SignIn(ctx, "dev@example.com", pw, "192.0.2.1", "test")
		require.ErrorIs(t, err, service.ErrSignInFailed)
	}
	// The same error as for an email without a user: a caller cannot tell them apart.
	_, _, err = svc.SignIn(ctx, "nobody@example.com", goodPassword, "192.0.2.1", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed)

	require.NoError(t, svc.SetPassword(ctx, "DEV@example.com", goodPassword))
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "192.0.2.1", "test")
	require.NoError(t, err)
}

func TestPasswordLengthRules(t *testing.T) {
	t.Parallel()
	svc, _, d := userSetup(t)
	ctx := t.Context()

	tooShort := strings.Repeat("a", service.PasswordMinLength-1)
	tooLong := strings.Repeat("a", service.PasswordMaxLength+1)
	for _, pw := range []string{tooShort, tooLong, strings.Repeat("é", service.PasswordMinLength-1), "abcdefghijk\xff"} {
		_, err := svc.CreateUser(ctx, "dev@example.com", pw)
		se := requireValidation(t, err, "password")
		require.NotContains(t, se.Error(), pw, "the password is never repeated")
		// Checked before the user is looked up: no such user, yet a validation error.
		require.Equal(t, se, requireValidation(t, svc.SetPassword(ctx, "dev@example.com", pw), "password"))
		_, err = svc.SetupFirstUser(ctx, "dev@example.com", pw)
		requireValidation(t, err, "password")
	}
	has, err := d.HasUsers(ctx)
	require.NoError(t, err)
	require.False(t, has, "nothing was created")

	// The minimum counts characters, the maximum bytes.
	_, err = svc.CreateUser(ctx, "accents@example.com", strings.Repeat("é", service.PasswordMinLength))
	require.NoError(t, err)
	_, err = svc.CreateUser(ctx, "longest@example.com", strings.Repeat("a", service.PasswordMaxLength))
	require.NoError(t, err)
	_, _, err = svc.SignIn(ctx, "longest@example.com", strings.Repeat("a", service.PasswordMaxLength), "192.0.2.1", "test")
	require.NoError(t, err)
	// A longer one is simply wrong: no stored password is that long.
	_, _, err = svc.SignIn(ctx, "longest@example.com", tooLong, "192.0.2.1", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed)

	// A password is required where a user must sign in.
	_, err = svc.SetupFirstUser(ctx, "first@example.com", "")
	requireValidation(t, err, "password")
	requireValidation(t, svc.SetPassword(ctx, "accents@example.com", ""), "password")
	// And a bad email is named before the password.
	_, err = svc.CreateUser(ctx, "not an email", goodPassword)
	requireValidation(t, err, "email")
	// A duplicate email is a conflict, with or without a password.
	_, err = svc.CreateUser(ctx, "ACCENTS@example.com", goodPassword)
	requireKind(t, err, service.KindConflict)
}

func TestSetPasswordEndsEverySessionOfTheUser(t *testing.T) {
	t.Parallel()
	svc, c, _ := userSetup(t)
	ctx := t.Context()
	_, err := svc.CreateUser(ctx, "dev@example.com", goodPassword)
	require.NoError(t, err)
	_, err = svc.CreateUser(ctx, "other@example.com", goodPassword)
	require.NoError(t, err)

	_, laptop, err := svc.SignIn(ctx, "dev@example.com", goodPassword, "192.0.2.1", "laptop")
	require.NoError(t, err)
	_, phone, err := svc.SignIn(ctx, "dev@example.com", goodPassword, "192.0.2.2", "phone")
	require.NoError(t, err)
	_, others, err := svc.SignIn(ctx, "other@example.com", goodPassword, "192.0.2.3", "other")
	require.NoError(t, err)

	c.now = c.now.Add(time.Second)
	require.NoError(t, svc.SetPassword(ctx, "dev@example.com", "a brand new password"))
	for _, token := range []string{laptop, phone} {
		_, _, err := svc.SessionUser(ctx, token)
		require.ErrorIs(t, err, service.ErrUnauthenticated)
	}
	_, _, err = svc.SessionUser(ctx, others)
	require.NoError(t, err, "another user's session goes on")

	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "192.0.2.1", "laptop")
	require.ErrorIs(t, err, service.ErrSignInFailed, "the old password no longer works")
	_, _, err = svc.SignIn(ctx, "dev@example.com", "a brand new password", "192.0.2.1", "laptop")
	require.NoError(t, err)

	requireKind(t, svc.SetPassword(ctx, "nobody@example.com", goodPassword), service.KindNotFound)
}

func TestSetupFirstUserOnlyOnce(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()

	has, err := svc.HasUsers(ctx)
	require.NoError(t, err)
	require.False(t, has)

	u, err := svc.SetupFirstUser(ctx, "Admin@Example.com", goodPassword)
	require.NoError(t, err)
	require.Equal(t, "admin@example.com", u.Email)
	has, err = svc.HasUsers(ctx)
	require.NoError(t, err)
	require.True(t, has)
	_, _, err = svc.SignIn(ctx, "admin@example.com", goodPassword, "192.0.2.1", "test")
	require.NoError(t, err)

	_, err = svc.SetupFirstUser(ctx, "second@example.com", goodPassword)
	requireKind(t, err, service.KindConflict)
	_, _, err = svc.SignIn(ctx, "second@example.com", goodPassword, "192.0.2.1", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed)
}

func TestSetupFirstUserAfterTheCLICreatedOne(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	_, err := svc.CreateUser(t.Context(), "dev@example.com", "")
	require.NoError(t, err)
	_, err = svc.SetupFirstUser(t.Context(), "admin@example.com", goodPassword)
	requireKind(t, err, service.KindConflict)
}

func TestConcurrentSetupsOneWins(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = svc.SetupFirstUser(t.Context(), string(rune('a'+i))+"@example.com", goodPassword)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		requireKind(t, err, service.KindConflict)
	}
	require.Equal(t, 1, won)
}

// signInLimited asserts a *SignInLimitedError waiting until the window's end.
func requireLimited(t *testing.T, err error, retryAfter time.Duration) {
	t.Helper()
	var le *service.SignInLimitedError
	require.ErrorAs(t, err, &le)
	require.Equal(t, retryAfter, le.RetryAfter)
	require.NotErrorIs(t, err, service.ErrSignInFailed)
}

// Ten failures for an email in a window, then even the right password is refused until
// the window ends; the window is the clock's quarter hour.
func TestSignInLimitPerEmail(t *testing.T) {
	t.Parallel()
	svc, c, _ := userSetup(t)
	ctx := t.Context()
	_, err := svc.CreateUser(ctx, "dev@example.com", goodPassword)
	require.NoError(t, err)

	for i := range 10 {
		// From a different address each time: the email's limit alone.
		_, _, err := svc.SignIn(ctx, "Dev@example.com", "wrong password", "192.0.2."+string(rune('0'+i)), "test")
		require.ErrorIs(t, err, service.ErrSignInFailed, "attempt %d", i+1)
	}
	c.now = c.now.Add(time.Minute) // 12:06
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "198.51.100.1", "test")
	requireLimited(t, err, 9*time.Minute)
	require.Contains(t, err.Error(), "9m0s")

	// Another email from the same addresses is not limited.
	_, err = svc.CreateUser(ctx, "other@example.com", goodPassword)
	require.NoError(t, err)
	_, _, err = svc.SignIn(ctx, "other@example.com", goodPassword, "192.0.2.0", "test")
	require.NoError(t, err)

	// The next window starts afresh.
	c.now = time.Date(2026, 4, 3, 12, 15, 0, 0, time.UTC).Add(-time.Microsecond)
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "198.51.100.1", "test")
	requireLimited(t, err, time.Microsecond)
	c.now = c.now.Add(time.Microsecond)
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "198.51.100.1", "test")
	require.NoError(t, err)
}

// Fifty failures from one client address, whatever the emails, then it is refused.
func TestSignInLimitPerClient(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()
	_, err := svc.CreateUser(ctx, "dev@example.com", goodPassword)
	require.NoError(t, err)

	for i := range 50 {
		email := string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com" // no such users
		_, _, err := svc.SignIn(ctx, email, "wrong password", "203.0.113.7", "test")
		require.ErrorIs(t, err, service.ErrSignInFailed, "attempt %d", i+1)
	}
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "203.0.113.7", "test")
	requireLimited(t, err, 10*time.Minute)
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "203.0.113.8", "test")
	require.NoError(t, err, "another address is not limited, nor the email")
}

// Sign-ins that succeed are not failures: they never fill the limit.
func TestSuccessfulSignInsAreNotCounted(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()
	_, err := svc.CreateUser(ctx, "dev@example.com", goodPassword)
	require.NoError(t, err)

	for range 9 {
		_, _, err := svc.SignIn(ctx, "dev@example.com", "wrong password", "192.0.2.1", "test")
		require.ErrorIs(t, err, service.ErrSignInFailed)
	}
	for range 3 {
		_, _, err := svc.SignIn(ctx, "dev@example.com", goodPassword, "192.0.2.1", "test")
		require.NoError(t, err)
	}
	_, _, err = svc.SignIn(ctx, "dev@example.com", "wrong password", "192.0.2.1", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed, "the tenth failure")
	_, _, err = svc.SignIn(ctx, "dev@example.com", goodPassword, "192.0.2.1", "test")
	requireLimited(t, err, 10*time.Minute)
}

// However many attempts run at once, no more passwords are checked than the limit allows.
func TestConcurrentSignInsKeepToTheLimit(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()
	_, err := svc.CreateUser(ctx, "dev@example.com", goodPassword)
	require.NoError(t, err)

	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = svc.SignIn(ctx, "dev@example.com", "wrong password", "192.0.2.1", "test")
		})
	}
	wg.Wait()
	failed, limited := 0, 0
	for _, err := range errs {
		var le *service.SignInLimitedError
		switch {
		case errors.Is(err, service.ErrSignInFailed):
			failed++
		case errors.As(err, &le):
			limited++
		default:
			require.NoError(t, err)
		}
	}
	require.Equal(t, 10, failed)
	require.Equal(t, n-10, limited)
}

// Ended windows are deleted when an attempt is counted, so the table stays small.
func TestEndedSignInWindowsAreDeleted(t *testing.T) {
	t.Parallel()
	svc, c, d := userSetup(t)
	ctx := t.Context()
	windows := func() int {
		t.Helper()
		var n int
		require.NoError(t, d.SQLite.QueryRowContext(ctx, `SELECT count(*) FROM sign_in_windows`).Scan(&n))
		return n
	}

	_, _, err := svc.SignIn(ctx, "a@example.com", "wrong password", "192.0.2.1", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed)
	require.Equal(t, 2, windows(), "the email's and the client's")

	c.now = c.now.Add(15 * time.Minute)
	_, _, err = svc.SignIn(ctx, "b@example.com", "wrong password", "192.0.2.2", "test")
	require.ErrorIs(t, err, service.ErrSignInFailed)
	require.Equal(t, 2, windows(), "the first window's rows are gone")
}
