package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func (s *suite) inTx(t *testing.T) {
	t.Run("Commit", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.newPost(b.scope)
		w := b.newWebhook(b.scope)
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, tx.CreatePost(b.ctx, p))
			// The transaction reads its own writes.
			got, err := tx.GetPost(b.ctx, b.scope, p.ID)
			require.NoError(t, err)
			require.Equal(t, p, got)
			return tx.CreateWebhook(b.ctx, w)
		})
		require.NoError(t, err)

		b.requirePost(t, p)
		b.requireWebhook(t, w)
	})

	t.Run("ErrorRollsBackEverything", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		existing := b.createPost(t, b.newPost(b.scope))
		p := b.newPost(b.scope)
		w := b.newWebhook(b.scope)
		errStop := errors.New("stop")
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, tx.CreatePost(b.ctx, p))
			require.NoError(t, tx.CreateWebhook(b.ctx, w))
			changed := existing
			changed.Content = "changed"
			require.NoError(t, tx.UpdatePost(b.ctx, changed))
			require.NoError(t, tx.DeletePost(b.ctx, b.scope, existing.ID))
			return errStop
		})
		require.ErrorIs(t, err, errStop)

		b.requireNoPost(t, b.scope, p.ID)
		_, err = b.store.GetWebhook(b.ctx, b.scope, w.ID)
		require.ErrorIs(t, err, service.ErrNotFound)
		b.requirePost(t, existing)
	})

	t.Run("NestedInTxJoinsTheTransaction", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		outer := b.newPost(b.scope)
		inner := b.newPost(b.scope)
		errStop := errors.New("stop")
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, tx.CreatePost(b.ctx, outer))
			require.NoError(t, tx.InTx(b.ctx, func(tx service.Store) error {
				return tx.CreatePost(b.ctx, inner)
			}))
			// The inner writes are part of this transaction, not committed on their own.
			got, err := tx.ListPosts(b.ctx, b.scope, service.PostFilter{Limit: 10})
			require.NoError(t, err)
			require.Equal(t, []service.Post{inner, outer}, got)
			return errStop
		})
		require.ErrorIs(t, err, errStop)

		b.requireNoPost(t, b.scope, outer.ID)
		b.requireNoPost(t, b.scope, inner.ID)
	})

	t.Run("NestedErrorRollsBackTheOuterTransaction", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.newPost(b.scope)
		errStop := errors.New("stop")
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, tx.CreatePost(b.ctx, p))
			return tx.InTx(b.ctx, func(service.Store) error { return errStop })
		})
		require.ErrorIs(t, err, errStop)
		b.requireNoPost(t, b.scope, p.ID)
	})

	t.Run("StoreErrorsKeepTheirMeaning", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			_, err := tx.GetPost(b.ctx, b.scope, "post_missing")
			return err
		})
		require.ErrorIs(t, err, service.ErrNotFound)
	})
}

// racePastLock runs appendSuffix twice at once, " +first" then " +second": the first holds
// its lock (holdLock) until the second has started and had time to reach its own locking
// read, where it must wait. Both must succeed; the caller then checks that the second read
// what the first wrote.
func racePastLock(t *testing.T, appendSuffix func(suffix string, holdLock func()) error) {
	t.Helper()
	firstLocked := make(chan struct{})
	secondStarting := make(chan struct{})
	var wg sync.WaitGroup
	var secondErr error
	wg.Go(func() {
		<-firstLocked
		close(secondStarting)
		secondErr = appendSuffix(" +second", func() {})
	})
	err := appendSuffix(" +first", func() {
		close(firstLocked)
		<-secondStarting
		// Give the second transaction time to reach its read, where it must wait.
		time.Sleep(100 * time.Millisecond)
	})
	require.NoError(t, err)
	wg.Wait()
	require.NoError(t, secondErr)
}
