package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// BenchmarkGetAPIKeyByHash measures the read that authenticates every request.
func BenchmarkGetAPIKeyByHash(b *testing.B, store service.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	bundle := &testBundle{ctx: ctx, store: store, now: now}
	u := service.User{ID: id.New(id.User), Email: "bench-keys@example.com", CreatedAt: now}
	require.NoError(b, store.CreateUser(ctx, u))
	key := bundle.newAPIKey(service.Scope{UserID: u.ID, Mode: service.ModeLive})
	key.Permissions = []service.Permission{"posts:read", "posts:write"}
	key.LastUsedAt = &now
	require.NoError(b, store.CreateAPIKey(ctx, key))

	for b.Loop() {
		if _, err := store.GetAPIKeyByHash(ctx, key.Hash); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetPost measures reading one post: a draft with text only, and a published
// thread with every field set (most of whose cost is decoding its JSON).
func BenchmarkGetPost(b *testing.B, store service.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	bundle := &testBundle{ctx: ctx, store: store, now: now}
	u := service.User{ID: id.New(id.User), Email: "bench-posts@example.com", CreatedAt: now}
	require.NoError(b, store.CreateUser(ctx, u))
	sc := service.Scope{UserID: u.ID, Mode: service.ModeLive}

	for _, bench := range []struct {
		name string
		post service.Post
	}{
		{"draft", bundle.newPost(sc)},
		{"full", bundle.fullPost(sc)},
	} {
		require.NoError(b, store.CreatePost(ctx, bench.post))
		b.Run(bench.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := store.GetPost(ctx, sc, bench.post.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListPosts compares the first page of a listing with page 100, limit 100 (so
// 9,900 posts deep), with and without a status filter. sc must hold at least 40,000 posts
// of every status. Keyset paging makes the two cost the same.
func BenchmarkListPosts(b *testing.B, store service.Store, sc service.Scope) {
	ctx := context.Background()
	const limit, page = 100, 100
	published := service.PostPublished
	for _, filter := range []struct {
		name   string
		status *service.PostStatus
	}{
		{"all", nil},
		{"status", &published},
	} {
		first := service.PostFilter{Status: filter.status, Limit: limit}
		deep := first
		for range page - 1 {
			posts, err := store.ListPosts(ctx, sc, deep)
			require.NoError(b, err)
			require.Len(b, posts, limit)
			deep.BeforeID = posts[len(posts)-1].ID
		}
		for _, bench := range []struct {
			name string
			f    service.PostFilter
		}{
			{"first_page", first},
			{"page_100", deep},
		} {
			b.Run(filter.name+"/"+bench.name, func(b *testing.B) {
				for b.Loop() {
					posts, err := store.ListPosts(ctx, sc, bench.f)
					if err != nil {
						b.Fatal(err)
					}
					if len(posts) != limit {
						b.Fatalf("got %d posts, want %d", len(posts), limit)
					}
				}
			})
		}
	}
}
