package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

const (
	// pollInterval is how often a test looks again at something it waits for.
	pollInterval = 50 * time.Millisecond
	// publishTimeout bounds a publish to the fakes, which answer at once: the queue's
	// poll is 250 ms, the rest is the suite's load.
	publishTimeout = 30 * time.Second
)

// fakes are the platform fakes a live server is pointed at.
type fakes struct {
	mastodon *fake.Mastodon
	bluesky  *fake.Bluesky
	discord  *fake.Discord
}

func newFakes(t *testing.T) fakes {
	t.Helper()
	return fakes{mastodon: fake.NewMastodon(t), bluesky: fake.NewBluesky(t), discord: fake.NewDiscord(t)}
}

// checkLogs registers a check, when t ends, that srv has not logged the fakes' credentials:
// like API keys, platform tokens must never reach a log. It stops srv to read its logs
// (gracefully, unless it was killed).
func (f fakes) checkLogs(t *testing.T, srv *server) {
	t.Helper()
	t.Cleanup(func() {
		logs := srv.stop(t)
		secrets := map[string]string{
			"the Mastodon access token": f.mastodon.Token,
			"the Bluesky app password":  f.bluesky.AppPassword,
			"a Bluesky session JWT":     "eyJ0eXAiOiJhdCtqd3Qi", // base64 of {"typ":"at+jwt", how every one starts
			"a Discord webhook token":   "wh-Tok_",
		}
		for what, secret := range secrets {
			if strings.Contains(logs, secret) {
				t.Errorf("octopost serve logged %s", what)
			}
		}
	})
}

// liveEnv is a fresh PostgreSQL database, with the platforms reaching f on 127.0.0.1 over
// plain http: Bluesky's default PDS and Discord's webhook prefix are the fakes'.
func liveEnv(t *testing.T, f fakes) env {
	t.Helper()
	e := pgEnv(t)
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	e["OCTOPOST_BLUESKY_URL"] = f.bluesky.URL
	e["OCTOPOST_DISCORD_WEBHOOK_URL"] = f.discord.WebhookBase()
	return e
}

// liveKey creates a user and a live key for it on e's database.
func liveKey(t *testing.T, e env) string {
	t.Helper()
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	return createKey(t, dir, e, "dev@example.com", "live").Key
}

// connect connects an account through POST /v1/accounts and returns it.
func connect(t *testing.T, c *oapi.ClientWithResponses, req oapi.ConnectAccountRequest) oapi.Account {
	t.Helper()
	resp, err := c.ConnectAccountWithResponse(t.Context(), nil, req)
	requireStatus(t, http.StatusCreated, resp, err)
	require.Equal(t, req.Platform, resp.JSON201.Platform)
	require.True(t, resp.JSON201.IsActive)
	return *resp.JSON201
}

// connectMastodon connects f's Mastodon account by its instance URL and token.
func connectMastodon(t *testing.T, c *oapi.ClientWithResponses, m *fake.Mastodon) oapi.Account {
	t.Helper()
	return connect(t, c, oapi.ConnectAccountRequest{Platform: "mastodon", InstanceUrl: &m.URL, AccessToken: &m.Token})
}

// connectBluesky connects the fake's Bluesky account with its app password; serviceURL
// empty means the server's default PDS.
func connectBluesky(t *testing.T, c *oapi.ClientWithResponses, b *fake.Bluesky, serviceURL string) oapi.Account {
	t.Helper()
	req := oapi.ConnectAccountRequest{Platform: "bluesky", Identifier: &b.Handle, AppPassword: &b.AppPassword}
	if serviceURL != "" {
		req.ServiceUrl = &serviceURL
	}
	return connect(t, c, req)
}

// connectDiscord connects a new webhook of the fake's.
func connectDiscord(t *testing.T, c *oapi.ClientWithResponses, d *fake.Discord) oapi.Account {
	t.Helper()
	hook := d.Webhook()
	return connect(t, c, oapi.ConnectAccountRequest{Platform: "discord", WebhookUrl: &hook})
}

