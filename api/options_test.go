package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/mastodon"
	"github.com/octopost/octopost/service/platform/platforms"
)

// decoded is body as a JSON value, for comparing a response's field with what was sent.
func decoded(t *testing.T, body string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	return v
}

func TestPlatformOptionsAreStoredAndReturned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	options := `{
		"mastodon": {"visibility": "unlisted", "spoiler_text": "Spoilers for episode 4"},
		"linkedin": {"visibility": "connections"},
		"tiktok": {"privacy_level": "SELF_ONLY", "disable_comment": true, "disable_duet": false},
		"youtube": {"title": "Episode 4", "privacy_status": "unlisted"},
		"instagram": {"post_type": "reel"}
	}`
	created := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "Episode 4, discussed",
		"platforms": ["mastodon", "linkedin", "tiktok", "youtube", "instagram", "bluesky"],
		"media": {"video": {"url": "https://cdn.example.com/ep4.mp4"}},
		"platform_options": `+options+`}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	require.Equal(t, decoded(t, options), created.body["platform_options"], "returned as given, false included")
	id := created.body["id"].(string)

	got := b.do(t, http.MethodGet, "/v1/posts/"+id, live, "")
	require.Equal(t, created.body, got.body)
	list := b.do(t, http.MethodGet, "/v1/posts", live, "")
	require.Equal(t, created.body, list.body["posts"].([]any)[0])

	// An update without platform_options leaves them; with it, they are replaced whole.
	r := b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"content": "Episode 4, discussed again"}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, decoded(t, options), r.body["platform_options"])
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platform_options": {"mastodon": {"visibility": "private"}}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, decoded(t, `{"mastodon": {"visibility": "private"}}`), r.body["platform_options"])

	// {} removes them: the field is left out, never null.
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platform_options": {}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.NotContains(t, r.body, "platform_options")
	require.NotContains(t, b.do(t, http.MethodGet, "/v1/posts/"+id, live, "").body, "platform_options")

	plain := createPost(t, b, live, `{"content": "No options", "platforms": ["mastodon"]}`)
	require.NotContains(t, plain, "platform_options")
}

func TestPlatformOptionsValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	post := func(platforms, options string) string {
		return `{"content": "hi", ` + platforms + `"platform_options": ` + options + `}`
	}
	onMastodon := `"platforms": ["mastodon", "tiktok", "youtube"], `
	for name, c := range map[string]struct {
		body   string
		fields []string
	}{
		// The schema: only five platforms take options, each of its own shape.
		"platform without options":  {post(onMastodon, `{"twitter": {}}`), []string{"/platform_options/twitter"}},
		"unknown platform":          {post(onMastodon, `{"myspace": {}}`), []string{"/platform_options/myspace"}},
		"not an object":             {post(onMastodon, `["mastodon"]`), []string{"/platform_options"}},
		"null entry":                {post(onMastodon, `{"mastodon": null}`), []string{"/platform_options/mastodon"}},
		"wrong type":                {post(onMastodon, `{"mastodon": {"visibility": 5}}`), []string{"/platform_options/mastodon/visibility"}},
		"unknown visibility":        {post(onMastodon, `{"mastodon": {"visibility": "followers"}}`), []string{"/platform_options/mastodon/visibility"}},
		"unknown option":            {post(onMastodon, `{"mastodon": {"sensitive": true}}`), []string{"/platform_options/mastodon/sensitive"}},
		"warning too long":          {post(onMastodon, `{"mastodon": {"spoiler_text": "`+longText(501)+`"}}`), []string{"/platform_options/mastodon/spoiler_text"}},
		"boolean as a string":       {post(onMastodon, `{"tiktok": {"disable_duet": "yes"}}`), []string{"/platform_options/tiktok/disable_duet"}},
		"privacy level in lower":    {post(onMastodon, `{"tiktok": {"privacy_level": "self_only"}}`), []string{"/platform_options/tiktok/privacy_level"}},
		"empty title":               {post(onMastodon, `{"youtube": {"title": ""}}`), []string{"/platform_options/youtube/title"}},
		"title too long":            {post(onMastodon, `{"youtube": {"title": "`+longText(101)+`"}}`), []string{"/platform_options/youtube/title"}},
		"unknown instagram type":    {post(onMastodon, `{"instagram": {"post_type": "igtv"}}`), []string{"/platform_options/instagram/post_type"}},
		"linkedin visibility upper": {post(onMastodon, `{"linkedin": {"visibility": "PUBLIC"}}`), []string{"/platform_options/linkedin/visibility"}},
		// The service: an entry must be for one of the post's platforms.
		"entry for another platform": {post(onMastodon, `{"linkedin": {"visibility": "public"}, "mastodon": {}}`), []string{"/platform_options/linkedin"}},
		"entry for a preset's missing platform": {
			`{"content": "hi", "preset_id": "preset_sys_professional", "platform_options": {"linkedin": {}, "mastodon": {"visibility": "direct"}}}`,
			[]string{"/platform_options/mastodon"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := b.do(t, http.MethodPost, "/v1/posts", live, c.body)
			requireFields(t, r, c.fields...)
		})
	}

	r := b.do(t, http.MethodPost, "/v1/posts", live, post(onMastodon, `{"instagram": {"post_type": "feed"}}`))
	requireFields(t, r, "/platform_options/instagram")
	requireFieldMessage(t, r, "instagram is not one of this post's platforms")

	// An update is checked against the post as it will be: dropping a platform drops its
	// options too, or it is refused.
	id := createPost(t, b, live, post(`"platforms": ["mastodon", "bluesky"], `, `{"mastodon": {"visibility": "unlisted"}}`))["id"].(string)
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platforms": ["bluesky"]}`)
	requireFields(t, r, "/platform_options/mastodon")
	requireFieldMessage(t, r, "mastodon is not one of this post's platforms")
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platforms": ["bluesky"], "platform_options": {}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platform_options": {"mastodon": {}}}`)
	requireFields(t, r, "/platform_options/mastodon")
}

func longText(n int) string {
	out := make([]rune, n)
	for i := range out {
		out[i] = 'é'
	}
	return string(out)
}

// TestSpecOptionsProblemsNameTheirField: what a platform's Spec.Options finds is reported
// below the platform's entry, checked against the post's first part. Mastodon's Spec is
// given a check that depends on the post (as Instagram's post_type does), since the schema
// already refuses everything Mastodon's own check would.
func TestSpecOptionsProblemsNameTheirField(t *testing.T) {
	t.Parallel()
	registry := slices.Clone(platforms.All)
	i := slices.IndexFunc(registry, func(s platform.Spec) bool { return s.ID == "mastodon" })
	var seen []platform.Post
	registry[i].Options = func(raw json.RawMessage, p platform.Post) []platform.OptionProblem {
		seen = append(seen, p)
		if p.VideoURL != "" {
			return nil
		}
		return []platform.OptionProblem{
			{Path: "/visibility", Message: "needs a video"},
			{Message: "entry refused as a whole"},
		}
	}
	b := setupWith(t, setupOptions{service: service.Config{Platforms: registry}})
	live := b.key(t, service.ModeLive)

	r := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "first", "platforms": ["mastodon"],
		"segments": [{"content": "second", "media": {"video": {"url": "https://cdn.example.com/v.mp4"}}}],
		"platform_options": {"mastodon": {"visibility": "direct"}}}`)
	requireFields(t, r, "/platform_options/mastodon/visibility", "/platform_options/mastodon")
	requireFieldMessage(t, r, "needs a video")
	require.Len(t, seen, 1)
	require.Equal(t, "first", seen[0].Text, "the first part, not a segment")
	require.JSONEq(t, `{"visibility": "direct"}`, string(seen[0].Options))

	r = b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "first", "platforms": ["mastodon"],
		"media": {"video": {"url": "https://cdn.example.com/v.mp4"}},
		"platform_options": {"mastodon": {"visibility": "direct"}}}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
	id := r.body["id"].(string)

	// An update that takes the video away breaks the entry: refused, naming it.
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"media": {}}`)
	requireFields(t, r, "/platform_options/mastodon/visibility", "/platform_options/mastodon")
}

func TestPublishCarriesMastodonOptions(t *testing.T) {
	t.Parallel()
	m := fake.NewMastodon(t)
	b := setupWith(t, setupOptions{runJobs: true, service: service.Config{
		Adapters:                  map[service.Platform]platform.Adapter{"mastodon": mastodon.New(netpolicy.Client(true, 10*time.Second))},
		AllowInsecurePlatformURLs: true,
	}})
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)

	id := createPost(t, b, live, `{"content": "Episode 4 thoughts", "platforms": ["mastodon"],
		"segments": [{"content": "and the ending"}],
		"platform_options": {"mastodon": {"visibility": "unlisted", "spoiler_text": "Episode 4"}}}`)["id"].(string)
	require.Equal(t, http.StatusAccepted, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", live, "").status)
	done := waitForStatus(t, b, live, id)
	require.Equal(t, "published", done.body["status"], "body: %s", done.raw)

	statuses := m.Statuses()
	require.Len(t, statuses, 2)
	for _, st := range statuses {
		require.Equal(t, "unlisted", st.Visibility, "every status of the thread")
		require.Equal(t, "Episode 4", st.SpoilerText)
	}
	require.Equal(t, statuses[0].ID, statuses[1].InReplyToID)
}
