package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// newPost returns a draft of the scope with only the required fields set: no media, no
// thread, no results.
func (b *testBundle) newPost(sc service.Scope) service.Post {
	return service.Post{
		ID:        id.New(id.Post),
		Scope:     sc,
		Content:   "Hello from Octopost",
		Platforms: []service.Platform{"twitter"},
		Status:    service.PostDraft,
		CreatedAt: b.now,
		UpdatedAt: b.now,
	}
}

// fullPost returns a post of the scope with every field set.
func (b *testBundle) fullPost(sc service.Scope) service.Post {
	p := b.newPost(sc)
	p.Content = "Launch day — ünïcödé, \"quotes\" and emoji 🚀"
	p.Platforms = []service.Platform{"twitter", "bluesky", "mastodon"}
	p.Status = service.PostPublished
	p.ScheduledFor = new(b.now.Add(time.Hour))
	p.Media = service.Media{
		Images: []service.Image{
			{URL: "https://cdn.example.com/a.png", AltText: new("A cat")},
			{URL: "https://cdn.example.com/b.png"},
		},
		Video: &service.Video{URL: "https://cdn.example.com/v.mp4"},
	}
	p.Segments = []service.Segment{
		{Content: "1/ first reply", Media: service.Media{Images: []service.Image{{URL: "https://cdn.example.com/c.png", AltText: new("")}}}},
		{Content: "2/ second reply", Media: service.Media{Video: &service.Video{URL: "https://cdn.example.com/w.mp4"}}},
		{Content: "3/ no media"},
	}
	p.PresetID = new("preset_sys_all_platforms")
	// Not a state the service makes (a published post has left the queue), but every
	// field set: the queue's state and its time round-trip like the rest.
	p.Queue = service.QueuePending
	p.QueuedAt = new(b.now.Add(-time.Minute))
	// Entries kept as given: the key order is not the struct's, and no engine reorders it.
	p.PlatformOptions = map[service.Platform]json.RawMessage{
		"mastodon": json.RawMessage(`{"visibility":"unlisted","spoiler_text":"Launch – ünïcödé \"spoilers\""}`),
		"twitter":  json.RawMessage(`{}`),
	}
	// Overrides of the text only, the media only (none: an empty Media, not the post's) and
	// both; a field left out stays nil.
	p.PlatformContent = map[service.Platform]service.PlatformContent{
		"mastodon": {Content: new("A longer text for Mastodon — ünïcödé, \"quotes\" 🚀")},
		"twitter":  {Media: &service.Media{}},
		"bluesky": {Content: new("Short for Bluesky"), Media: &service.Media{
			Images: []service.Image{{URL: "https://cdn.example.com/d.png", AltText: new("A dog")}},
		}},
	}
	p.PlatformResults = map[service.Platform]service.PlatformResult{
		"twitter":  {Success: true, PostID: "1789", PostURL: "https://x.com/u/status/1789"},
		"bluesky":  {Success: true, PostID: "at://did:plc:x/app.bsky.feed.post/3k", PostURL: "https://bsky.app/profile/u/post/3k"},
		"mastodon": {Success: false, Error: "token rejected"},
	}
	p.UpdatedAt = b.now.Add(time.Minute)
	p.PublishedAt = new(b.now.Add(time.Hour + time.Second))
	return p
}

func (b *testBundle) createPost(t *testing.T, p service.Post) service.Post {
	t.Helper()
	require.NoError(t, b.store.CreatePost(b.ctx, p))
	return p
}

