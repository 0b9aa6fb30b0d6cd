package service_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// presetReads is a store whose preset reads, outside transactions, fail with err while it
// is set: a database that went away, or (with service.ErrNotFound) a preset deleted.
type presetReads struct {
	service.Store
	err atomic.Pointer[error]
}

func (s *presetReads) GetPreset(ctx context.Context, sc service.Scope, id string) (service.Preset, error) {
	if err := s.err.Load(); err != nil {
		return service.Preset{}, *err
	}
	return s.Store.GetPreset(ctx, sc, id)
}

func (s *presetReads) failWith(err error) {
	if err == nil {
		s.err.Store(nil)
		return
	}
	s.err.Store(&err)
}

// crossLinkAfterPrimary publishes a cross-linked post whose primary (mastodon) has gone
// out, and returns the service whose preset reads the test controls, with discord's job
// due.
func crossLinkAfterPrimary(t *testing.T) (*pubBundle, *service.Service, *presetReads, service.Post) {
	t.Helper()
	b := newPublishBundle(t, "mastodon", "discord")
	reads := &presetReads{Store: b.store}
	adapters := map[service.Platform]platform.Adapter{}
	for pl, f := range b.platforms {
		adapters[pl] = f
	}
	svc := service.New(reads, b.clock, nil, service.Config{Platforms: platforms.All, Adapters: adapters, Secrets: b.box, Render: pubRenderer{}})
	svc.SetQueue(b.queue, retry)

	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "Fediverse first", Platforms: []service.Platform{"mastodon", "discord"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
	})
	require.NoError(t, err)
	p := b.createPost(t, b.live, service.PostInput{Content: "Linked", PresetID: &preset.ID})
	b.publish(t, b.live, p.ID)

	primary := b.queue.next(b.clock.Now())
	require.NotNil(t, primary)
	require.Equal(t, service.Platform("mastodon"), primary.job.Platform)
	retryIn, err := svc.RunPublishJob(b.ctx, primary.job)
	require.NoError(t, err)
	b.queue.settle(primary, retryIn, b.clock.Now())
	require.Len(t, b.platforms["mastodon"].published(), 1)
	return b, svc, reads, p
}

func TestCrossLinkPresetReadErrorFailsTheJob(t *testing.T) {
	t.Parallel()
	b, svc, reads, p := crossLinkAfterPrimary(t)
	dbDown := errors.New("database is locked")
	reads.failWith(dbDown)

	j := b.queue.next(b.clock.Now())
	require.NotNil(t, j)
	require.Equal(t, service.Platform("discord"), j.job.Platform)
	_, err := svc.RunPublishJob(b.ctx, j.job)
	require.ErrorIs(t, err, dbDown, "the queue retries a job that returns an error")
	require.Empty(t, b.platforms["discord"].published(), "not published without the link")
	require.NotContains(t, b.post(t, b.live, p.ID).PlatformResults, service.Platform("discord"))

	// The queue's retry, once the database is back, publishes with the link.
	reads.failWith(nil)
	retryIn, err := svc.RunPublishJob(b.ctx, j.job)
	require.NoError(t, err)
	b.queue.settle(j, retryIn, b.clock.Now())
	posts := b.platforms["discord"].published()
	require.Len(t, posts, 1)
	require.Equal(t, "Linked\n\nAlso on Mastodon: https://mastodon.example/p/1", posts[0].Text)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

func TestCrossLinkPresetDeletedPublishesWithoutTheLink(t *testing.T) {
	t.Parallel()
	b, svc, reads, p := crossLinkAfterPrimary(t)
	reads.failWith(service.ErrNotFound)

	j := b.queue.next(b.clock.Now())
	require.NotNil(t, j)
	retryIn, err := svc.RunPublishJob(b.ctx, j.job)
	require.NoError(t, err)
	require.Zero(t, retryIn)
	posts := b.platforms["discord"].published()
	require.Len(t, posts, 1)
	require.Equal(t, "Linked", posts[0].Text, "a deleted preset means no cross-link")
	require.True(t, b.post(t, b.live, p.ID).PlatformResults["discord"].Success)
}

func TestCrossLinkPresetReadErrorFailsStartingTheRun(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "Fediverse first", Platforms: []service.Platform{"mastodon", "discord"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
	})
	require.NoError(t, err)
	p := b.createPost(t, b.live, service.PostInput{Content: "Linked", PresetID: &preset.ID})
	// The run's jobs are planned in the publishing transaction, from the preset: a real
	// database error reading it there (its table gone) must fail the request, not start
	// every platform at once without links.
	_, err = b.store.SQLite.ExecContext(b.ctx, "ALTER TABLE presets RENAME TO presets_gone")
	require.NoError(t, err)

	_, err = b.svc.PublishPost(b.ctx, b.live, p.ID)
	require.Error(t, err)
	var se *service.Error
	require.False(t, errors.As(err, &se), "an internal error, not a caller's mistake: %v", err)
	require.Empty(t, b.queue.waiting(), "no job was enqueued")
	require.Equal(t, service.PostDraft, b.post(t, b.live, p.ID).Status, "the transaction rolled back")
}
