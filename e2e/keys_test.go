package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// hookURL is a public IP literal: the URL check accepts it without a DNS lookup, and
// nothing is ever sent to it (no delivery runs in these tests).
const hookURL = "https://93.184.216.34/hook"

var fullSecret = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)

// owned is what one key's walk-through leaves behind, for the isolation checks.
type owned struct {
	posts    []string // newest first
	preset   string
	webhook  string
	secret   string // the webhook's current secret
	platform oapi.Platform
}

// TestLiveAndTestKeys walks through every endpoint with a live and a test key of one user,
// then checks that neither mode, nor another user, can see or change the other's data.
func TestLiveAndTestKeys(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	srv := startServer(t, e)
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	createUser(t, dir, e, "other@example.com")
	keys := map[string]apiKey{
		"live": createKey(t, dir, e, "dev@example.com", "live"),
		"test": createKey(t, dir, e, "dev@example.com", "test"),
	}
	otherLive := createKey(t, dir, e, "other@example.com", "live")
	otherTest := createKey(t, dir, e, "other@example.com", "test")

	left := map[string]*owned{}
	ok := t.Run("walk-through", func(t *testing.T) {
		for mode, platform := range map[string]oapi.Platform{"live": "bluesky", "test": "mastodon"} {
			o := &owned{platform: platform}
			left[mode] = o
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				walkThrough(t, client(t, srv, keys[mode].Key), o)
			})
		}
	})
	if !ok {
		t.FailNow()
	}

	t.Run("modes are isolated", func(t *testing.T) {
		for mode, other := range map[string]string{"live": "test", "test": "live"} {
			c := client(t, srv, keys[mode].Key)
			requireInvisible(t, c, left[other])
			requireSeesExactly(t, c, left[mode])
		}
	})
	t.Run("other users are isolated", func(t *testing.T) {
		for _, k := range []apiKey{otherLive, otherTest} {
			c := client(t, srv, k.Key)
			requireInvisible(t, c, left["live"])
			requireInvisible(t, c, left["test"])
			requireSeesExactly(t, c, &owned{})
		}
	})
	t.Run("failed attempts changed nothing", func(t *testing.T) {
		for mode, o := range left {
			c := client(t, srv, keys[mode].Key)
			for _, id := range o.posts {
				resp, err := c.GetPostWithResponse(t.Context(), id)
				requireStatus(t, http.StatusOK, resp, err)
			}
			preset, err := c.GetPresetWithResponse(t.Context(), o.preset)
			requireStatus(t, http.StatusOK, preset, err)
			require.Equal(t, "Renamed", preset.JSON200.Name)
			hook, err := c.GetWebhookWithResponse(t.Context(), o.webhook)
			requireStatus(t, http.StatusOK, hook, err)
			require.Equal(t, maskOf(o.secret), hook.JSON200.Secret)
		}
	})
}

func maskOf(secret string) string { return "whsec_****" + secret[len(secret)-4:] }

