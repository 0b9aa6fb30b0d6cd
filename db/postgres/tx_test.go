package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// A transaction holds some writes back until its next statement or its COMMIT (tx.go):
// these tests hold it to failing, and rolling back, when one of them fails, whatever the
// transaction's fn does with the error.

type txBundle struct {
	d     *db.DB
	scope service.Scope
	now   time.Time
}

func newTxBundle(t *testing.T) *txBundle {
	t.Helper()
	d := openDB(t)
	b := &txBundle{d: d, now: time.Now().UTC().Truncate(time.Microsecond)}
	user := service.User{ID: id.New(id.User), Email: "tx@example.com", CreatedAt: b.now}
	require.NoError(t, d.CreateUser(t.Context(), user))
	b.scope = service.Scope{UserID: user.ID, Mode: service.ModeLive}
	return b
}

func (b *txBundle) post() service.Post {
	return service.Post{
		ID: id.New(id.Post), Scope: b.scope, Content: "Hello", Platforms: []service.Platform{"mastodon"},
		Status: service.PostDraft, CreatedAt: b.now, UpdatedAt: b.now,
	}
}

func (b *txBundle) attempt(p service.Post) service.PublishAttempt {
	return service.PublishAttempt{
		Scope: p.Scope, PostID: p.ID, Platform: "mastodon", State: service.AttemptPending,
		IdempotencyKey: fmt.Sprintf("%s:mastodon:0", p.ID), UpdatedAt: b.now,
	}
}

func TestALostCompareAndSetSentWithTheCommitRollsBack(t *testing.T) {
	t.Parallel()
	b := newTxBundle(t)
	ctx := t.Context()
	p := b.post()
	require.NoError(t, b.d.CreatePost(ctx, p))
	a := b.attempt(p)
	require.NoError(t, b.d.CreateAttempt(ctx, a))

	stale := a
	stale.Owner = "job-other"
	done := a
	done.State = service.AttemptDone
	changed := p
	changed.Content = "changed"
	err := b.d.InTx(ctx, func(tx service.Store) error {
		_, err := tx.GetPostForUpdate(ctx, p.Scope, p.ID)
		require.NoError(t, err)
		require.NoError(t, tx.UpdatePost(ctx, changed))
		// Held back: the compare-and-set is lost only when it reaches the database, with
		// the COMMIT.
		return tx.UpdateAttempt(ctx, done, stale)
	})
	require.ErrorIs(t, err, service.ErrNotFound)

	got, err := b.d.GetPost(ctx, p.Scope, p.ID)
	require.NoError(t, err)
	require.Equal(t, "Hello", got.Content, "the post's update rolled back with the lost compare-and-set")
	attempts, err := b.d.ListAttempts(ctx, p.Scope, p.ID, "mastodon")
	require.NoError(t, err)
	require.Equal(t, []service.PublishAttempt{a}, attempts)
}

func TestAFailedHeldWriteFailsTheTransactionEvenIfIgnored(t *testing.T) {
	t.Parallel()
	b := newTxBundle(t)
	ctx := t.Context()
	existing := b.post()
	require.NoError(t, b.d.CreatePost(ctx, existing))
	created := b.post()
	missing := b.post()

	err := b.d.InTx(ctx, func(tx service.Store) error {
		require.NoError(t, tx.CreatePost(ctx, created))
		_ = tx.UpdatePost(ctx, missing) // a post that does not exist, and the error ignored
		// The next statement carries the held update, and reports its failure.
		_, err := tx.GetPost(ctx, existing.Scope, existing.ID)
		require.ErrorIs(t, err, service.ErrNotFound)
		_, err = tx.ListPosts(ctx, existing.Scope, service.PostFilter{Limit: 10})
		require.ErrorIs(t, err, service.ErrNotFound, "and every statement after it")
		return nil
	})
	require.ErrorIs(t, err, service.ErrNotFound)
	_, err = b.d.GetPost(ctx, created.Scope, created.ID)
	require.ErrorIs(t, err, service.ErrNotFound, "rolled back")

	// The pool's connections are usable afterwards.
	require.NoError(t, b.d.InTx(ctx, func(tx service.Store) error {
		return tx.CreatePost(ctx, created)
	}))
	_, err = b.d.GetPost(ctx, created.Scope, created.ID)
	require.NoError(t, err)
}

func TestHeldWritesAloneLandWithTheCommit(t *testing.T) {
	t.Parallel()
	b := newTxBundle(t)
	ctx := t.Context()
	p := b.post()
	// Only held writes: they go with the COMMIT, and land; a transaction with no statement
	// sends nothing and succeeds.
	require.NoError(t, b.d.CreatePost(ctx, p))
	changed := p
	changed.Content = "changed"
	require.NoError(t, b.d.InTx(ctx, func(tx service.Store) error { return tx.UpdatePost(ctx, changed) }))
	got, err := b.d.GetPost(ctx, p.Scope, p.ID)
	require.NoError(t, err)
	require.Equal(t, "changed", got.Content)
	require.NoError(t, b.d.InTx(ctx, func(service.Store) error { return nil }))
}
