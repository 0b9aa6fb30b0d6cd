package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// listBundle is a scope holding posts of every status on varied platforms, and posts of
// the same user in test mode and of another user that no listing may return.
type listBundle struct {
	*testBundle
	posts []service.Post // the scope's posts, oldest first
}

var listPlatforms = [][]service.Platform{
	{"twitter"},
	{"bluesky", "mastodon"},
	{"twitter", "linkedin"},
	{"mastodon"},
	{"telegram", "twitter", "bluesky"},
}

var listStatuses = []service.PostStatus{
	service.PostDraft, service.PostScheduled, service.PostPublished, service.PostFailed,
	service.PostPublished, service.PostPublishing, service.PostDraft,
}

func (s *suite) setupList(t *testing.T) *listBundle {
	t.Helper()
	b := &listBundle{testBundle: s.setup(t)}
	for i := range 40 {
		p := b.newPost(b.scope)
		p.Platforms = listPlatforms[i%len(listPlatforms)]
		p.Status = listStatuses[i%len(listStatuses)]
		b.posts = append(b.posts, b.createPost(t, p))

		// Interleaved, so the scope's posts are not one contiguous id range.
		if i%4 == 0 {
			b.createPost(t, b.newPost(b.testScope))
			b.createPost(t, b.newPost(b.other))
		}
	}
	return b
}

// want returns the ids of the scope's posts that keep matches, newest first.
func (b *listBundle) want(keep func(service.Post) bool) []string {
	var ids []string
	for _, p := range slices.Backward(b.posts) {
		if keep(p) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// walk lists every page of f's filter, limit posts at a time, following the cursor, and
// returns the ids in the order they came.
func (b *listBundle) walk(t *testing.T, f service.PostFilter) []string {
	t.Helper()
	var ids []string
	for range len(b.posts) + 2 {
		page, err := b.store.ListPosts(b.ctx, b.scope, f)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), f.Limit)
		for _, p := range page {
			require.Equal(t, b.scope, p.Scope)
			ids = append(ids, p.ID)
		}
		if len(page) < f.Limit {
			return ids
		}
		f.BeforeID = page[len(page)-1].ID
	}
	t.Fatal("paging did not end")
	return nil
}

func (s *suite) listPosts(t *testing.T) {
	all := func(service.Post) bool { return true }
	hasPlatform := func(pl service.Platform) func(service.Post) bool {
		return func(p service.Post) bool { return slices.Contains(p.Platforms, pl) }
	}
	hasStatus := func(st service.PostStatus) func(service.Post) bool {
		return func(p service.Post) bool { return p.Status == st }
	}

	t.Run("PagesNewestFirst", func(t *testing.T) {
		t.Parallel()
		b := s.setupList(t)

		for _, limit := range []int{1, 7, 20, 40, 100} {
			require.Equal(t, b.want(all), b.walk(t, service.PostFilter{Limit: limit}), "limit %d", limit)
		}
	})

	t.Run("ReturnsWholePosts", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPost(t, b.fullPost(b.scope))
		got, err := b.store.ListPosts(b.ctx, b.scope, service.PostFilter{Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []service.Post{p}, got)
	})

	t.Run("CursorStartsAfterTheGivenID", func(t *testing.T) {
		t.Parallel()
		b := s.setupList(t)

		cursor := b.posts[25].ID
		got, err := b.store.ListPosts(b.ctx, b.scope, service.PostFilter{BeforeID: cursor, Limit: 3})
		require.NoError(t, err)
		require.Equal(t, []string{b.posts[24].ID, b.posts[23].ID, b.posts[22].ID}, postIDs(got))

		// Nothing is older than the oldest post.
		got, err = b.store.ListPosts(b.ctx, b.scope, service.PostFilter{BeforeID: b.posts[0].ID, Limit: 3})
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("FilterByStatus", func(t *testing.T) {
		t.Parallel()
		b := s.setupList(t)

		for _, st := range []service.PostStatus{
			service.PostDraft, service.PostScheduled, service.PostPublishing, service.PostPublished, service.PostFailed,
		} {
			want := b.want(hasStatus(st))
			require.NotEmpty(t, want)
			require.Equal(t, want, b.walk(t, service.PostFilter{Status: &st, Limit: 2}), "status %s", st)
		}
	})

	t.Run("FilterByPlatform", func(t *testing.T) {
		t.Parallel()
		b := s.setupList(t)

		for _, pl := range []service.Platform{"twitter", "bluesky", "mastodon", "linkedin", "telegram", "youtube"} {
			require.Equal(t, b.want(hasPlatform(pl)), b.walk(t, service.PostFilter{Platform: &pl, Limit: 3}), "platform %s", pl)
		}
	})

	t.Run("FilterByStatusAndPlatform", func(t *testing.T) {
		t.Parallel()
		b := s.setupList(t)

		st, pl := service.PostPublished, service.Platform("twitter")
		want := b.want(func(p service.Post) bool { return hasStatus(st)(p) && hasPlatform(pl)(p) })
		require.NotEmpty(t, want)
		require.Equal(t, want, b.walk(t, service.PostFilter{Status: &st, Platform: &pl, Limit: 2}))
	})

	t.Run("OtherScopesAreEmpty", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		b.createPost(t, b.newPost(b.scope))
		for _, sc := range []service.Scope{b.testScope, b.other} {
			got, err := b.store.ListPosts(b.ctx, sc, service.PostFilter{Limit: 10})
			require.NoError(t, err)
			require.Empty(t, got)
		}
	})
}

func postIDs(posts []service.Post) []string {
	ids := make([]string, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	return ids
}