// walkThrough exercises presets, posts and webhooks with one key, leaving two posts, a
// preset and a webhook behind in o.
func walkThrough(t *testing.T, c *oapi.ClientWithResponses, o *owned) {
	ctx := t.Context()

	// Presets.
	preset, err := c.CreatePresetWithResponse(ctx, nil, oapi.CreatePresetRequest{
		Name: "Dev news", Platforms: []oapi.Platform{o.platform, "slack"},
		PrimaryPlatform:   nullable.NewNullableWithValue(o.platform),
		CrossLinkEnabled:  ptr(true),
		CrossLinkTemplate: ptr("More on {platform}: {link}"),
	})
	requireStatus(t, http.StatusCreated, preset, err)
	pr := preset.JSON201
	require.Regexp(t, `^preset_[0-9A-Z]{26}$`, pr.Id)
	require.Equal(t, []oapi.Platform{o.platform, "slack"}, pr.Platforms)
	require.Equal(t, o.platform, pr.PrimaryPlatform.MustGet())
	require.False(t, pr.IsSystem)
	o.preset = pr.Id

	gotPreset, err := c.GetPresetWithResponse(ctx, pr.Id)
	requireStatus(t, http.StatusOK, gotPreset, err)
	require.Equal(t, *pr, *gotPreset.JSON200)

	renamed, err := c.UpdatePresetWithResponse(ctx, pr.Id, oapi.UpdatePresetRequest{Name: ptr("Renamed")})
	requireStatus(t, http.StatusOK, renamed, err)
	require.Equal(t, "Renamed", renamed.JSON200.Name)
	require.Equal(t, pr.Platforms, renamed.JSON200.Platforms, "fields left out stay")

	spare, err := c.CreatePresetWithResponse(ctx, nil, oapi.CreatePresetRequest{Name: "Spare", Platforms: []oapi.Platform{"discord"}})
	requireStatus(t, http.StatusCreated, spare, err)
	del, err := c.DeletePresetWithResponse(ctx, spare.JSON201.Id)
	requireStatus(t, http.StatusNoContent, del, err)
	gone, err := c.GetPresetWithResponse(ctx, spare.JSON201.Id)
	requireStatus(t, http.StatusNotFound, gone, err)
	require.Equal(t, "Preset not found", gone.JSON404.Error)

	// Posts: one from the preset, one scheduled, one plain draft.
	fromPreset, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{Content: "From the preset", PresetId: &pr.Id})
	requireStatus(t, http.StatusCreated, fromPreset, err)
	p1 := fromPreset.JSON201
	require.Regexp(t, `^post_[0-9A-Z]{26}$`, p1.Id)
	require.Equal(t, []oapi.Platform{o.platform, "slack"}, p1.Platforms, "the preset's platforms")
	require.Equal(t, pr.Id, p1.PresetId.MustGet())
	require.Equal(t, oapi.PostStatus("draft"), p1.Status)

	at := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	scheduled, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{
		Content: "Later", Platforms: &[]oapi.Platform{o.platform}, ScheduledFor: &at,
	})
	requireStatus(t, http.StatusCreated, scheduled, err)
	p2 := scheduled.JSON201
	require.Equal(t, oapi.PostStatus("scheduled"), p2.Status)
	require.True(t, at.Equal(p2.ScheduledFor.MustGet()))

	draft, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{Content: "Draft", Platforms: &[]oapi.Platform{"discord"}})
	requireStatus(t, http.StatusCreated, draft, err)
	p3 := draft.JSON201

	// Pagination, one post a page, newest first.
	var ids []string
	var cursor *string
	for page := 1; ; page++ {
		require.LessOrEqual(t, page, 4, "pagination does not end")
		list, err := c.ListPostsWithResponse(ctx, &oapi.ListPostsParams{Limit: ptr(1), Cursor: cursor})
		requireStatus(t, http.StatusOK, list, err)
		require.Len(t, list.JSON200.Posts, 1, "page %d", page)
		ids = append(ids, list.JSON200.Posts[0].Id)
		if !list.JSON200.HasMore {
			require.True(t, list.JSON200.NextCursor.IsNull(), "no cursor on the last page")
			break
		}
		cursor = ptr(list.JSON200.NextCursor.MustGet())
	}
	require.Equal(t, []string{p3.Id, p2.Id, p1.Id}, ids)

	got, err := c.GetPostWithResponse(ctx, p2.Id)
	requireStatus(t, http.StatusOK, got, err)
	require.Equal(t, *p2, *got.JSON200)

	// Reschedule, then turn back into a draft.
	later := at.Add(time.Hour)
	resched, err := c.UpdatePostWithResponse(ctx, p2.Id, oapi.UpdatePostRequest{
		Content: ptr("Later still"), ScheduledFor: nullable.NewNullableWithValue(later),
	})
	requireStatus(t, http.StatusOK, resched, err)
	require.Equal(t, oapi.PostStatus("scheduled"), resched.JSON200.Status)
	require.True(t, later.Equal(resched.JSON200.ScheduledFor.MustGet()))
	require.Equal(t, "Later still", resched.JSON200.Content)

	unsched, err := c.UpdatePostWithResponse(ctx, p2.Id, oapi.UpdatePostRequest{ScheduledFor: nullable.NewNullNullable[time.Time]()})
	requireStatus(t, http.StatusOK, unsched, err)
	require.Equal(t, oapi.PostStatus("draft"), unsched.JSON200.Status)
	require.True(t, unsched.JSON200.ScheduledFor.IsNull())
	require.Equal(t, "Later still", unsched.JSON200.Content)

	drafts, err := c.ListPostsWithResponse(ctx, &oapi.ListPostsParams{Status: ptr(oapi.PostStatus("scheduled"))})
	requireStatus(t, http.StatusOK, drafts, err)
	require.Empty(t, drafts.JSON200.Posts, "no post is scheduled any more")

	deleted, err := c.DeletePostWithResponse(ctx, p1.Id)
	requireStatus(t, http.StatusNoContent, deleted, err)
	afterDelete, err := c.GetPostWithResponse(ctx, p1.Id)
	requireStatus(t, http.StatusNotFound, afterDelete, err)
	require.Equal(t, "Post not found", afterDelete.JSON404.Error)
	again, err := c.DeletePostWithResponse(ctx, p1.Id)
	requireStatus(t, http.StatusNotFound, again, err)
	o.posts = []string{p3.Id, p2.Id}

	// Webhooks: the secret is whole at creation and rotation only.
	hook, err := c.CreateWebhookWithResponse(ctx, nil, oapi.CreateWebhookRequest{
		Url: hookURL, Events: []oapi.WebhookEvent{"post.published", "post.failed"},
	})
	requireStatus(t, http.StatusCreated, hook, err)
	wh := hook.JSON201
	require.Regexp(t, `^wh_[0-9A-Z]{26}$`, wh.Id)
	require.Regexp(t, fullSecret, wh.Secret)
	require.True(t, wh.IsActive, "active by default")
	o.webhook = wh.Id

	gotHook, err := c.GetWebhookWithResponse(ctx, wh.Id)
	requireStatus(t, http.StatusOK, gotHook, err)
	require.Equal(t, maskOf(wh.Secret), gotHook.JSON200.Secret)
	require.NotContains(t, string(gotHook.Body), wh.Secret)

	hooks, err := c.ListWebhooksWithResponse(ctx)
	requireStatus(t, http.StatusOK, hooks, err)
	require.Len(t, hooks.JSON200.Webhooks, 1)
	require.Equal(t, maskOf(wh.Secret), hooks.JSON200.Webhooks[0].Secret)

	updated, err := c.UpdateWebhookWithResponse(ctx, wh.Id, oapi.UpdateWebhookRequest{
		Events: &[]oapi.WebhookEvent{"post.scheduled"}, IsActive: ptr(false),
	})
	requireStatus(t, http.StatusOK, updated, err)
	require.Equal(t, []oapi.WebhookEvent{"post.scheduled"}, updated.JSON200.Events)
	require.False(t, updated.JSON200.IsActive)
	require.Equal(t, maskOf(wh.Secret), updated.JSON200.Secret)

	rotated, err := c.RotateWebhookSecretWithResponse(ctx, wh.Id, nil)
	requireStatus(t, http.StatusOK, rotated, err)
	require.Regexp(t, fullSecret, rotated.JSON200.Secret)
	require.NotEqual(t, wh.Secret, rotated.JSON200.Secret)
	o.secret = rotated.JSON200.Secret
	gotHook, err = c.GetWebhookWithResponse(ctx, wh.Id)
	requireStatus(t, http.StatusOK, gotHook, err)
	require.Equal(t, maskOf(o.secret), gotHook.JSON200.Secret)

	spareHook, err := c.CreateWebhookWithResponse(ctx, nil, oapi.CreateWebhookRequest{Url: hookURL, Events: []oapi.WebhookEvent{"account.connected"}})
	requireStatus(t, http.StatusCreated, spareHook, err)
	delHook, err := c.DeleteWebhookWithResponse(ctx, spareHook.JSON201.Id)
	requireStatus(t, http.StatusNoContent, delHook, err)
	goneHook, err := c.GetWebhookWithResponse(ctx, spareHook.JSON201.Id)
	requireStatus(t, http.StatusNotFound, goneHook, err)
	require.Equal(t, "Webhook not found", goneHook.JSON404.Error)
}

