package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// OAuth connections in progress: kept under their state's hash, taken once, expired ones
// deleted.
func (s *suite) oauthStates(t *testing.T) {
	newState := func(b *testBundle, hash string, expires time.Time, redirect *string) service.OAuthState {
		return service.OAuthState{
			StateHash: hash, Scope: b.scope, Platform: "twitter", RedirectURL: redirect,
			Verifier: []byte("sealed verifier"), ExpiresAt: expires,
		}
	}

	t.Run("TakenOnceWithEverythingItWasMadeWith", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		want := newState(b, "aa11", b.now.Add(10*time.Minute), new("https://app.example.com/done"))
		require.NoError(t, b.store.CreateOAuthState(b.ctx, want))
		plain := newState(b, "bb22", b.now.Add(10*time.Minute), nil)
		plain.Scope = b.testScope
		require.NoError(t, b.store.CreateOAuthState(b.ctx, plain))

		got, err := b.store.TakeOAuthState(b.ctx, "aa11")
		require.NoError(t, err)
		require.Equal(t, want, got)
		_, err = b.store.TakeOAuthState(b.ctx, "aa11")
		require.ErrorIs(t, err, service.ErrNotFound, "a state works once")

		got, err = b.store.TakeOAuthState(b.ctx, "bb22")
		require.NoError(t, err)
		require.Equal(t, plain, got)
		_, err = b.store.TakeOAuthState(b.ctx, "never-made")
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("ConcurrentTakesGetItOnce", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		require.NoError(t, b.store.CreateOAuthState(b.ctx, newState(b, "cc33", b.now.Add(time.Minute), nil)))
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, err := b.store.TakeOAuthState(b.ctx, "cc33")
				results <- err
			})
		}
		wg.Wait()
		close(results)
		taken := 0
		for err := range results {
			if err == nil {
				taken++
				continue
			}
			require.ErrorIs(t, err, service.ErrNotFound)
		}
		require.Equal(t, 1, taken)
	})

	t.Run("ExpiredOnesAreDeleted", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		require.NoError(t, b.store.CreateOAuthState(b.ctx, newState(b, "old", b.now.Add(-time.Microsecond), nil)))
		require.NoError(t, b.store.CreateOAuthState(b.ctx, newState(b, "now", b.now, nil)))
		require.NoError(t, b.store.DeleteExpiredOAuthStates(b.ctx, b.now))
		_, err := b.store.TakeOAuthState(b.ctx, "old")
		require.ErrorIs(t, err, service.ErrNotFound)
		_, err = b.store.TakeOAuthState(b.ctx, "now")
		require.NoError(t, err, "a state expiring at this very moment is not yet expired")
	})
}
