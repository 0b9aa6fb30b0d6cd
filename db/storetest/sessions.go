package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// The dashboard's side of the store: passwords, the first user, sessions, failed sign-in
// counts and user-scoped key revocation.

func (s *suite) passwords(t *testing.T) {
	t.Run("HasUsers", func(t *testing.T) {
		t.Parallel()
		empty := s.newStore(t)
		has, err := empty.HasUsers(t.Context())
		require.NoError(t, err)
		require.False(t, has)

		b := s.setup(t)
		has, err = b.store.HasUsers(b.ctx)
		require.NoError(t, err)
		require.True(t, has)
	})

	t.Run("SetAndReadPassword", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		u, hash, err := b.store.GetUserForSignIn(b.ctx, b.user.Email)
		require.NoError(t, err)
		require.Equal(t, b.user, u)
		require.Empty(t, hash, "a new user has no password")

		require.NoError(t, b.store.SetUserPassword(b.ctx, b.user.ID, "$argon2id$first"))
		require.NoError(t, b.store.SetUserPassword(b.ctx, b.user.ID, "$argon2id$second"))
		u, hash, err = b.store.GetUserForSignIn(b.ctx, b.user.Email)
		require.NoError(t, err)
		require.Equal(t, b.user, u)
		require.Equal(t, "$argon2id$second", hash)
		got, err := b.store.GetUserByEmail(b.ctx, b.user.Email)
		require.NoError(t, err)
		require.Equal(t, b.user, got, "the user reads back unchanged without its password")

		_, hash, err = b.store.GetUserForSignIn(b.ctx, "other@example.com")
		require.NoError(t, err)
		require.Empty(t, hash, "only that user's password changed")

		require.NoError(t, b.store.SetUserPassword(b.ctx, b.user.ID, ""))
		_, hash, err = b.store.GetUserForSignIn(b.ctx, b.user.Email)
		require.NoError(t, err)
		require.Empty(t, hash, `"" removes the password`)

		require.ErrorIs(t, b.store.SetUserPassword(b.ctx, id.New(id.User), "$argon2id$x"), service.ErrNotFound)
		_, _, err = b.store.GetUserForSignIn(b.ctx, "nobody@example.com")
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("FirstUserOnlyWhileThereIsNone", func(t *testing.T) {
		t.Parallel()
		store := s.newStore(t)
		ctx := t.Context()
		now := time.Date(2026, 4, 3, 12, 30, 15, 123456000, time.UTC)

		first := service.User{ID: id.New(id.User), Email: "first@example.com", CreatedAt: now.In(zone)}
		created, err := store.CreateFirstUser(ctx, first, "$argon2id$first")
		require.NoError(t, err)
		require.True(t, created)
		u, hash, err := store.GetUserForSignIn(ctx, "first@example.com")
		require.NoError(t, err)
		require.Equal(t, service.User{ID: first.ID, Email: first.Email, CreatedAt: now}, u)
		require.Equal(t, "$argon2id$first", hash)

		second := service.User{ID: id.New(id.User), Email: "second@example.com", CreatedAt: now}
		created, err = store.CreateFirstUser(ctx, second, "$argon2id$second")
		require.NoError(t, err)
		require.False(t, created)
		_, err = store.GetUserByEmail(ctx, "second@example.com")
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("FirstUserAfterAnotherUser", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		created, err := b.store.CreateFirstUser(b.ctx, service.User{ID: id.New(id.User), Email: "late@example.com", CreatedAt: b.now}, "$argon2id$x")
		require.NoError(t, err)
		require.False(t, created)
	})

	// Of many setups at once, with different emails, exactly one creates its user.
	t.Run("ConcurrentFirstUsersOneWins", func(t *testing.T) {
		t.Parallel()
		store := s.newStore(t)
		ctx := t.Context()
		const n = 8
		var wg sync.WaitGroup
		created := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				u := service.User{ID: id.New(id.User), Email: fmt.Sprintf("setup%d@example.com", i), CreatedAt: time.Now().UTC()}
				created[i], errs[i] = store.CreateFirstUser(ctx, u, "$argon2id$x")
			})
		}
		close(start)
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		winners := 0
		for i := range n {
			_, err := store.GetUserByEmail(ctx, fmt.Sprintf("setup%d@example.com", i))
			if created[i] {
				winners++
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, service.ErrNotFound)
			}
		}
		require.Equal(t, 1, winners)
	})

	// A setup that begins while another's transaction has created its user but not yet
	// committed waits for it, then finds that user: without the wait, each would see an
	// empty table and both would create theirs. The first holds its transaction open a
	// moment, long enough for the second to get as far as it can.
	t.Run("FirstUserWaitsForAnUncommittedOne", func(t *testing.T) {
		t.Parallel()
		store := s.newStore(t)
		ctx := t.Context()
		now := time.Now().UTC()

		secondDone := make(chan bool, 1)
		var secondErr error
		err := store.InTx(ctx, func(tx service.Store) error {
			created, err := tx.CreateFirstUser(ctx, service.User{ID: id.New(id.User), Email: "first@example.com", CreatedAt: now}, "$argon2id$1")
			if err != nil || !created {
				return fmt.Errorf("first setup: created %v, %w", created, err)
			}
			go func() {
				created, err := store.CreateFirstUser(ctx, service.User{ID: id.New(id.User), Email: "second@example.com", CreatedAt: now}, "$argon2id$2")
				secondErr = err
				secondDone <- created
			}()
			select {
			case created := <-secondDone:
				return fmt.Errorf("the second setup did not wait for the first's transaction (created: %v, error: %v)", created, secondErr)
			case <-time.After(300 * time.Millisecond):
			}
			return nil
		})
		require.NoError(t, err)
		require.False(t, <-secondDone, "the second setup created a user")
		require.NoError(t, secondErr)
		_, err = store.GetUserByEmail(ctx, "second@example.com")
		require.ErrorIs(t, err, service.ErrNotFound)
	})
}

