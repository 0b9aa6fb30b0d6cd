package service_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
	"github.com/octopost/octopost/service/id"
)

// signedIn is a service with a user who has just signed in.
func signedIn(t *testing.T) (*service.Service, *clock, *db.DB, service.User, service.Session, string) {
	t.Helper()
	svc, c, d := userSetup(t)
	u, err := svc.CreateUser(t.Context(), "dev@example.com", goodPassword)
	require.NoError(t, err)
	ses, token, err := svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "Mozilla/5.0")
	require.NoError(t, err)
	return svc, c, d, u, ses, token
}

// storedLastSeen reads the session's last_seen_at as the database has it.
func storedLastSeen(t *testing.T, d *db.DB, sessionID string) string {
	t.Helper()
	var s string
	require.NoError(t, d.SQLite.QueryRowContext(t.Context(), `SELECT last_seen_at FROM sessions WHERE id = ?`, sessionID).Scan(&s))
	return s
}

func TestSignInBeginsASession(t *testing.T) {
	t.Parallel()
	svc, c, d, u, ses, token := signedIn(t)

	require.True(t, id.Valid("ses", ses.ID), ses.ID)
	require.Equal(t, service.Session{
		ID: ses.ID, UserID: u.ID, CreatedAt: c.now, LastSeenAt: c.now,
		ExpiresAt: c.now.Add(service.SessionIdleTimeout), UserAgent: "Mozilla/5.0",
	}, ses)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	require.Len(t, raw, 32)

	// Only the token's hash is stored.
	var stored string
	require.NoError(t, d.SQLite.QueryRowContext(t.Context(), `SELECT token_hash FROM sessions WHERE id = ?`, ses.ID).Scan(&stored))
	require.Len(t, stored, 64)
	require.NotContains(t, stored, token)

	gotSes, gotUser, err := svc.SessionUser(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, ses, gotSes)
	require.Equal(t, u, gotUser)

	// Every sign-in is a session of its own.
	_, token2, err := svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "Mozilla/5.0")
	require.NoError(t, err)
	require.NotEqual(t, token, token2)
}

func TestUnknownAndMalformedTokensAreUnauthenticated(t *testing.T) {
	t.Parallel()
	svc, _, _, _, _, token := signedIn(t)
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	for _, bad := range []string{"", "x", unknown, token + "A", token[:42], token[:42] + "=", strings.ToUpper(token[:1]) + "!" + token[2:]} {
		_, _, err := svc.SessionUser(t.Context(), bad)
		require.ErrorIs(t, err, service.ErrUnauthenticated, "%q", bad)
		require.NoError(t, svc.SignOut(t.Context(), bad), "signing out of a token that is not one is harmless")
	}
	_, _, err := svc.SessionUser(t.Context(), token)
	require.NoError(t, err)
}

func TestUserAgentIsCutTo200Bytes(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	_, err := svc.CreateUser(t.Context(), "dev@example.com", goodPassword)
	require.NoError(t, err)

	long := strings.Repeat("a", 199) + "é" + strings.Repeat("b", 100) // é spans bytes 200-201
	ses, _, err := svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", long)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("a", 199), ses.UserAgent, "cut at a character boundary")

	ses, _, err = svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "bad\xff\x00agent")
	require.NoError(t, err)
	require.Equal(t, "bad\uFFFDagent", ses.UserAgent, "valid UTF-8 without NUL")
	list, err := svc.ListSessions(t.Context(), ses.UserID)
	require.NoError(t, err)
	require.Equal(t, ses, list[0])
}

// last_seen_at is written at most once a minute; each write moves the idle expiry.
func TestSessionUseIsRecordedOnceAMinute(t *testing.T) {
	t.Parallel()
	svc, c, d, _, ses, token := signedIn(t)
	start := c.now
	before := storedLastSeen(t, d, ses.ID)

	c.now = start.Add(time.Minute - time.Microsecond)
	got, _, err := svc.SessionUser(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, start, got.LastSeenAt)
	require.Equal(t, start.Add(service.SessionIdleTimeout), got.ExpiresAt)
	require.Equal(t, before, storedLastSeen(t, d, ses.ID), "nothing written within the minute")

	c.now = start.Add(time.Minute)
	got, _, err = svc.SessionUser(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, c.now, got.LastSeenAt)
	require.Equal(t, c.now.Add(service.SessionIdleTimeout), got.ExpiresAt)
	require.NotEqual(t, before, storedLastSeen(t, d, ses.ID))

	list, err := svc.ListSessions(t.Context(), ses.UserID)
	require.NoError(t, err)
	require.Equal(t, []service.Session{got}, list, "as stored")
}

