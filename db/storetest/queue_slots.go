package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// queueSlots: what firing the queue's slots needs of a store (service/queue_fire.go). A
// slot is claimed once per scope and time, whatever the racing; the queue's scopes and its
// oldest post are read as the sweep needs them.
func (s *suite) queueSlots(t *testing.T) {
	t.Run("ASlotIsClaimedOnce", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		at := b.now.Truncate(time.Minute)
		claim := func(sc service.Scope, at time.Time, postID string) bool {
			t.Helper()
			ok, err := b.store.ClaimQueueSlot(b.ctx, sc, at, postID)
			require.NoError(t, err)
			return ok
		}
		require.True(t, claim(b.scope, at, "post_a"))
		require.False(t, claim(b.scope, at, "post_b"), "the slot is taken, whichever post asks")
		require.False(t, claim(b.scope, at.In(zone), "post_b"), "the same instant in another zone is the same slot")
		require.True(t, claim(b.scope, at.Add(time.Minute), "post_b"), "the next slot is free")
		require.True(t, claim(b.testScope, at, "post_c"), "the other mode has its own slots")
		require.True(t, claim(b.other, at, "post_d"), "another user has their own slots")
	})

	t.Run("ConcurrentClaimsOfOneSlotHaveOneWinner", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		at := b.now.Truncate(time.Minute)
		const racers = 8
		won := make([]bool, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				errs[i] = b.store.InTx(b.ctx, func(tx service.Store) error {
					ok, err := tx.ClaimQueueSlot(b.ctx, b.scope, at, "post")
					won[i] = ok
					return err
				})
			})
		}
		wg.Wait()
		winners := 0
		for i := range racers {
			require.NoError(t, errs[i])
			if won[i] {
				winners++
			}
		}
		require.Equal(t, 1, winners)
	})

	t.Run("AClaimRolledBackFreesTheSlot", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		at := b.now.Truncate(time.Minute)
		errStop := errors.New("stop")
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			ok, err := tx.ClaimQueueSlot(b.ctx, b.scope, at, "post_a")
			require.NoError(t, err)
			require.True(t, ok)
			return errStop
		})
		require.ErrorIs(t, err, errStop)
		ok, err := b.store.ClaimQueueSlot(b.ctx, b.scope, at, "post_b")
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("OldClaimsAreDeleted", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		at := b.now.Truncate(time.Minute)
		for _, slot := range []time.Time{at.Add(-time.Hour), at, at.Add(time.Hour)} {
			ok, err := b.store.ClaimQueueSlot(b.ctx, b.scope, slot, "post")
			require.NoError(t, err)
			require.True(t, ok)
		}
		require.NoError(t, b.store.DeleteQueueSlotsBefore(b.ctx, at.In(zone)))
		for slot, free := range map[time.Time]bool{at.Add(-time.Hour): true, at: false, at.Add(time.Hour): false} {
			ok, err := b.store.ClaimQueueSlot(b.ctx, b.scope, slot, "again")
			require.NoError(t, err)
			require.Equal(t, free, ok, "slot %s", slot)
		}
	})

	t.Run("QueueScopesAreThoseWithAnApprovedPost", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		scopes, err := b.store.QueueScopes(b.ctx)
		require.NoError(t, err)
		require.Empty(t, scopes)

		b.queuedPost(t, b.scope, service.QueueQueued, b.now)
		b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(time.Minute)) // listed once
		b.queuedPost(t, b.testScope, service.QueuePending, b.now)             // pending only: nothing to fire
		b.createPost(t, b.newPost(b.other))                                   // a draft only
		scopes, err = b.store.QueueScopes(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []service.Scope{b.scope}, scopes)

		b.queuedPost(t, b.other, service.QueueQueued, b.now)
		scopes, err = b.store.QueueScopes(b.ctx)
		require.NoError(t, err)
		require.ElementsMatch(t, []service.Scope{b.scope, b.other}, scopes)
	})

	t.Run("OldestQueuedPost", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		_, err := b.store.OldestQueuedPostForUpdate(b.ctx, b.scope)
		require.ErrorIs(t, err, service.ErrNotFound)

		b.queuedPost(t, b.scope, service.QueuePending, b.now) // older, but not approved
		second := b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(2*time.Minute))
		first := b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(time.Minute))
		b.queuedPost(t, b.other, service.QueueQueued, b.now)
		b.queuedPost(t, b.testScope, service.QueueQueued, b.now)

		var got service.Post
		require.NoError(t, b.store.InTx(b.ctx, func(tx service.Store) error {
			got, err = tx.OldestQueuedPostForUpdate(b.ctx, b.scope)
			return err
		}))
		require.Equal(t, first, got, "by queued_at, not by id")

		first.Queue, first.QueuedAt, first.Status = service.QueueNone, nil, service.PostPublishing
		require.NoError(t, b.store.UpdatePost(b.ctx, first))
		got, err = b.store.OldestQueuedPostForUpdate(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, second.ID, got.ID)
	})

	// Sweeps racing on one slot, as two instances would (the whole of what
	// service.FireQueueSlots does in its transaction, the post's start aside): one post
	// leaves the queue, the others stay in it, in order.
	t.Run("RacingSweepsTakeOnePostPerSlot", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		var queued []service.Post
		for i := range 4 {
			queued = append(queued, b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(time.Duration(i)*time.Minute)))
		}
		at := b.now.Truncate(time.Minute).Add(time.Hour)
		const racers = 6
		taken := make([]string, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				errs[i] = b.store.InTx(b.ctx, func(tx service.Store) error {
					taken[i] = ""
					p, err := tx.OldestQueuedPostForUpdate(b.ctx, b.scope)
					if errors.Is(err, service.ErrNotFound) {
						return nil
					}
					if err != nil {
						return err
					}
					ok, err := tx.ClaimQueueSlot(b.ctx, b.scope, at, p.ID)
					if err != nil || !ok {
						return err
					}
					p.Queue, p.QueuedAt, p.Status = service.QueueNone, nil, service.PostPublishing
					if err := tx.UpdatePost(b.ctx, p); err != nil {
						return err
					}
					taken[i] = p.ID
					return nil
				})
			})
		}
		wg.Wait()
		var winners []string
		for i := range racers {
			require.NoError(t, errs[i])
			if taken[i] != "" {
				winners = append(winners, taken[i])
			}
		}
		require.Equal(t, []string{queued[0].ID}, winners, "one sweep took the oldest post")
		left, err := b.store.ListQueue(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Equal(t, ids(queued[1:]), ids(left))
	})
}