// requireInvisible checks that c can neither read nor change anything of o: every id
// answers 404, as if it did not exist.
func requireInvisible(t *testing.T, c *oapi.ClientWithResponses, o *owned) {
	t.Helper()
	ctx := t.Context()
	notFound := func(what string, resp interface {
		StatusCode() int
		GetBody() []byte
	}, err error) {
		t.Helper()
		requireStatus(t, http.StatusNotFound, resp, err)
		require.JSONEq(t, `{"error": "`+what+` not found", "code": "not_found"}`, string(resp.GetBody()))
	}
	for _, id := range o.posts {
		r1, err := c.GetPostWithResponse(ctx, id)
		notFound("Post", r1, err)
		r2, err := c.UpdatePostWithResponse(ctx, id, oapi.UpdatePostRequest{Content: ptr("hijacked")})
		notFound("Post", r2, err)
		r3, err := c.DeletePostWithResponse(ctx, id)
		notFound("Post", r3, err)
	}
	r4, err := c.GetPresetWithResponse(ctx, o.preset)
	notFound("Preset", r4, err)
	r5, err := c.UpdatePresetWithResponse(ctx, o.preset, oapi.UpdatePresetRequest{Name: ptr("hijacked")})
	notFound("Preset", r5, err)
	r6, err := c.DeletePresetWithResponse(ctx, o.preset)
	notFound("Preset", r6, err)
	// A post cannot borrow another scope's preset either.
	r7, err := c.CreatePostWithResponse(ctx, nil, oapi.CreatePostRequest{Content: "borrowed", PresetId: &o.preset})
	requireStatus(t, http.StatusUnprocessableEntity, r7, err)
	require.Equal(t, "/preset_id", (*r7.JSON422.Details.Errors)[0].Field)

	r8, err := c.GetWebhookWithResponse(ctx, o.webhook)
	notFound("Webhook", r8, err)
	r9, err := c.UpdateWebhookWithResponse(ctx, o.webhook, oapi.UpdateWebhookRequest{IsActive: ptr(true)})
	notFound("Webhook", r9, err)
	r10, err := c.RotateWebhookSecretWithResponse(ctx, o.webhook, nil)
	notFound("Webhook", r10, err)
	r11, err := c.DeleteWebhookWithResponse(ctx, o.webhook)
	notFound("Webhook", r11, err)
}

