package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// rateLimits: tiers are kept per user; each window of each bucket counts on its own, and
// concurrent counts of one window each get a different number.
func (s *suite) rateLimits(t *testing.T) {
	t.Run("Tiers", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		tier, err := b.store.GetUserTier(b.ctx, b.user.ID)
		require.NoError(t, err)
		require.Equal(t, service.Tier(""), tier, "a new user has no tier: the default applies")

		require.NoError(t, b.store.SetUserTier(b.ctx, b.user.ID, service.TierPro))
		tier, err = b.store.GetUserTier(b.ctx, b.user.ID)
		require.NoError(t, err)
		require.Equal(t, service.TierPro, tier)
		other, err := b.store.GetUserTier(b.ctx, b.other.UserID)
		require.NoError(t, err)
		require.Equal(t, service.Tier(""), other)

		require.ErrorIs(t, b.store.SetUserTier(b.ctx, id.New(id.User), service.TierPro), service.ErrNotFound)
		_, err = b.store.GetUserTier(b.ctx, id.New(id.User))
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("CountsPerBucketAndWindow", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		minute := b.now.Truncate(time.Minute)
		count := func(bucket string, window time.Time) int64 {
			n, err := b.store.CountRequests(b.ctx, bucket, window, window.Add(time.Minute), 1)
			require.NoError(t, err)
			return n
		}
		require.Equal(t, int64(1), count("m:a", minute))
		require.Equal(t, int64(2), count("m:a", minute))
		require.Equal(t, int64(1), count("m:b", minute), "another bucket counts on its own")
		require.Equal(t, int64(1), count("m:a", minute.Add(time.Minute)), "the next window starts afresh")
		n, err := b.store.CountRequests(b.ctx, "m:a", minute.Add(time.Minute), minute.Add(2*time.Minute), 10)
		require.NoError(t, err)
		require.Equal(t, int64(11), n, "a reservation of 10 adds 10")

		require.NoError(t, b.store.DeleteExpiredRateWindows(b.ctx, minute.Add(3*time.Minute)))
		require.Equal(t, int64(1), count("m:a", minute.Add(3*time.Minute)))
	})

	t.Run("ConcurrentCountsAreDistinct", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		const n = 40
		window := b.now.Truncate(time.Minute)
		got := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c, err := b.store.CountRequests(b.ctx, "m:k", window, window.Add(time.Minute), 1)
				if err == nil {
					got[i] = c
				}
			})
		}
		wg.Wait()
		seen := map[int64]bool{}
		for _, c := range got {
			seen[c] = true
		}
		require.Len(t, seen, n, "every count is different: %v", got)
		for c := range seen {
			require.True(t, c >= 1 && c <= n, "count %d", c)
		}
	})
}

// idempotencyKeys: one claim per (scope, key) until it is released, expires, or its
// lease lapses; only the claimer completes it.
func (s *suite) idempotencyKeys(t *testing.T) {
	claim := func(b *testBundle, sc service.Scope, key, fingerprint, token string, at time.Time) service.IdempotencyRecord {
		return service.IdempotencyRecord{
			Scope: sc, Key: key, Fingerprint: fingerprint, Token: token, State: service.IdempotencyInFlight,
			CreatedAt: at, ExpiresAt: at.Add(service.IdempotencyTTL), LeaseUntil: at.Add(service.IdempotencyLease),
		}
	}

	t.Run("ClaimCompleteReplay", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		first := claim(b, b.scope, "k1", "fp1", "tok1", b.now)
		got, ok, err := b.store.ClaimIdempotencyKey(b.ctx, first)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, first, got)

		second := claim(b, b.scope, "k1", "fp2", "tok2", b.now.Add(time.Second))
		got, ok, err = b.store.ClaimIdempotencyKey(b.ctx, second)
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, first, got, "the first claim, as stored, in flight")

		// Other scopes have keys of their own.
		for _, sc := range []service.Scope{b.testScope, b.other} {
			_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, sc, "k1", "fp1", "tok3", b.now))
			require.NoError(t, err)
			require.True(t, ok)
		}

		wrong := first
		wrong.Token = "tok2"
		require.ErrorIs(t, b.store.CompleteIdempotencyKey(b.ctx, wrong), service.ErrNotFound, "only the claimer completes")
		done := first
		done.State, done.Status, done.Header, done.Body = service.IdempotencyDone, 201, []byte(`{"Content-Type":["application/json"]}`), []byte{0, 1, 0xff}
		require.NoError(t, b.store.CompleteIdempotencyKey(b.ctx, done))
		got, ok, err = b.store.ClaimIdempotencyKey(b.ctx, second)
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, done, got)
		require.ErrorIs(t, b.store.CompleteIdempotencyKey(b.ctx, done), service.ErrNotFound, "completed once")

		// A completed key is not released, and survives its lease: only expiry frees it.
		require.NoError(t, b.store.ReleaseIdempotencyKey(b.ctx, b.scope, "k1", "tok1"))
		_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "k1", "fp1", "tok4", b.now.Add(service.IdempotencyLease+time.Second)))
		require.NoError(t, err)
		require.False(t, ok)
		later := claim(b, b.scope, "k1", "fp2", "tok5", b.now.Add(service.IdempotencyTTL))
		got, ok, err = b.store.ClaimIdempotencyKey(b.ctx, later)
		require.NoError(t, err)
		require.True(t, ok, "expired: claimed afresh")
		require.Equal(t, later, got)
	})

	t.Run("ReleaseAndLease", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		first := claim(b, b.scope, "k", "fp", "tok1", b.now)
		_, ok, err := b.store.ClaimIdempotencyKey(b.ctx, first)
		require.NoError(t, err)
		require.True(t, ok)

		require.NoError(t, b.store.ReleaseIdempotencyKey(b.ctx, b.scope, "k", "other"))
		_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "k", "fp", "tok2", b.now))
		require.NoError(t, err)
		require.False(t, ok, "a release by another token changes nothing")

		require.NoError(t, b.store.ReleaseIdempotencyKey(b.ctx, b.scope, "k", "tok1"))
		_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "k", "fp", "tok2", b.now))
		require.NoError(t, err)
		require.True(t, ok, "released: claimed again")

		// tok2's claim is abandoned: once its lease lapses, tok3 takes it over, and tok2
		// can no longer complete it.
		_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "k", "fp", "tok3", b.now.Add(service.IdempotencyLease-time.Second)))
		require.NoError(t, err)
		require.False(t, ok)
		_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "k", "fp", "tok3", b.now.Add(service.IdempotencyLease)))
		require.NoError(t, err)
		require.True(t, ok)
		stale := claim(b, b.scope, "k", "fp", "tok2", b.now)
		stale.Status = 201
		require.ErrorIs(t, b.store.CompleteIdempotencyKey(b.ctx, stale), service.ErrNotFound)

		require.NoError(t, b.store.DeleteExpiredIdempotencyKeys(b.ctx, b.now.Add(2*service.IdempotencyTTL)))
		_, ok, err = b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "k", "other", "tok4", b.now))
		require.NoError(t, err)
		require.True(t, ok, "deleted when expired")
	})

	t.Run("ConcurrentClaimsOneWins", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		const n = 20
		var mu sync.Mutex
		var wins, losses int
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, ok, err := b.store.ClaimIdempotencyKey(b.ctx, claim(b, b.scope, "race", "fp", "tok"+string(rune('a'+i)), b.now))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					wins++
				} else {
					losses++
				}
			})
		}
		wg.Wait()
		require.Equal(t, 1, wins)
		require.Equal(t, n-1, losses)
	})
}