// A session unused for the idle timeout ends, and reading it then writes nothing.
func TestSessionIdleExpiry(t *testing.T) {
	t.Parallel()
	svc, c, d, _, ses, token := signedIn(t)
	start := c.now

	c.now = start.Add(service.SessionIdleTimeout - time.Microsecond)
	_, _, err := svc.SessionUser(t.Context(), token)
	require.NoError(t, err, "just before the idle timeout")
	seen := c.now

	c.now = seen.Add(service.SessionIdleTimeout - time.Microsecond)
	_, _, err = svc.SessionUser(t.Context(), token)
	require.NoError(t, err, "the use moved the expiry")

	stored := storedLastSeen(t, d, ses.ID)
	c.now = c.now.Add(service.SessionIdleTimeout)
	_, _, err = svc.SessionUser(t.Context(), token)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	require.Equal(t, stored, storedLastSeen(t, d, ses.ID), "an expired session is not touched")
	list, err := svc.ListSessions(t.Context(), ses.UserID)
	require.NoError(t, err)
	require.Empty(t, list)
}

// However often it is used, no session outlives SessionLifetime.
func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	svc, c, _, _, ses, token := signedIn(t)
	end := ses.CreatedAt.Add(service.SessionLifetime)

	for c.now.Add(11 * time.Hour).Before(end) {
		c.now = c.now.Add(11 * time.Hour)
		got, _, err := svc.SessionUser(t.Context(), token)
		require.NoError(t, err)
		want := c.now.Add(service.SessionIdleTimeout)
		if end.Before(want) {
			want = end
		}
		require.Equal(t, want, got.ExpiresAt)
	}
	c.now = end.Add(-time.Microsecond)
	got, _, err := svc.SessionUser(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, end, got.ExpiresAt)

	c.now = end
	_, _, err = svc.SessionUser(t.Context(), token)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	svc, c, _, u, _, token := signedIn(t)
	_, other, err := svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "phone")
	require.NoError(t, err)

	require.NoError(t, svc.SignOut(t.Context(), token))
	_, _, err = svc.SessionUser(t.Context(), token)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	require.NoError(t, svc.SignOut(t.Context(), token), "again: harmless")

	_, _, err = svc.SessionUser(t.Context(), other)
	require.NoError(t, err, "only that session ended")
	c.now = c.now.Add(time.Minute)
	list, err := svc.ListSessions(t.Context(), u.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestListAndRevokeSessions(t *testing.T) {
	t.Parallel()
	svc, c, _, u, first, firstToken := signedIn(t)
	c.now = c.now.Add(time.Second)
	second, secondToken, err := svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.2", "phone")
	require.NoError(t, err)
	other, err := svc.CreateUser(t.Context(), "other@example.com", goodPassword)
	require.NoError(t, err)
	othersSes, othersToken, err := svc.SignIn(t.Context(), "other@example.com", goodPassword, "192.0.2.3", "other")
	require.NoError(t, err)

	list, err := svc.ListSessions(t.Context(), u.ID)
	require.NoError(t, err)
	require.Equal(t, []service.Session{second, first}, list, "newest first, own only")

	// Another user's session is not found, and goes on.
	err = svc.RevokeSession(t.Context(), u.ID, othersSes.ID)
	requireKind(t, err, service.KindNotFound)
	require.Equal(t, "Session not found", err.Error())
	_, _, err = svc.SessionUser(t.Context(), othersToken)
	require.NoError(t, err)
	list, err = svc.ListSessions(t.Context(), other.ID)
	require.NoError(t, err)
	require.Equal(t, []service.Session{othersSes}, list)

	require.NoError(t, svc.RevokeSession(t.Context(), u.ID, first.ID))
	_, _, err = svc.SessionUser(t.Context(), firstToken)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	_, _, err = svc.SessionUser(t.Context(), secondToken)
	require.NoError(t, err)
	list, err = svc.ListSessions(t.Context(), u.ID)
	require.NoError(t, err)
	require.Equal(t, []service.Session{second}, list)
}

// Ended sessions, revoked or expired, are deleted at the next sign-in.
func TestEndedSessionsAreDeletedOnSignIn(t *testing.T) {
	t.Parallel()
	svc, c, d, _, _, token := signedIn(t)
	count := func() int {
		t.Helper()
		var n int
		require.NoError(t, d.SQLite.QueryRowContext(t.Context(), `SELECT count(*) FROM sessions`).Scan(&n))
		return n
	}
	_, second, err := svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "b")
	require.NoError(t, err)
	require.NoError(t, svc.SignOut(t.Context(), second))
	require.Equal(t, 2, count())

	c.now = c.now.Add(time.Hour)
	_, _, err = svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "c")
	require.NoError(t, err)
	require.Equal(t, 2, count(), "the signed-out one is gone")

	c.now = c.now.Add(service.SessionIdleTimeout)
	_, _, err = svc.SignIn(t.Context(), "dev@example.com", goodPassword, "192.0.2.1", "d")
	require.NoError(t, err)
	require.Equal(t, 1, count(), "the expired ones are gone")
	_, _, err = svc.SessionUser(t.Context(), token)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
}

