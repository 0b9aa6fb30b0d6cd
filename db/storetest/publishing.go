package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
)

// newAttempt returns a pending attempt of p's on platform.
func (b *testBundle) newAttempt(p service.Post, pl service.Platform, segment int) service.PublishAttempt {
	return service.PublishAttempt{
		Scope:          p.Scope,
		PostID:         p.ID,
		Platform:       pl,
		Segment:        segment,
		State:          service.AttemptPending,
		IdempotencyKey: fmt.Sprintf("%s:%s:%d", p.ID, pl, segment),
		UpdatedAt:      b.now,
	}
}

func (b *testBundle) requireAttempts(t *testing.T, p service.Post, pl service.Platform, want ...service.PublishAttempt) {
	t.Helper()
	got, err := b.store.ListAttempts(b.ctx, p.Scope, p.ID, pl)
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.Equal(t, want, got)
	for _, a := range got {
		requireUTC(t, &a.UpdatedAt)
	}
}

func (s *suite) publishing(t *testing.T) {
	t.Run("PostGenerationRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.newPost(b.scope)
		p.Generation = 3
		b.createPost(t, p)
		b.requirePost(t, p)

		p.Generation = 4
		require.NoError(t, b.store.UpdatePost(b.ctx, p))
		b.requirePost(t, p)
	})

	t.Run("AttemptsRoundTripBySegment", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		second := b.newAttempt(p, "bluesky", 1)
		first := b.newAttempt(p, "bluesky", 0)
		first.State = service.AttemptDone
		first.Owner = "42"
		first.Tries = 2
		first.Ref = platform.Ref{ID: "at://did:plc:x/app.bsky.feed.post/3k", URL: "https://bsky.app/profile/u/post/3k", CID: "bafy"}
		first.UpdatedAt = b.now.In(zone)
		other := b.newAttempt(p, "mastodon", 0)
		other.State = service.AttemptFailed
		other.Error = "Validation failed: ünïcödé 🚀"
		for _, a := range []service.PublishAttempt{second, first, other} {
			require.NoError(t, b.store.CreateAttempt(b.ctx, a))
		}

		first.UpdatedAt = b.now
		b.requireAttempts(t, p, "bluesky", first, second)
		b.requireAttempts(t, p, "mastodon", other)
		b.requireAttempts(t, p, "twitter")
	})

	t.Run("AttemptsAreScoped", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		a := b.newAttempt(p, "bluesky", 0)
		require.NoError(t, b.store.CreateAttempt(b.ctx, a))

		for _, sc := range []service.Scope{b.testScope, b.other} {
			got, err := b.store.ListAttempts(b.ctx, sc, p.ID, "bluesky")
			require.NoError(t, err)
			require.Empty(t, got)

			foreign := a
			foreign.Scope = sc
			changed := foreign
			changed.State = service.AttemptInFlight
			require.ErrorIs(t, b.store.UpdateAttempt(b.ctx, changed, foreign), service.ErrNotFound)
		}
		b.requireAttempts(t, p, "bluesky", a)
	})

	t.Run("DuplicateAttempt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		a := b.newAttempt(p, "bluesky", 0)
		require.NoError(t, b.store.CreateAttempt(b.ctx, a))
		dup := a
		dup.State = service.AttemptDone
		require.ErrorIs(t, b.store.CreateAttempt(b.ctx, dup), service.ErrDuplicate)
		b.requireAttempts(t, p, "bluesky", a)
	})

	t.Run("DuplicateAttemptLeavesTheTransactionUsable", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		// The engine writes a run's first attempt without reading first, and reads the
		// attempts only when one exists: the transaction must go on after ErrDuplicate.
		p := b.createPost(t, b.newPost(b.scope))
		a := b.newAttempt(p, "bluesky", 0)
		require.NoError(t, b.store.CreateAttempt(b.ctx, a))
		next := b.newAttempt(p, "bluesky", 1)
		require.NoError(t, b.store.InTx(b.ctx, func(tx service.Store) error {
			require.ErrorIs(t, tx.CreateAttempt(b.ctx, a), service.ErrDuplicate)
			got, err := tx.ListAttempts(b.ctx, p.Scope, p.ID, "bluesky")
			require.NoError(t, err)
			require.Len(t, got, 1)
			return tx.CreateAttempt(b.ctx, next)
		}))
		b.requireAttempts(t, p, "bluesky", a, next)
	})

	t.Run("UpdateAttemptIsCompareAndSet", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		pending := b.newAttempt(p, "mastodon", 0)
		require.NoError(t, b.store.CreateAttempt(b.ctx, pending))

		inFlight := pending
		inFlight.State = service.AttemptInFlight
		inFlight.Owner = "job-1"
		inFlight.Tries = 1
		inFlight.UpdatedAt = b.now.Add(time.Second)
		require.NoError(t, b.store.UpdateAttempt(b.ctx, inFlight, pending))
		b.requireAttempts(t, p, "mastodon", inFlight)

		// Every part of the version counts: state, owner and tries.
		done := inFlight
		done.State = service.AttemptDone
		done.Ref = platform.Ref{ID: "1", URL: "https://mastodon.example/@u/1"}
		for _, stale := range []service.PublishAttempt{
			pending,
			{Scope: inFlight.Scope, PostID: p.ID, Platform: "mastodon", State: service.AttemptInFlight, Owner: "job-2", Tries: 1},
			{Scope: inFlight.Scope, PostID: p.ID, Platform: "mastodon", State: service.AttemptInFlight, Owner: "job-1", Tries: 2},
		} {
			require.ErrorIs(t, b.store.UpdateAttempt(b.ctx, done, stale), service.ErrNotFound)
		}
		b.requireAttempts(t, p, "mastodon", inFlight)

		require.NoError(t, b.store.UpdateAttempt(b.ctx, done, inFlight))
		b.requireAttempts(t, p, "mastodon", done)

		missing := b.newAttempt(p, "mastodon", 1)
		require.ErrorIs(t, b.store.UpdateAttempt(b.ctx, missing, missing), service.ErrNotFound)
	})

	t.Run("RacingWorkersOneWins", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		pending := b.newAttempt(p, "discord", 0)
		require.NoError(t, b.store.CreateAttempt(b.ctx, pending))

		const workers = 8
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				mine := pending
				mine.State = service.AttemptInFlight
				mine.Owner = fmt.Sprint("job-", i)
				mine.Tries = 1
				errs[i] = b.store.UpdateAttempt(b.ctx, mine, pending)
			})
		}
		wg.Wait()

		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "two workers won")
				winner = i
				continue
			}
			require.ErrorIs(t, err, service.ErrNotFound)
		}
		require.NotEqual(t, -1, winner, "no worker won")
		got, err := b.store.ListAttempts(b.ctx, p.Scope, p.ID, "discord")
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, fmt.Sprint("job-", winner), got[0].Owner)
	})

	t.Run("DeletingThePostDeletesItsAttempts", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		require.NoError(t, b.store.CreateAttempt(b.ctx, b.newAttempt(p, "bluesky", 0)))
		require.NoError(t, b.store.DeletePost(b.ctx, p.Scope, p.ID))
		b.requireAttempts(t, p, "bluesky")

		// An attempt cannot outlive, or precede, its post.
		err := b.store.CreateAttempt(b.ctx, b.newAttempt(p, "bluesky", 0))
		require.Error(t, err)
	})

	t.Run("AttemptsInTxRollBack", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		errStop := fmt.Errorf("stop")
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, tx.CreateAttempt(b.ctx, b.newAttempt(p, "bluesky", 0)))
			got, err := tx.ListAttempts(b.ctx, p.Scope, p.ID, "bluesky")
			require.NoError(t, err)
			require.Len(t, got, 1)
			return errStop
		})
		require.ErrorIs(t, err, errStop)
		b.requireAttempts(t, p, "bluesky")
	})
}