// newSession returns a session of user begun at b.now, and its token hash.
func (b *testBundle) newSession(userID string) (service.Session, string) {
	sesID := id.New("ses")
	sum := sha256.Sum256([]byte(sesID))
	return service.Session{
		ID: sesID, UserID: userID, CreatedAt: b.now, LastSeenAt: b.now,
		ExpiresAt: b.now.Add(12 * time.Hour), UserAgent: "Mozilla/5.0",
	}, hex.EncodeToString(sum[:])
}

func (b *testBundle) createSession(t *testing.T, userID string) (service.Session, string) {
	t.Helper()
	ses, hash := b.newSession(userID)
	require.NoError(t, b.store.CreateSession(b.ctx, ses, hash))
	return ses, hash
}

func (s *suite) sessions(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		ses, hash := b.newSession(b.user.ID)
		in := ses
		in.CreatedAt, in.LastSeenAt, in.ExpiresAt = ses.CreatedAt.In(zone), ses.LastSeenAt.In(zone), ses.ExpiresAt.In(zone)
		in.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) ünïcode"
		require.NoError(t, b.store.CreateSession(b.ctx, in, hash))

		got, u, err := b.store.GetSessionByTokenHash(b.ctx, hash)
		require.NoError(t, err)
		ses.UserAgent = in.UserAgent
		require.Equal(t, ses, got)
		require.Equal(t, b.user, u)
		requireUTC(t, &got.CreatedAt, &got.LastSeenAt, &got.ExpiresAt, &u.CreatedAt)

		_, _, err = b.store.GetSessionByTokenHash(b.ctx, "0000")
		require.ErrorIs(t, err, service.ErrNotFound)
		require.ErrorIs(t, b.store.CreateSession(b.ctx, ses, hash), service.ErrDuplicate)
	})

	t.Run("ExpiredSessionsAreStillRead", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		// Whether a session has expired is the service's to say, with its clock.
		ses, hash := b.newSession(b.user.ID)
		ses.ExpiresAt = b.now.Add(-time.Hour)
		require.NoError(t, b.store.CreateSession(b.ctx, ses, hash))
		got, _, err := b.store.GetSessionByTokenHash(b.ctx, hash)
		require.NoError(t, err)
		require.Equal(t, ses, got)
	})

	t.Run("TouchAtMostOncePerMinAge", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		ses, hash := b.createSession(t, b.user.ID)
		other, otherHash := b.createSession(t, b.user.ID)
		const minAge = time.Minute
		read := func(h string) service.Session {
			t.Helper()
			got, _, err := b.store.GetSessionByTokenHash(b.ctx, h)
			require.NoError(t, err)
			return got
		}

		// Within minAge of the last touch: unchanged.
		early := b.now.Add(minAge - time.Microsecond)
		require.NoError(t, b.store.TouchSession(b.ctx, ses.ID, early, early.Add(12*time.Hour), minAge))
		require.Equal(t, ses, read(hash))

		t1 := b.now.Add(minAge)
		require.NoError(t, b.store.TouchSession(b.ctx, ses.ID, t1, t1.Add(12*time.Hour), minAge))
		want := ses
		want.LastSeenAt, want.ExpiresAt = t1, t1.Add(12*time.Hour)
		require.Equal(t, want, read(hash))

		// An older touch never moves it back; only the touched session changes.
		require.NoError(t, b.store.TouchSession(b.ctx, ses.ID, b.now, b.now, minAge))
		require.Equal(t, want, read(hash))
		require.Equal(t, other, read(otherHash))

		// A revoked session is not touched (nor read).
		require.NoError(t, b.store.RevokeSessionByTokenHash(b.ctx, otherHash, b.now))
		require.NoError(t, b.store.TouchSession(b.ctx, other.ID, t1.Add(time.Hour), t1.Add(13*time.Hour), minAge))
		_, _, err := b.store.GetSessionByTokenHash(b.ctx, otherHash)
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("ListNewestFirstLiveOwnSessionsOnly", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first, _ := b.createSession(t, b.user.ID)
		b.createSession(t, b.other.UserID)
		expired, expiredHash := b.newSession(b.user.ID)
		expired.ExpiresAt = b.now.Add(time.Minute)
		require.NoError(t, b.store.CreateSession(b.ctx, expired, expiredHash))
		_, revokedHash := b.createSession(t, b.user.ID)
		require.NoError(t, b.store.RevokeSessionByTokenHash(b.ctx, revokedHash, b.now))
		last, _ := b.createSession(t, b.user.ID)

		got, err := b.store.ListSessions(b.ctx, b.user.ID, b.now, 10)
		require.NoError(t, err)
		require.Equal(t, []service.Session{last, expired, first}, got)

		// At its expiry a session is no longer listed.
		got, err = b.store.ListSessions(b.ctx, b.user.ID, b.now.Add(time.Minute), 10)
		require.NoError(t, err)
		require.Equal(t, []service.Session{last, first}, got)

		got, err = b.store.ListSessions(b.ctx, b.user.ID, b.now, 1)
		require.NoError(t, err)
		require.Equal(t, []service.Session{last}, got, "the limit keeps the newest")

		got, err = b.store.ListSessions(b.ctx, id.New(id.User), b.now, 10)
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("Revoke", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		byToken, byTokenHash := b.createSession(t, b.user.ID)
		byID, byIDHash := b.createSession(t, b.user.ID)
		othersSes, othersHash := b.createSession(t, b.other.UserID)

		require.NoError(t, b.store.RevokeSessionByTokenHash(b.ctx, byTokenHash, b.now))
		require.NoError(t, b.store.RevokeSessionByTokenHash(b.ctx, byTokenHash, b.now), "again: harmless")
		require.NoError(t, b.store.RevokeSessionByTokenHash(b.ctx, "0000", b.now), "unknown: harmless")
		_, _, err := b.store.GetSessionByTokenHash(b.ctx, byTokenHash)
		require.ErrorIs(t, err, service.ErrNotFound)

		// By id, only the owner's.
		require.ErrorIs(t, b.store.RevokeSession(b.ctx, b.user.ID, othersSes.ID, b.now), service.ErrNotFound)
		require.ErrorIs(t, b.store.RevokeSession(b.ctx, b.user.ID, "ses_unknown", b.now), service.ErrNotFound)
		require.NoError(t, b.store.RevokeSession(b.ctx, b.user.ID, byID.ID, b.now))
		require.NoError(t, b.store.RevokeSession(b.ctx, b.user.ID, byID.ID, b.now), "again: harmless")
		require.NoError(t, b.store.RevokeSession(b.ctx, b.user.ID, byToken.ID, b.now), "revoked another way: harmless")
		_, _, err = b.store.GetSessionByTokenHash(b.ctx, byIDHash)
		require.ErrorIs(t, err, service.ErrNotFound)
		got, _, err := b.store.GetSessionByTokenHash(b.ctx, othersHash)
		require.NoError(t, err)
		require.Equal(t, othersSes, got)
	})

	t.Run("RevokeEveryOneOfAUser", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		_, h1 := b.createSession(t, b.user.ID)
		_, h2 := b.createSession(t, b.user.ID)
		others, othersHash := b.createSession(t, b.other.UserID)
		require.NoError(t, b.store.RevokeUserSessions(b.ctx, b.user.ID, b.now))
		for _, h := range []string{h1, h2} {
			_, _, err := b.store.GetSessionByTokenHash(b.ctx, h)
			require.ErrorIs(t, err, service.ErrNotFound)
		}
		got, err := b.store.ListSessions(b.ctx, b.user.ID, b.now, 10)
		require.NoError(t, err)
		require.Empty(t, got)
		list, err := b.store.ListSessions(b.ctx, b.other.UserID, b.now, 10)
		require.NoError(t, err)
		require.Equal(t, []service.Session{others}, list)
		_, _, err = b.store.GetSessionByTokenHash(b.ctx, othersHash)
		require.NoError(t, err)
	})

	t.Run("DeleteEnded", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		live, liveHash := b.createSession(t, b.user.ID)
		expired, expiredHash := b.newSession(b.user.ID)
		expired.ExpiresAt = b.now
		require.NoError(t, b.store.CreateSession(b.ctx, expired, expiredHash))
		revoked, revokedHash := b.createSession(t, b.user.ID)
		require.NoError(t, b.store.RevokeSessionByTokenHash(b.ctx, revokedHash, b.now))

		require.NoError(t, b.store.DeleteEndedSessions(b.ctx, b.now))
		_, _, err := b.store.GetSessionByTokenHash(b.ctx, liveHash)
		require.NoError(t, err)
		_, _, err = b.store.GetSessionByTokenHash(b.ctx, expiredHash)
		require.ErrorIs(t, err, service.ErrNotFound)
		// Deleted, not only revoked: revoking it by id finds nothing.
		require.ErrorIs(t, b.store.RevokeSession(b.ctx, b.user.ID, expired.ID, b.now), service.ErrNotFound)
		require.ErrorIs(t, b.store.RevokeSession(b.ctx, b.user.ID, revoked.ID, b.now), service.ErrNotFound)
		require.NoError(t, b.store.RevokeSession(b.ctx, b.user.ID, live.ID, b.now))
	})
}