func TestUserAPIKeys(t *testing.T) {
	t.Parallel()
	svc, c, _, u, _, _ := signedIn(t)
	ctx := t.Context()
	other, err := svc.CreateUser(ctx, "other@example.com", "")
	require.NoError(t, err)

	k1, secret1, err := svc.CreateUserAPIKey(ctx, u.ID, "  CI  ", service.ModeTest, []service.Permission{"posts:read", "accounts:read"})
	require.NoError(t, err)
	require.Equal(t, "CI", k1.Name)
	require.Equal(t, u.ID, k1.UserID)
	mode, err := apikey.Parse(secret1)
	require.NoError(t, err)
	require.Equal(t, service.ModeTest, mode)
	c.now = c.now.Add(time.Second)
	k2, secret2, err := svc.CreateUserAPIKey(ctx, u.ID, "Live", service.ModeLive, nil)
	require.NoError(t, err)
	othersKey, _, err := svc.CreateUserAPIKey(ctx, other.ID, "Theirs", service.ModeLive, nil)
	require.NoError(t, err)

	_, _, err = svc.CreateUserAPIKey(ctx, u.ID, "", "staging", []service.Permission{"posts:fly"})
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Fields, 3, "name, mode and permission at once")

	list, err := svc.ListUserAPIKeys(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, []string{k2.ID, k1.ID}, []string{list[0].ID, list[1].ID})
	require.Len(t, list, 2)
	byEmail, err := svc.ListAPIKeys(ctx, "DEV@example.com")
	require.NoError(t, err)
	require.Equal(t, list, byEmail, "the CLI's way lists the same")

	_, err = svc.RevokeUserAPIKey(ctx, u.ID, othersKey.ID)
	requireKind(t, err, service.KindNotFound)
	_, err = svc.Authenticate(ctx, secret2)
	require.NoError(t, err)

	c.now = c.now.Add(time.Second)
	revoked, err := svc.RevokeUserAPIKey(ctx, u.ID, k2.ID)
	require.NoError(t, err)
	require.Equal(t, &c.now, revoked.RevokedAt)
	_, err = svc.Authenticate(ctx, secret2)
	require.ErrorIs(t, err, service.ErrUnauthenticated, "refused from the next request")
	_, err = svc.Authenticate(ctx, secret1)
	require.NoError(t, err)
}

func TestAPIKeyNamesAreCountedInCharacters(t *testing.T) {
	t.Parallel()
	svc, _, _, u, _, _ := signedIn(t)
	ctx := t.Context()
	// 100 characters of two bytes each: 200 bytes, within the limit.
	name := strings.Repeat("é", service.APIKeyNameMaxLength)
	k, _, err := svc.CreateUserAPIKey(ctx, u.ID, name, service.ModeTest, nil)
	require.NoError(t, err)
	require.Equal(t, name, k.Name)

	_, _, err = svc.CreateUserAPIKey(ctx, u.ID, name+"é", service.ModeTest, nil)
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindValidation, se.Kind)
	require.Equal(t, []service.FieldError{{Field: "name", Message: "must be 1 to 100 characters"}}, se.Fields)
}