// requireSeesExactly checks that c's lists hold o's items and nothing else (besides the
// system presets every scope sees).
func requireSeesExactly(t *testing.T, c *oapi.ClientWithResponses, o *owned) {
	t.Helper()
	ctx := t.Context()
	posts, err := c.ListPostsWithResponse(ctx, nil)
	requireStatus(t, http.StatusOK, posts, err)
	var postIDs []string
	for _, p := range posts.JSON200.Posts {
		postIDs = append(postIDs, p.Id)
	}
	require.Equal(t, o.posts, postIDs)
	require.False(t, posts.JSON200.HasMore)

	presets, err := c.ListPresetsWithResponse(ctx)
	requireStatus(t, http.StatusOK, presets, err)
	var own []string
	for _, p := range presets.JSON200.Presets {
		if p.IsSystem {
			require.True(t, strings.HasPrefix(p.Id, "preset_sys_"), p.Id)
			continue
		}
		own = append(own, p.Id)
	}
	want := []string(nil)
	if o.preset != "" {
		want = []string{o.preset}
	}
	require.Equal(t, want, own)

	hooks, err := c.ListWebhooksWithResponse(ctx)
	requireStatus(t, http.StatusOK, hooks, err)
	var hookIDs []string
	for _, h := range hooks.JSON200.Webhooks {
		hookIDs = append(hookIDs, h.Id)
	}
	want = nil
	if o.webhook != "" {
		want = []string{o.webhook}
	}
	require.Equal(t, want, hookIDs)
}