// accountsByPlatform lists the accounts through GET /v1/accounts.
func accountsByPlatform(t *testing.T, c *oapi.ClientWithResponses) map[oapi.Platform]oapi.Account {
	t.Helper()
	resp, err := c.ListAccountsWithResponse(t.Context())
	requireStatus(t, http.StatusOK, resp, err)
	out := map[oapi.Platform]oapi.Account{}
	for _, a := range resp.JSON200.Accounts {
		_, dup := out[a.Platform]
		require.False(t, dup, "one account per platform in these tests")
		out[a.Platform] = a
	}
	return out
}

// createPost creates a post and returns it.
func createPost(t *testing.T, c *oapi.ClientWithResponses, req oapi.CreatePostRequest) oapi.Post {
	t.Helper()
	resp, err := c.CreatePostWithResponse(t.Context(), nil, req)
	requireStatus(t, http.StatusCreated, resp, err)
	return *resp.JSON201
}

// publish starts publishing a post: 202 with the post publishing.
func publish(t *testing.T, c *oapi.ClientWithResponses, id string) oapi.Post {
	t.Helper()
	resp, err := c.PublishPostWithResponse(t.Context(), id, nil)
	requireStatus(t, http.StatusAccepted, resp, err)
	require.Equal(t, oapi.PostStatus("publishing"), resp.JSON202.Status)
	return *resp.JSON202
}

// getPost reads a post.
func getPost(t *testing.T, c *oapi.ClientWithResponses, id string) oapi.Post {
	t.Helper()
	resp, err := c.GetPostWithResponse(t.Context(), id)
	requireStatus(t, http.StatusOK, resp, err)
	return *resp.JSON200
}

// waitSettled polls a post until it is published or failed, and returns it.
func waitSettled(t *testing.T, c *oapi.ClientWithResponses, id string, timeout time.Duration) oapi.Post {
	t.Helper()
	var p oapi.Post
	eventually(t, timeout, "post "+id+" settles (published or failed)", func() bool {
		p = getPost(t, c, id)
		return p.Status == "published" || p.Status == "failed"
	}, func() string { return "last seen " + string(p.Status) })
	return p
}

// eventually polls cond every pollInterval until it holds, and fails t when it still
// does not after timeout, with what and, if given, state's description of where it is.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := what + ": not within " + timeout.String()
			for _, s := range state {
				msg += "; " + s()
			}
			t.Fatal(msg)
		}
		time.Sleep(pollInterval)
	}
}

// sleepUntil waits until the moment at, for checks that something did NOT happen by then.
func sleepUntil(at time.Time) {
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
}

// filter keeps the items for which keep is true.
func filter[T any](items []T, keep func(T) bool) []T {
	var out []T
	for _, it := range items {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

func mastodonWith(m *fake.Mastodon, text string) []fake.MastodonStatus {
	return filter(m.Statuses(), func(s fake.MastodonStatus) bool { return s.Text == text })
}

func blueskyWith(b *fake.Bluesky, text string) []fake.BlueskyRecord {
	return filter(b.Records(), func(r fake.BlueskyRecord) bool { return r.Text == text })
}

func discordWith(d *fake.Discord, text string) []fake.DiscordMessage {
	return filter(d.Messages(), func(m fake.DiscordMessage) bool { return m.Content == text })
}

// requireNowhere checks that no fake has received a post with any of texts.
func requireNowhere(t *testing.T, f fakes, texts ...string) {
	t.Helper()
	for _, text := range texts {
		require.Empty(t, mastodonWith(f.mastodon, text), "mastodon has %q", text)
		require.Empty(t, blueskyWith(f.bluesky, text), "bluesky has %q", text)
		require.Empty(t, discordWith(f.discord, text), "discord has %q", text)
	}
}

// requireSuccess checks a platform's result is a success with the given post id, and
// returns it.
func requireSuccess(t *testing.T, p oapi.Post, platform, postID string) oapi.PlatformResult {
	t.Helper()
	r, ok := p.PlatformResults[platform]
	require.True(t, ok, "no %s result: %+v", platform, p.PlatformResults)
	require.True(t, r.Success, "%s failed: %s", platform, deref(r.Error))
	require.Nil(t, r.Error, platform)
	require.NotNil(t, r.PostId, platform)
	require.Equal(t, postID, *r.PostId, platform)
	require.NotNil(t, r.PostUrl, platform)
	require.NotEmpty(t, *r.PostUrl, platform)
	return r
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
