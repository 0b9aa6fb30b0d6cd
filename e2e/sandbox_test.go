package e2e

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// tripwire is an HTTP server that records every request it gets: the sandbox server's
// platforms all point at it, so any network call a test-mode publish made would show.
type tripwire struct {
	URL string

	mu       sync.Mutex
	requests []string
}

func newTripwire(t *testing.T) *tripwire {
	t.Helper()
	tw := &tripwire{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw.mu.Lock()
		tw.requests = append(tw.requests, r.Method+" "+r.URL.Path)
		tw.mu.Unlock()
		http.Error(w, "a test-mode publish must not make network calls", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	tw.URL = srv.URL
	return tw
}

func (tw *tripwire) Requests() []string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]string(nil), tw.requests...)
}

// TestSandboxPublishing publishes with a test key through sandbox accounts: they answer
// like the platforms, fail as their simulate setting says, and never make a network call.
func TestSandboxPublishing(t *testing.T) {
	t.Parallel()
	tw := newTripwire(t)
	e := pgEnv(t)
	// Every platform address the server has is the tripwire, reachable over plain http:
	// were a sandbox publish to leak into a live adapter, it would be seen.
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	e["OCTOPOST_BLUESKY_URL"] = tw.URL
	e["OCTOPOST_DISCORD_WEBHOOK_URL"] = tw.URL + "/api/webhooks/"
	e["OCTOPOST_SLACK_API_URL"] = tw.URL + "/api"
	e["OCTOPOST_SLACK_WEBHOOK_URL"] = tw.URL + "/"
	e["OCTOPOST_TELEGRAM_API_URL"] = tw.URL
	srv := startServer(t, e)
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	c := client(t, srv, createKey(t, dir, e, "dev@example.com", "test").Key)

	simulate := map[oapi.Platform]oapi.Simulate{
		"twitter": "none", "linkedin": "none", "bluesky": "none", "telegram": "none",
		"threads": "token_expired", "mastodon": "server_error", "slack": "rate_limited",
	}
	for pl, sim := range simulate {
		req := oapi.ConnectAccountRequest{Platform: pl}
		if sim != "none" {
			req.Simulate = &sim
		}
		a := connect(t, c, req)
		require.NotEmpty(t, a.Username, pl)
		require.NotEmpty(t, a.PlatformUserId, pl)
	}

	// A thread to four good accounts and the one whose token has expired.
	good := []oapi.Platform{"twitter", "linkedin", "bluesky", "telegram"}
	targets := append(append([]oapi.Platform(nil), good...), "threads")
	p := createPost(t, c, oapi.CreatePostRequest{Content: "Sandbox thread", Platforms: &targets,
		Segments: &[]oapi.Segment{{Content: "Sandbox reply"}}})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	require.Len(t, p.PlatformResults, 5)
	urls := map[oapi.Platform]string{
		"twitter": "https://x.com/i/status/", "linkedin": "https://www.linkedin.com/feed/update/urn:li:share:",
		"bluesky": "https://bsky.app/profile/", "telegram": "https://t.me/",
	}
	for _, pl := range good {
		r := p.PlatformResults[string(pl)]
		require.True(t, r.Success, "%s: %s", pl, deref(r.Error))
		require.NotEmpty(t, deref(r.PostId), pl)
		require.Contains(t, deref(r.PostUrl), urls[pl], "%s: a URL of the platform's shape", pl)
	}
	expired := p.PlatformResults["threads"]
	require.False(t, expired.Success)
	require.Nil(t, expired.PostId)
	require.Contains(t, deref(expired.Error), "expired")

	// The rejected token deactivated its account; the others were used.
	accounts := accountsByPlatform(t, c)
	require.False(t, accounts["threads"].IsActive, "a rejected token deactivates the account")
	for _, pl := range good {
		require.True(t, accounts[pl].IsActive, pl)
		require.False(t, accounts[pl].LastUsedAt.IsNull(), "%s: used by the publish", pl)
	}

	// Publishing to the inactive account is refused up front, naming the platform.
	again := createPost(t, c, oapi.CreatePostRequest{Content: "Again", Platforms: &[]oapi.Platform{"twitter", "threads"}})
	refused, err := c.PublishPostWithResponse(t.Context(), again.Id, nil)
	requireStatus(t, http.StatusUnprocessableEntity, refused, err)
	require.Equal(t, []oapi.FieldError{{Field: "/platforms/1", Message: "threads: no active threads account is connected"}},
		*refused.JSON422.Details.Errors)
	require.Equal(t, oapi.PostStatus("draft"), getPost(t, c, again.Id).Status, "a refused publish changes nothing")

	// A server error and a rate limit are transient: retried later (the first retry is 15
	// and 30 s away), so those platforms stay open while a good one finishes.
	retried := createPost(t, c, oapi.CreatePostRequest{Content: "Sandbox retries",
		Platforms: &[]oapi.Platform{"mastodon", "slack", "twitter"}})
	publish(t, c, retried.Id)
	eventually(t, publishTimeout, "twitter's result", func() bool {
		retried = getPost(t, c, retried.Id)
		_, ok := retried.PlatformResults["twitter"]
		return ok
	})
	require.Equal(t, oapi.PostStatus("publishing"), retried.Status)
	require.True(t, retried.PlatformResults["twitter"].Success)
	require.NotContains(t, retried.PlatformResults, "mastodon", "a server error is retried, not recorded as final")
	require.NotContains(t, retried.PlatformResults, "slack", "a rate limit is retried, not recorded as final")
	busy, err := c.DeletePostWithResponse(t.Context(), retried.Id)
	requireStatus(t, http.StatusConflict, busy, err)

	require.Empty(t, tw.Requests(), "test mode made network calls")
}
