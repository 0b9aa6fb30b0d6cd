package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

func TestCreatePost(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.client(t, b.key(t, service.ModeLive))
	ctx := context.Background()

	t.Run("draft", func(t *testing.T) {
		alt := "a cat"
		images := []oapi.Image{{Url: "https://cdn.example.com/cat.png"}}
		images[0].AltText.Set(alt)
		resp, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{
			Content: "Hello", Platforms: &[]oapi.Platform{"bluesky", "mastodon"},
			Media:    &oapi.Media{Images: &images},
			Segments: &[]oapi.Segment{{Content: "second"}},
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, resp.StatusCode(), "body: %s", resp.Body)
		p := resp.JSON201
		require.True(t, strings.HasPrefix(p.Id, "post_"))
		require.Equal(t, oapi.PostStatus("draft"), p.Status)
		require.Equal(t, []oapi.Platform{"bluesky", "mastodon"}, p.Platforms)
		require.True(t, p.ScheduledFor.IsNull())
		require.True(t, p.PublishedAt.IsNull())
		require.True(t, p.PresetId.IsNull())
		require.Empty(t, p.PlatformResults)
		require.Equal(t, "a cat", (*p.Media.Images)[0].AltText.MustGet())
		require.True(t, p.Media.Video.IsNull())
		require.Equal(t, "second", p.Segments.MustGet()[0].Content)
		require.Equal(t, time.UTC, p.CreatedAt.Location())
		require.True(t, strings.HasSuffix(string(resp.Body), "\n"))
		require.Contains(t, string(resp.Body), `"created_at":"`+p.CreatedAt.Format(time.RFC3339Nano)+`"`)

		got, err := c.GetPostWithResponse(ctx, p.Id)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, got.StatusCode())
		require.Equal(t, *p, *got.JSON200)
	})

	t.Run("scheduled", func(t *testing.T) {
		at := b.clock.Now().Add(time.Hour).Truncate(time.Second)
		resp, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{
			Content: "Later", Platforms: &[]oapi.Platform{"discord"}, ScheduledFor: &at,
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, resp.StatusCode(), "body: %s", resp.Body)
		require.Equal(t, oapi.PostStatus("scheduled"), resp.JSON201.Status)
		require.True(t, at.Equal(resp.JSON201.ScheduledFor.MustGet()))
	})

	t.Run("platforms from a preset", func(t *testing.T) {
		resp, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{Content: "Pro", PresetId: ptr("preset_sys_professional")})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, resp.StatusCode(), "body: %s", resp.Body)
		require.Equal(t, []oapi.Platform{"linkedin", "twitter"}, resp.JSON201.Platforms)
		require.Equal(t, "preset_sys_professional", resp.JSON201.PresetId.MustGet())
	})

	t.Run("explicit platforms win over the preset's", func(t *testing.T) {
		resp, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{
			Content: "Pro", PresetId: ptr("preset_sys_professional"), Platforms: &[]oapi.Platform{"slack"},
		})
		require.NoError(t, err)
		require.Equal(t, []oapi.Platform{"slack"}, resp.JSON201.Platforms)
	})
}

func TestCreatePostValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	now := b.clock.Now()
	for name, c := range map[string]struct {
		body   string
		fields []string
	}{
		"content missing":              {`{"platforms": ["bluesky"]}`, []string{"/content"}},
		"content empty":                {`{"content": "", "platforms": ["bluesky"]}`, []string{"/content"}},
		"content too long":             {`{"content": "` + strings.Repeat("é", 10001) + `", "platforms": ["bluesky"]}`, []string{"/content"}},
		"unknown platform":             {`{"content": "hi", "platforms": ["myspace"]}`, []string{"/platforms/0"}},
		"no platforms":                 {`{"content": "hi", "platforms": []}`, []string{"/platforms"}},
		"repeated platform":            {`{"content": "hi", "platforms": ["slack", "slack"]}`, []string{"/platforms"}},
		"neither platforms nor preset": {`{"content": "hi"}`, []string{"/platforms"}},
		"unknown preset":               {`{"content": "hi", "preset_id": "preset_nope"}`, []string{"/preset_id"}},
		"schedule in the past":         {fmt.Sprintf(`{"content": "hi", "platforms": ["slack"], "scheduled_for": %q}`, now.Add(-time.Minute).Format(time.RFC3339)), []string{"/scheduled_for"}},
		"schedule too far":             {fmt.Sprintf(`{"content": "hi", "platforms": ["slack"], "scheduled_for": %q}`, now.Add(366*24*time.Hour).Format(time.RFC3339)), []string{"/scheduled_for"}},
		"schedule not a time":          {`{"content": "hi", "platforms": ["slack"], "scheduled_for": "tomorrow"}`, []string{"/scheduled_for"}},
		"too many segments":            {`{"content": "hi", "platforms": ["slack"], "segments": [` + strings.TrimSuffix(strings.Repeat(`{"content": "s"},`, 25), ",") + `]}`, []string{"/segments"}},
		"wrong type":                   {`{"content": 5, "platforms": ["slack"]}`, []string{"/content"}},
		"several problems at once":     {`{"content": "", "platforms": ["myspace"], "extra": true}`, []string{"/content", "/extra", "/platforms/0"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := b.do(t, http.MethodPost, "/v1/posts", live, c.body)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.raw)
			got := fieldsOf(r)
			for _, f := range c.fields {
				require.Contains(t, got, f, "body: %s", r.raw)
			}
		})
	}
}

