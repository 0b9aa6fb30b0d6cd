package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectThreads connects a Threads account through Meta's OAuth with the built
// binary, against the fake Threads on 127.0.0.1: the authorization URL, the consent, the
// callback (whose code exchange ends in a long-lived token), the account listed with the
// profile, a thread published as a reply chain through the container flow, a reconnect
// that updates the account instead of adding one, and a revoked token that disconnects it
// after the refresh it triggers is refused.
func TestOAuthConnectThreads(t *testing.T) {
	t.Parallel()
	th := fake.NewThreads(t)
	e := oauthEnv(t, "THREADS", th.ClientID, th.ClientSecret, th.URL+"/oauth/authorize", th.URL+"/oauth/access_token", th.URL)
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	// connectOnce connects the Threads user (connectOAuth), checks that the authorization
	// URL is Threads', and returns the account id the callback redirected with.
	connectOnce := func() string {
		conn := connectOAuth(t, c, srv, "threads")
		authURL := conn.AuthURL.String()
		require.True(t, strings.HasPrefix(authURL, th.URL+"/oauth/authorize?"), authURL)
		return conn.AccountID()
	}

	accountID := connectOnce()
	require.Equal(t, 1, th.Exchanges(), "the short-lived token was traded for a long-lived one")
	accounts := accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	a := accounts["threads"]
	require.Equal(t, accountID, a.Id)
	require.Equal(t, th.User.Username, a.Username)
	require.Equal(t, th.User.ID, a.PlatformUserId)
	require.Equal(t, th.User.Name, a.DisplayName)
	require.True(t, a.IsActive)

	// A thread goes out as a reply chain, each part a container published in turn.
	p := createPost(t, c, oapi.CreatePostRequest{
		Content: "Hello Threads, from Octopost", Platforms: &[]oapi.Platform{"threads"},
		Segments: &[]oapi.Segment{{Content: "and a reply"}},
	})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	posts := th.Posts()
	require.Len(t, posts, 2)
	require.Equal(t, "Hello Threads, from Octopost", posts[0].Container.Text)
	require.Equal(t, "and a reply", posts[1].Container.Text)
	require.Equal(t, posts[0].ID, posts[1].Container.ReplyToID)
	result := requireSuccess(t, p, "threads", posts[0].ID)
	require.Equal(t, posts[0].Permalink, deref(result.PostUrl))

	// Connecting the same Threads user again updates the account: no second row.
	require.Equal(t, accountID, connectOnce())
	require.Len(t, accountsByPlatform(t, c), 1)
	require.Equal(t, 2, th.Exchanges())

	// The user removes the app: Threads refuses the token (code 190), the refresh the
	// server then tries is refused alike, and the account is disconnected.
	th.RevokeAll()
	p = createPost(t, c, oapi.CreatePostRequest{Content: "After the app was removed", Platforms: &[]oapi.Platform{"threads"}})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("failed"), p.Status, "results: %+v", p.PlatformResults)
	require.False(t, accountsByPlatform(t, c)["threads"].IsActive)
	issued, refused := th.Refreshes()
	require.Zero(t, issued)
	require.GreaterOrEqual(t, refused, 2, "the publish and the refresh were both refused")
	require.Len(t, th.Posts(), 2)
}