func (s *suite) signInWindows(t *testing.T) {
	t.Run("CountsPerBucketAndWindow", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		w := b.now.Truncate(15 * time.Minute)
		next := w.Add(15 * time.Minute)
		add := func(bucket string, window time.Time, n int64) int64 {
			t.Helper()
			c, err := b.store.AddSignInFailures(b.ctx, bucket, window, window.Add(15*time.Minute), n)
			require.NoError(t, err)
			return c
		}
		get := func(bucket string, window time.Time) int64 {
			t.Helper()
			c, err := b.store.GetSignInFailures(b.ctx, bucket, window)
			require.NoError(t, err)
			return c
		}

		require.Equal(t, int64(0), get("email:a", w), "no window: none")
		require.Equal(t, int64(1), add("email:a", w, 1))
		require.Equal(t, int64(2), add("email:a", w, 1))
		require.Equal(t, int64(1), add("email:a", w, -1), "taken back")
		require.Equal(t, int64(1), get("email:a", w))
		require.Equal(t, int64(1), add("client:a", w, 1), "another bucket counts on its own")
		require.Equal(t, int64(1), add("email:a", next, 1), "the next window starts afresh")
		require.Equal(t, int64(1), get("email:a", w))

		require.NoError(t, b.store.DeleteExpiredSignInWindows(b.ctx, next.Add(-time.Microsecond)))
		require.Equal(t, int64(1), get("email:a", w), "not yet expired")
		require.NoError(t, b.store.DeleteExpiredSignInWindows(b.ctx, next))
		require.Equal(t, int64(0), get("email:a", w))
		require.Equal(t, int64(0), get("client:a", w))
		require.Equal(t, int64(1), get("email:a", next))
	})

	t.Run("ConcurrentAddsAreDistinct", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		w := b.now.Truncate(15 * time.Minute)
		const n = 20
		counts := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				counts[i], errs[i] = b.store.AddSignInFailures(b.ctx, "email:x", w, w.Add(15*time.Minute), 1)
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		seen := map[int64]bool{}
		for _, c := range counts {
			seen[c] = true
		}
		require.Len(t, seen, n, "each add saw the count it made: %v", counts)
		got, err := b.store.GetSignInFailures(b.ctx, "email:x", w)
		require.NoError(t, err)
		require.Equal(t, int64(n), got)
	})
}

// userAPIKeys: the dashboard revokes a key only of the signed-in user.
func (s *suite) userAPIKeys(t *testing.T) {
	t.Run("RevokeUserAPIKeyOnlyTheUsers", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.createAPIKey(t, b.newAPIKey(b.testScope))
		others := b.createAPIKey(t, b.newAPIKey(b.other))
		at := b.now.Add(time.Hour)

		_, err := b.store.RevokeUserAPIKey(b.ctx, b.user.ID, others.ID, at)
		require.ErrorIs(t, err, service.ErrNotFound)
		got, err := b.store.GetAPIKeyByHash(b.ctx, others.Hash)
		require.NoError(t, err)
		require.Nil(t, got.RevokedAt)

		got, err = b.store.RevokeUserAPIKey(b.ctx, b.user.ID, k.ID, at)
		require.NoError(t, err)
		want := k
		want.RevokedAt = &at
		require.Equal(t, want, got)
		got, err = b.store.RevokeUserAPIKey(b.ctx, b.user.ID, k.ID, at.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, want, got, "again: the first time stays")
		_, err = b.store.RevokeUserAPIKey(b.ctx, b.user.ID, id.New(id.APIKey), at)
		require.ErrorIs(t, err, service.ErrNotFound)
	})
}