func fieldsOf(r response) []string {
	details, _ := r.body["details"].(map[string]any)
	list, _ := details["errors"].([]any)
	var out []string
	for _, e := range list {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func createPost(t *testing.T, b *testBundle, key, body string) map[string]any {
	t.Helper()
	r := b.do(t, http.MethodPost, "/v1/posts", key, body)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
	return r.body
}

func TestGetPostNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	requireError(t, b.do(t, http.MethodGet, "/v1/posts/post_01ARZ3NDEKTSV4RRFFQ69G5FAV", live, ""), 404, "not_found", "Post not found")
	requireError(t, b.do(t, http.MethodGet, "/v1/posts/anything", live, ""), 404, "not_found", "Post not found")
}

func TestListPosts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	c := b.client(t, live)
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		platform := "bluesky"
		if i%2 == 1 {
			platform = "mastodon"
		}
		body := fmt.Sprintf(`{"content": "post %d", "platforms": [%q]}`, i, platform)
		if i == 3 {
			body = fmt.Sprintf(`{"content": "post %d", "platforms": [%q], "scheduled_for": %q}`, i, platform, b.clock.Now().Add(time.Hour).Format(time.RFC3339))
		}
		ids = append(ids, createPost(t, b, live, body)["id"].(string))
	}

	t.Run("newest first in pages", func(t *testing.T) {
		var seen []string
		var cursor *string
		for range 4 {
			resp, err := c.ListPostsWithResponse(ctx, &oapi.ListPostsParams{Limit: ptr(3), Cursor: cursor})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode(), "body: %s", resp.Body)
			for _, p := range resp.JSON200.Posts {
				seen = append(seen, p.Id)
			}
			if !resp.JSON200.HasMore {
				require.True(t, resp.JSON200.NextCursor.IsNull())
				break
			}
			next := resp.JSON200.NextCursor.MustGet()
			cursor = &next
		}
		want := make([]string, len(ids))
		for i, id := range ids {
			want[len(ids)-1-i] = id
		}
		require.Equal(t, want, seen)
	})

	t.Run("default limit", func(t *testing.T) {
		resp, err := c.ListPostsWithResponse(ctx, nil)
		require.NoError(t, err)
		require.Len(t, resp.JSON200.Posts, 7)
		require.False(t, resp.JSON200.HasMore)
	})

	t.Run("filters", func(t *testing.T) {
		resp, err := c.ListPostsWithResponse(ctx, &oapi.ListPostsParams{Platform: ptr(oapi.Platform("mastodon"))})
		require.NoError(t, err)
		require.Len(t, resp.JSON200.Posts, 3)
		resp, err = c.ListPostsWithResponse(ctx, &oapi.ListPostsParams{Status: ptr(oapi.PostStatus("scheduled"))})
		require.NoError(t, err)
		require.Len(t, resp.JSON200.Posts, 1)
		require.Equal(t, ids[3], resp.JSON200.Posts[0].Id)
		resp, err = c.ListPostsWithResponse(ctx, &oapi.ListPostsParams{Status: ptr(oapi.PostStatus("draft")), Platform: ptr(oapi.Platform("bluesky")), Limit: ptr(2)})
		require.NoError(t, err)
		require.Len(t, resp.JSON200.Posts, 2)
		require.True(t, resp.JSON200.HasMore)
	})

	t.Run("bad parameters", func(t *testing.T) {
		requireFields(t, b.do(t, http.MethodGet, "/v1/posts?limit=0", live, ""), "limit")
		requireFields(t, b.do(t, http.MethodGet, "/v1/posts?limit=101", live, ""), "limit")
		requireFields(t, b.do(t, http.MethodGet, "/v1/posts?limit=ten", live, ""), "limit")
		requireFields(t, b.do(t, http.MethodGet, "/v1/posts?status=gone", live, ""), "status")
		requireFields(t, b.do(t, http.MethodGet, "/v1/posts?platform=myspace", live, ""), "platform")
		requireFields(t, b.do(t, http.MethodGet, "/v1/posts?cursor=not-a-cursor", live, ""), "cursor")
	})
}

