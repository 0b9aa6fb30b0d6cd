package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/slots"
)

// queuedPost returns a post of the scope in the queue, in state, entered at queuedAt.
func (b *testBundle) queuedPost(t *testing.T, sc service.Scope, state service.QueueState, queuedAt time.Time) service.Post {
	t.Helper()
	p := b.newPost(sc)
	p.Status = service.PostQueued
	p.Queue = state
	p.QueuedAt = &queuedAt
	return b.createPost(t, p)
}

func ids(posts []service.Post) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.ID
	}
	return out
}

func (s *suite) queue(t *testing.T) {
	t.Run("SettingsAreNotFoundUntilPut", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		_, err := b.store.GetQueueSettings(b.ctx, b.scope)
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("SettingsRoundTripAndAreReplaced", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		var week slots.Week
		week[time.Monday] = []slots.Range{{Start: 9 * 60, End: 12 * 60}, {Start: 13 * 60, End: 20 * 60}}
		week[time.Friday] = []slots.Range{{Start: 0, End: 24 * 60}}
		first := service.QueueSettings{
			Timezone: "America/New_York", Week: week, IntervalMinutes: 240,
			UpdatedAt: new(b.now.In(zone)),
		}
		require.NoError(t, b.store.PutQueueSettings(b.ctx, b.scope, first))

		got, err := b.store.GetQueueSettings(b.ctx, b.scope)
		require.NoError(t, err)
		want := first
		want.UpdatedAt = new(b.now)
		require.Equal(t, want, got)
		requireUTC(t, got.UpdatedAt)

		// Other scopes still have none.
		for _, sc := range []service.Scope{b.testScope, b.other} {
			_, err := b.store.GetQueueSettings(b.ctx, sc)
			require.ErrorIs(t, err, service.ErrNotFound)
		}

		// A second put replaces every field, an emptied day included.
		var other slots.Week
		other[time.Sunday] = []slots.Range{{Start: 30, End: 90}}
		second := service.QueueSettings{
			Timezone: "Asia/Kolkata", Week: other, IntervalMinutes: 5,
			UpdatedAt: new(b.now.Add(time.Hour)),
		}
		require.NoError(t, b.store.PutQueueSettings(b.ctx, b.scope, second))
		got, err = b.store.GetQueueSettings(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, second, got)
	})

	t.Run("CountQueueKeepsOthersOutUntilTheTransactionEnds", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		// The service's bound, with a limit of 3: count the queue, and add a post only
		// below it. Two such transactions at once must not both see 2 and both add one.
		const limit = 3
		b.queuedPost(t, b.scope, service.QueueQueued, b.now)
		b.queuedPost(t, b.scope, service.QueuePending, b.now)
		counted := make(chan struct{})
		enter := func(first bool) error {
			return b.store.InTx(b.ctx, func(tx service.Store) error {
				n, err := tx.CountQueue(b.ctx, b.scope)
				if err != nil {
					return err
				}
				if first {
					close(counted)
					time.Sleep(200 * time.Millisecond) // the other transaction counts now, or waits
				}
				if n >= limit {
					return nil
				}
				p := b.newPost(b.scope)
				p.Status, p.Queue, p.QueuedAt = service.PostQueued, service.QueueQueued, &b.now
				return tx.CreatePost(b.ctx, p)
			})
		}
		errs := make(chan error, 2)
		go func() { errs <- enter(true) }()
		<-counted
		go func() { errs <- enter(false) }()
		require.NoError(t, <-errs)
		require.NoError(t, <-errs)
		n, err := b.store.CountQueue(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, limit, n, "one of the two entered, the other saw the queue full")
	})

	t.Run("ListQueueIsTheApprovedPostsOldestFirst", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		// Entered the queue in an order other than their ids': the order is queued_at's.
		third := b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(3*time.Minute))
		first := b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(time.Minute))
		pending := b.queuedPost(t, b.scope, service.QueuePending, b.now.Add(2*time.Minute))
		// Same queued_at: the id, which sorts by creation, breaks the tie.
		secondA := b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(2*time.Minute))
		secondB := b.queuedPost(t, b.scope, service.QueueQueued, b.now.Add(2*time.Minute))
		b.createPost(t, b.newPost(b.scope)) // a draft, outside the queue
		b.queuedPost(t, b.testScope, service.QueueQueued, b.now)
		b.queuedPost(t, b.other, service.QueueQueued, b.now)

		got, err := b.store.ListQueue(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, secondA.ID, secondB.ID, third.ID}, ids(got))
		require.Equal(t, first, got[0])

		got, err = b.store.ListQueue(b.ctx, b.scope, 2)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, secondA.ID}, ids(got))
		gotIDs, err := b.store.ListQueueIDs(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, secondA.ID, secondB.ID, third.ID}, gotIDs, "the same order")
		gotIDs, err = b.store.ListQueueIDs(b.ctx, b.scope, 3)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, secondA.ID, secondB.ID}, gotIDs)

		n, err := b.store.CountQueue(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, 5, n, "queued and pending")

		// Approval puts the pending post back at its place: its queued_at was kept.
		pending.Queue = service.QueueQueued
		require.NoError(t, b.store.UpdatePost(b.ctx, pending))
		got, err = b.store.ListQueue(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Equal(t, []string{first.ID, pending.ID, secondA.ID, secondB.ID, third.ID}, ids(got))

		// A post taken out of the queue frees its place.
		first.Queue, first.QueuedAt, first.Status = service.QueueNone, nil, service.PostPublishing
		require.NoError(t, b.store.UpdatePost(b.ctx, first))
		got, err = b.store.ListQueue(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Equal(t, []string{pending.ID, secondA.ID, secondB.ID, third.ID}, ids(got))
		n, err = b.store.CountQueue(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, 4, n)
	})

	t.Run("EmptyQueue", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		b.queuedPost(t, b.scope, service.QueuePending, b.now)
		got, err := b.store.ListQueue(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Empty(t, got)
		n, err := b.store.CountQueue(b.ctx, b.testScope)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
