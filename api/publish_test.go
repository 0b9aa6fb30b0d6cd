package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/mastodon"
)

// waitForStatus polls a post until it leaves `publishing` (or times out).
func waitForStatus(t *testing.T, b *testBundle, key, postID string) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := b.do(t, http.MethodGet, "/v1/posts/"+postID, key, "")
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
		if r.body["status"] != "publishing" || time.Now().After(deadline) {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func connectSandbox(t *testing.T, b *testBundle, key, platformName, simulate string) string {
	t.Helper()
	r := b.do(t, http.MethodPost, "/v1/accounts", key, `{"platform": "`+platformName+`", "simulate": "`+simulate+`"}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
	return r.body["id"].(string)
}

func TestPublishInTestMode(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{runJobs: true})
	test := b.key(t, service.ModeTest)
	connectSandbox(t, b, test, "bluesky", "none")
	connectSandbox(t, b, test, "discord", "none")
	rejected := connectSandbox(t, b, test, "telegram", "token_expired")

	post := createPost(t, b, test, `{"content": "Hello sandbox", "platforms": ["bluesky", "discord", "telegram"], "segments": [{"content": "and a reply"}]}`)
	id := post["id"].(string)
	r := b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, "")
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.raw)
	require.Equal(t, "publishing", r.body["status"])

	done := waitForStatus(t, b, test, id)
	require.Equal(t, "published", done.body["status"], "body: %s", done.raw)
	require.NotNil(t, done.body["published_at"])
	results := done.body["platform_results"].(map[string]any)
	bluesky := results["bluesky"].(map[string]any)
	require.Equal(t, true, bluesky["success"])
	require.True(t, strings.HasPrefix(bluesky["post_url"].(string), "https://bsky.app/profile/"), bluesky["post_url"])
	require.Equal(t, true, results["discord"].(map[string]any)["success"])
	telegram := results["telegram"].(map[string]any)
	require.Equal(t, false, telegram["success"])
	require.NotEmpty(t, telegram["error"])

	// The rejected token disconnected the telegram account, which says why (the platform's
	// error, as in the post's result): re-publishing needs a new one, and then retries
	// telegram alone.
	account := b.do(t, http.MethodGet, "/v1/accounts/"+rejected, test, "")
	require.Equal(t, http.StatusOK, account.status, "body: %s", account.raw)
	require.Equal(t, false, account.body["is_active"])
	require.Equal(t, telegram["error"], account.body["inactive_reason"])
	requireFields(t, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, ""), "/platforms/2")
	connectSandbox(t, b, test, "telegram", "none")
	r = b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, "")
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.raw)
	again := waitForStatus(t, b, test, id)
	require.Equal(t, "published", again.body["status"])
	results2 := again.body["platform_results"].(map[string]any)
	require.Equal(t, true, results2["telegram"].(map[string]any)["success"])
	require.Equal(t, bluesky["post_id"], results2["bluesky"].(map[string]any)["post_id"], "succeeded platforms are not published again")

	requireError(t, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, ""), 409, "conflict", "Post has already been published")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts/post_missing/publish", test, ""), 404, "not_found", "Post not found")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", b.key(t, service.ModeLive), ""), 404, "not_found", "Post not found")
}

func TestPublishingPostCannotBePublishedOrDeleted(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{runJobs: true})
	test := b.key(t, service.ModeTest)
	// A platform failing with server errors is retried with backoff (15 s first), so
	// the post stays publishing for the length of this test.
	connectSandbox(t, b, test, "mastodon", "server_error")
	id := createPost(t, b, test, `{"content": "stuck", "platforms": ["mastodon"]}`)["id"].(string)
	require.Equal(t, http.StatusAccepted, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, "").status)

	requireError(t, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", test, ""), 409, "conflict", "Post is already being published")
	requireError(t, b.do(t, http.MethodDelete, "/v1/posts/"+id, test, ""), 409, "conflict", "Post is being published and cannot be deleted")
	requireError(t, b.do(t, http.MethodPut, "/v1/posts/"+id, test, `{"content": "x"}`), 409, "conflict", "Post is being published and cannot be modified")
	require.Equal(t, "publishing", b.do(t, http.MethodGet, "/v1/posts/"+id, test, "").body["status"])
}

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	test := b.key(t, service.ModeTest)
	connectSandbox(t, b, test, "twitter", "none")
	connectSandbox(t, b, test, "instagram", "none")

	noAccount := createPost(t, b, test, `{"content": "hi", "platforms": ["twitter", "mastodon"]}`)["id"].(string)
	r := b.do(t, http.MethodPost, "/v1/posts/"+noAccount+"/publish", test, "")
	requireFields(t, r, "/platforms/1")
	require.Contains(t, string(r.raw), "mastodon")

	tooLong := createPost(t, b, test, `{"content": "`+strings.Repeat("a", 281)+`", "platforms": ["twitter"]}`)["id"].(string)
	r = b.do(t, http.MethodPost, "/v1/posts/"+tooLong+"/publish", test, "")
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.raw)
	require.Contains(t, string(r.raw), "twitter")

	noImage := createPost(t, b, test, `{"content": "hi", "platforms": ["instagram"]}`)["id"].(string)
	r = b.do(t, http.MethodPost, "/v1/posts/"+noImage+"/publish", test, "")
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.raw)
	require.Contains(t, string(r.raw), "instagram")

	// A refused publish leaves the post as it was.
	require.Equal(t, "draft", b.do(t, http.MethodGet, "/v1/posts/"+noImage, test, "").body["status"])
}

func TestPublishToMastodon(t *testing.T) {
	t.Parallel()
	m := fake.NewMastodon(t)
	b := setupWith(t, setupOptions{runJobs: true, service: service.Config{
		Adapters:                  map[service.Platform]platform.Adapter{"mastodon": mastodon.New(netpolicy.Client(true, 10*time.Second))},
		AllowInsecurePlatformURLs: true,
	}})
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)

	id := createPost(t, b, live, `{"content": "Hello fediverse", "platforms": ["mastodon"], "segments": [{"content": "more"}]}`)["id"].(string)
	require.Equal(t, http.StatusAccepted, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", live, "").status)
	done := waitForStatus(t, b, live, id)
	require.Equal(t, "published", done.body["status"], "body: %s", done.raw)

	statuses := m.Statuses()
	require.Len(t, statuses, 2)
	require.Equal(t, "Hello fediverse", statuses[0].Text)
	require.Equal(t, statuses[0].ID, statuses[1].InReplyToID, "segments are a reply chain")
	result := done.body["platform_results"].(map[string]any)["mastodon"].(map[string]any)
	require.Equal(t, statuses[0].ID, result["post_id"])
}
