package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func TestPlatformContentIsStoredAndReturned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	content := `{
		"mastodon": {"content": "A longer text for Mastodon, with every detail"},
		"twitter": {"content": "Short for X", "media": {}},
		"bluesky": {"media": {"images": [{"url": "https://cdn.example.com/b.png", "alt_text": "A bird"}]}}
	}`
	created := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "Launch day",
		"platforms": ["mastodon", "twitter", "bluesky", "discord"],
		"media": {"images": [{"url": "https://cdn.example.com/a.png"}]},
		"platform_content": `+content+`}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	require.Equal(t, decoded(t, `{
		"mastodon": {"content": "A longer text for Mastodon, with every detail"},
		"twitter": {"content": "Short for X", "media": {"images": [], "video": null}},
		"bluesky": {"media": {"images": [{"url": "https://cdn.example.com/b.png", "alt_text": "A bird"}], "video": null}}
	}`), created.body["platform_content"], "media in the post's own shape; a field left out stays out")
	id := created.body["id"].(string)

	require.Equal(t, created.body, b.do(t, http.MethodGet, "/v1/posts/"+id, live, "").body)
	require.Equal(t, created.body, b.do(t, http.MethodGet, "/v1/posts", live, "").body["posts"].([]any)[0])

	// An update without platform_content leaves it; with it, it is replaced whole.
	r := b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"content": "Launch day, again"}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, created.body["platform_content"], r.body["platform_content"])
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platform_content": {"discord": {"content": "Hey @everyone"}}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, decoded(t, `{"discord": {"content": "Hey @everyone"}}`), r.body["platform_content"])

	// {} removes it: the field is left out, never null.
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platform_content": {}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.NotContains(t, r.body, "platform_content")
	require.NotContains(t, b.do(t, http.MethodGet, "/v1/posts/"+id, live, "").body, "platform_content")
}

func TestPlatformContentValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	post := func(content string) string {
		return `{"content": "hi", "platforms": ["mastodon", "twitter"], "platform_content": ` + content + `}`
	}
	for name, c := range map[string]struct {
		body   string
		fields []string
	}{
		// The schema: the post's own limits, twelve platforms, entries of two fields.
		"unknown platform":    {post(`{"myspace": {"content": "x"}}`), []string{"/platform_content/myspace"}},
		"not an object":       {post(`["mastodon"]`), []string{"/platform_content"}},
		"null entry":          {post(`{"mastodon": null}`), []string{"/platform_content/mastodon"}},
		"empty entry":         {post(`{"mastodon": {}}`), []string{"/platform_content/mastodon"}},
		"empty content":       {post(`{"mastodon": {"content": ""}}`), []string{"/platform_content/mastodon/content"}},
		"content too long":    {post(`{"mastodon": {"content": "` + strings.Repeat("a", 10001) + `"}}`), []string{"/platform_content/mastodon/content"}},
		"unknown field":       {post(`{"mastodon": {"text": "x"}}`), []string{"/platform_content/mastodon/text"}},
		"too many images":     {post(`{"mastodon": {"media": {"images": [` + strings.Repeat(`{"url": "https://cdn.example.com/a.png"}, `, 10) + `{"url": "https://cdn.example.com/a.png"}]}}}`), []string{"/platform_content/mastodon/media/images"}},
		"segments not a part": {post(`{"mastodon": {"segments": []}}`), []string{"/platform_content/mastodon/segments"}},
		// The service: an entry must be for one of the post's platforms.
		"entry for another platform": {post(`{"bluesky": {"content": "x"}, "mastodon": {"content": "y"}}`), []string{"/platform_content/bluesky"}},
		"entry for a preset's missing platform": {
			`{"content": "hi", "preset_id": "preset_sys_professional", "platform_content": {"linkedin": {"content": "x"}, "mastodon": {"content": "y"}}}`,
			[]string{"/platform_content/mastodon"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			requireFields(t, b.do(t, http.MethodPost, "/v1/posts", live, c.body), c.fields...)
		})
	}

	// An update is checked against the post as it will be.
	id := createPost(t, b, live, post(`{"twitter": {"content": "Short"}}`))["id"].(string)
	r := b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platforms": ["mastodon"]}`)
	requireFields(t, r, "/platform_content/twitter")
	requireFieldMessage(t, r, "twitter is not one of this post's platforms")
	r = b.do(t, http.MethodPut, "/v1/posts/"+id, live, `{"platforms": ["mastodon"], "platform_content": {}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
}

// Publishing checks each platform's limit against the text it will get, and names the
// entry; in test mode, as in live.
func TestPublishChecksThePlatformsOwnContent(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{runJobs: true})
	test := b.key(t, service.ModeTest)
	connectSandbox(t, b, test, "twitter", "none")
	connectSandbox(t, b, test, "mastodon", "none")
	long := strings.Repeat("a", 400)
	id := createPost(t, b, test, `{"content": "hi", "platforms": ["twitter", "mastodon"],
		"platform_content": {"twitter": {"content": "`+long+`"}, "mastodon": {"content": "`+long+`"}}}`)["id"].(string)
	r := b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, "")
	requireFields(t, r, "/platform_content/twitter/content")

	r = b.do(t, http.MethodPut, "/v1/posts/"+id, test, `{"platform_content": {"mastodon": {"content": "`+long+`"}}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	r = b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, "")
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.raw)
	done := waitForStatus(t, b, test, id)
	require.Equal(t, "published", done.body["status"], "body: %s", done.raw)
	require.Equal(t, decoded(t, `{"mastodon": {"content": "`+long+`"}}`), done.body["platform_content"])
}