func (b *testBundle) requirePost(t *testing.T, want service.Post) {
	t.Helper()
	got, err := b.store.GetPost(b.ctx, want.Scope, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func (b *testBundle) requireNoPost(t *testing.T, sc service.Scope, postID string) {
	t.Helper()
	_, err := b.store.GetPost(b.ctx, sc, postID)
	require.ErrorIs(t, err, service.ErrNotFound)
}

func (s *suite) posts(t *testing.T) {
	t.Run("RoundTripEveryField", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.fullPost(b.scope))
		b.requirePost(t, p)
	})

	t.Run("RoundTripMinimal", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.testScope))
		got, err := b.store.GetPost(b.ctx, b.testScope, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		require.Nil(t, got.Segments, "no thread reads back as nil")
		require.Nil(t, got.PlatformOptions)
		require.Nil(t, got.PlatformContent)
		require.Nil(t, got.PlatformResults)
		require.Equal(t, service.Media{}, got.Media)
	})

	t.Run("EmptyValuesNormalise", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.newPost(b.scope)
		p.Platforms = []service.Platform{}
		p.Media = service.Media{Images: []service.Image{}}
		p.Segments = []service.Segment{}
		p.PlatformResults = map[service.Platform]service.PlatformResult{}
		p.PlatformOptions = map[service.Platform]json.RawMessage{}
		p.PlatformContent = map[service.Platform]service.PlatformContent{}
		b.createPost(t, p)

		got, err := b.store.GetPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		require.Nil(t, got.Platforms)
		require.Equal(t, service.Media{}, got.Media)
		require.NotNil(t, got.Segments, "an empty thread is not the same as none")
		require.Empty(t, got.Segments)
		require.Nil(t, got.PlatformResults)
		require.Nil(t, got.PlatformOptions, "no options read back as none")
		require.Nil(t, got.PlatformContent, "no platform content reads back as none")
	})

	t.Run("TimesReadBackInUTC", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		want := b.fullPost(b.scope)
		p := want
		p.ScheduledFor = new(want.ScheduledFor.In(zone))
		p.CreatedAt = want.CreatedAt.In(zone)
		p.UpdatedAt = want.UpdatedAt.In(zone)
		p.PublishedAt = new(want.PublishedAt.In(zone))
		p.QueuedAt = new(want.QueuedAt.In(zone))
		b.createPost(t, p)

		got, err := b.store.GetPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		requireUTC(t, got.ScheduledFor, &got.CreatedAt, &got.UpdatedAt, got.PublishedAt, got.QueuedAt)
		require.True(t, got.CreatedAt.Equal(p.CreatedAt))
	})

	t.Run("DuplicateID", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		require.ErrorIs(t, b.store.CreatePost(b.ctx, p), service.ErrDuplicate)
	})

	t.Run("OtherScopesDoNotSeeIt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		b.requireNoPost(t, b.testScope, p.ID)
		b.requireNoPost(t, b.other, p.ID)
		b.requireNoPost(t, b.scope, id.New(id.Post))

		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			_, err := tx.GetPostForUpdate(b.ctx, b.other, p.ID)
			return err
		})
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("UpdateReplacesEverythingButIDScopeAndCreatedAt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))

		updated := b.fullPost(b.scope)
		updated.ID = p.ID
		updated.CreatedAt = b.now.Add(24 * time.Hour) // ignored
		require.NoError(t, b.store.UpdatePost(b.ctx, updated))

		want := updated
		want.CreatedAt = p.CreatedAt
		b.requirePost(t, want)

		// And back to the minimal form: nil pointers and empty values are written too.
		cleared := p
		cleared.UpdatedAt = b.now.Add(2 * time.Hour)
		require.NoError(t, b.store.UpdatePost(b.ctx, cleared))
		b.requirePost(t, cleared)
	})

	t.Run("UpdateInOtherScopeIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		for _, sc := range []service.Scope{b.testScope, b.other} {
			changed := p
			changed.Scope = sc
			changed.Content = "hijacked"
			require.ErrorIs(t, b.store.UpdatePost(b.ctx, changed), service.ErrNotFound)
		}
		missing := b.newPost(b.scope)
		require.ErrorIs(t, b.store.UpdatePost(b.ctx, missing), service.ErrNotFound)
		b.requirePost(t, p)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		kept := b.createPost(t, b.newPost(b.scope))

		require.ErrorIs(t, b.store.DeletePost(b.ctx, b.testScope, p.ID), service.ErrNotFound)
		require.ErrorIs(t, b.store.DeletePost(b.ctx, b.other, p.ID), service.ErrNotFound)
		b.requirePost(t, p)

		require.NoError(t, b.store.DeletePost(b.ctx, b.scope, p.ID))
		b.requireNoPost(t, b.scope, p.ID)
		require.ErrorIs(t, b.store.DeletePost(b.ctx, b.scope, p.ID), service.ErrNotFound)
		b.requirePost(t, kept)
	})

	t.Run("GetPostForUpdateInTx", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.fullPost(b.scope))
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			got, err := tx.GetPostForUpdate(b.ctx, b.scope, p.ID)
			require.NoError(t, err)
			require.Equal(t, p, got)
			return nil
		})
		require.NoError(t, err)
	})

	// Two read-modify-write transactions on one post: the second must read what the first
	// wrote, never the value from before it, or one update is lost.
	t.Run("GetPostForUpdateSerialisesWriters", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.newPost(b.scope))
		appendToContent := func(suffix string, holdLock func()) error {
			return b.store.InTx(b.ctx, func(tx service.Store) error {
				got, err := tx.GetPostForUpdate(b.ctx, b.scope, p.ID)
				if err != nil {
					return err
				}
				holdLock()
				got.Content += suffix
				return tx.UpdatePost(b.ctx, got)
			})
		}

		racePastLock(t, appendToContent)

		got, err := b.store.GetPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		require.Equal(t, p.Content+" +first +second", got.Content)
	})
}
