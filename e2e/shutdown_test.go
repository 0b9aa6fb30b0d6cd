package e2e

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// The platforms' holds in TestGracefulShutdown, longer than the shutdown delay it sets,
// so that the work they hold is still in flight when the server stops accepting
// connections: the publish outlasts the drain, and the connect outlasts the delay.
const (
	shutdownDelay = 2 * time.Second
	connectHold   = 3 * time.Second
	publishHold   = 10 * time.Second
)

// TestGracefulShutdown sends a real SIGTERM to `octopost serve` while a request (a
// Discord connect, waiting on the webhook's slow answer) and a publish (to Mastodon and Bluesky,
// whose answers are held back) are in flight. Readiness turns 503 at once while the
// server still answers; after OCTOPOST_SHUTDOWN_DELAY the listener closes and new
// connections are refused while the process still finishes its work; the connect in
// flight completes with 201; the publish finishes within the queue's stop; the process
// exits 0. Started again on the same database, the server has the account and the
// published post, and each platform received the post exactly once.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := liveEnv(t, f)
	e["OCTOPOST_SHUTDOWN_DELAY"] = shutdownDelay.String()
	dir := t.TempDir()
	srv := startServerIn(t, dir, e)
	f.checkLogs(t, srv)

	ready := get(t, srv, "/readyz", "")
	require.Equal(t, http.StatusOK, ready.status, "body: %s", ready.raw)
	require.Equal(t, "ready", ready.body["status"])

	key := liveKey(t, e)
	c := client(t, srv, key)
	connectMastodon(t, c, f.mastodon)
	connectBluesky(t, c, f.bluesky, f.bluesky.URL)
	content := "Published across a graceful shutdown"
	both := []oapi.Platform{"mastodon", "bluesky"}
	post := createPost(t, c, oapi.CreatePostRequest{Content: content, Platforms: &both})

	// The publish in flight: both platforms have the post, neither has answered.
	f.mastodon.SetDelay(publishHold)
	f.bluesky.SetDelay(publishHold)
	publish(t, c, post.Id)
	eventually(t, publishTimeout, "both platforms have received the post", func() bool {
		return len(mastodonWith(f.mastodon, content)) == 1 && len(blueskyWith(f.bluesky, content)) == 1
	})

	// The request in flight: a connect waiting on Discord's answer to the webhook check.
	f.discord.SetDelay(connectHold)
	hook := f.discord.Webhook()
	type connected struct {
		resp *oapi.ConnectAccountResponse
		err  error
	}
	connecting := make(chan connected, 1)
	go func() {
		resp, err := c.ConnectAccountWithResponse(t.Context(), nil, oapi.ConnectAccountRequest{
			Platform: "discord", WebhookUrl: &hook})
		connecting <- connected{resp, err}
	}()
	eventually(t, publishTimeout, "the connect has reached Discord", func() bool {
		return f.discord.Calls(http.MethodGet) > 0
	})

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))

	// Readiness fails first, while the server still answers.
	var notReady response
	eventually(t, publishTimeout, "/readyz answers 503 after SIGTERM", func() bool {
		notReady = get(t, srv, "/readyz", "")
		return notReady.status == http.StatusServiceUnavailable
	})
	require.Equal(t, "not_ready", notReady.body["status"])
	require.Contains(t, notReady.body["failing"], "shutting_down")
	require.Equal(t, http.StatusOK, get(t, srv, "/healthz", "").status, "the draining process is alive")

	// Then the listener closes: new connections are refused while the process is still
	// finishing the publish it holds.
	addr := strings.TrimPrefix(srv.url, "http://")
	eventually(t, publishTimeout, "new connections are refused after the drain", func() bool {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return false
		}
		require.True(t, errors.Is(err, syscall.ECONNREFUSED), "dial: %v", err)
		return true
	})
	select {
	case <-srv.exited:
		t.Fatalf("octopost serve exited before finishing its publish\nlogs:\n%s", srv.logs.String())
	default:
	}

	// The request in flight completed.
	done := <-connecting
	requireStatus(t, http.StatusCreated, done.resp, done.err)
	require.Equal(t, oapi.Platform("discord"), done.resp.JSON201.Platform)

	// The process exits 0 once the publish is done (stop checks the exit status).
	logs := srv.stop(t)
	require.Contains(t, logs, `"msg":"shutting down"`)
	require.Contains(t, logs, `"msg":"stopped"`)

	// Started again: the account and the published post are there, once on each platform.
	f.mastodon.SetDelay(0)
	f.bluesky.SetDelay(0)
	again := startServerIn(t, dir, e)
	f.checkLogs(t, again)
	c = client(t, again, key)
	p := waitSettled(t, c, post.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	require.True(t, p.PlatformResults["mastodon"].Success)
	require.True(t, p.PlatformResults["bluesky"].Success)
	require.Len(t, mastodonWith(f.mastodon, content), 1)
	require.Len(t, blueskyWith(f.bluesky, content), 1)
	require.Equal(t, 1, f.mastodon.Calls("/api/v1/statuses"), "mastodon: the post was sent once")
	require.Equal(t, 1, f.bluesky.Calls("com.atproto.repo.createRecord"), "bluesky: the post was created once")
	accounts, err := c.ListAccountsWithResponse(t.Context())
	requireStatus(t, http.StatusOK, accounts, err)
	require.Len(t, accounts.JSON200.Accounts, 3, "the connect completed during the drain is kept")
}