func TestUpdatePost(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	post := createPost(t, b, live, `{"content": "v1", "platforms": ["bluesky"], "segments": [{"content": "s"}]}`)
	id := post["id"].(string)
	path := "/v1/posts/" + id
	at := b.clock.Now().Add(2 * time.Hour).Truncate(time.Second)

	b.clock.Advance(time.Second)
	r := b.do(t, http.MethodPut, path, live, `{"content": "v2"}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, "v2", r.body["content"])
	require.Equal(t, []any{"bluesky"}, r.body["platforms"], "fields left out stay")
	require.NotNil(t, r.body["segments"])
	require.NotEqual(t, post["updated_at"], r.body["updated_at"])
	require.Equal(t, post["created_at"], r.body["created_at"])

	r = b.do(t, http.MethodPut, path, live, fmt.Sprintf(`{"scheduled_for": %q, "segments": null}`, at.Format(time.RFC3339)))
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, "scheduled", r.body["status"])
	require.Equal(t, at.Format(time.RFC3339), r.body["scheduled_for"])
	require.Nil(t, r.body["segments"])

	r = b.do(t, http.MethodPut, path, live, fmt.Sprintf(`{"scheduled_for": %q}`, at.Add(time.Hour).Format(time.RFC3339)))
	require.Equal(t, "scheduled", r.body["status"], "rescheduled")

	r = b.do(t, http.MethodPut, path, live, `{"scheduled_for": null}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, "draft", r.body["status"])
	require.Nil(t, r.body["scheduled_for"])

	r = b.do(t, http.MethodPut, path, live, `{"preset_id": "preset_sys_professional"}`)
	require.Equal(t, []any{"linkedin", "twitter"}, r.body["platforms"], "the preset's platforms when none are given")

	r = b.do(t, http.MethodPut, path, live, `{}`)
	require.Equal(t, http.StatusOK, r.status, "an empty update changes nothing")

	requireFields(t, b.do(t, http.MethodPut, path, live, `{"content": null}`), "/content")
	requireFields(t, b.do(t, http.MethodPut, path, live, `{"preset_id": "preset_missing"}`), "/preset_id")
	requireFields(t, b.do(t, http.MethodPut, path, live, fmt.Sprintf(`{"scheduled_for": %q}`, b.clock.Now().Add(-time.Hour).Format(time.RFC3339))), "/scheduled_for")
	requireFields(t, b.do(t, http.MethodPut, path, live, `{"id": "post_x"}`), "/id")
	requireError(t, b.do(t, http.MethodPut, "/v1/posts/post_missing", live, `{"content": "x"}`), 404, "not_found", "Post not found")

	// A failed post may be edited and rescheduled; published and publishing ones may not.
	setStatus(t, b, live, id, service.PostFailed)
	r = b.do(t, http.MethodPut, path, live, fmt.Sprintf(`{"scheduled_for": %q}`, at.Format(time.RFC3339)))
	require.Equal(t, "scheduled", r.body["status"])

	setStatus(t, b, live, id, service.PostPublished)
	requireError(t, b.do(t, http.MethodPut, path, live, `{"content": "late"}`), 409, "conflict", "Post has already been published and cannot be modified")
	setStatus(t, b, live, id, service.PostPublishing)
	requireError(t, b.do(t, http.MethodPut, path, live, `{"content": "late"}`), 409, "conflict", "Post is being published and cannot be modified")
}

// setStatus moves a post to a status that only publishing (a later feature) reaches.
func setStatus(t *testing.T, b *testBundle, key, postID string, status service.PostStatus) {
	t.Helper()
	ctx := context.Background()
	k, err := b.svc.Authenticate(ctx, key)
	require.NoError(t, err)
	scope := service.Scope{UserID: k.UserID, Mode: k.Mode}
	p, err := b.store.GetPost(ctx, scope, postID)
	require.NoError(t, err)
	p.Status = status
	require.NoError(t, b.store.UpdatePost(ctx, p))
}

func TestDeletePost(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	id := createPost(t, b, live, `{"content": "bye", "platforms": ["slack"]}`)["id"].(string)

	setStatus(t, b, live, id, service.PostPublishing)
	requireError(t, b.do(t, http.MethodDelete, "/v1/posts/"+id, live, ""), 409, "conflict", "Post is being published and cannot be deleted")
	setStatus(t, b, live, id, service.PostPublished)

	r := b.do(t, http.MethodDelete, "/v1/posts/"+id, live, "")
	require.Equal(t, http.StatusNoContent, r.status)
	require.Empty(t, r.raw)
	requireError(t, b.do(t, http.MethodGet, "/v1/posts/"+id, live, ""), 404, "not_found", "Post not found")
	requireError(t, b.do(t, http.MethodDelete, "/v1/posts/"+id, live, ""), 404, "not_found", "Post not found")
}
