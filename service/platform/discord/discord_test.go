package discord_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/discord"
	"github.com/octopost/octopost/service/platform/fake"
)

type testBundle struct {
	fake    *fake.Discord
	adapter *discord.Adapter
	hook    string
	creds   platform.Credentials // as Connect returned them
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	f := fake.NewDiscord(t)
	a := discord.New(&http.Client{Timeout: 5 * time.Second}, f.WebhookBase())
	hook := f.Webhook()
	_, creds, err := a.Connect(context.Background(), platform.Credentials{"webhook_url": hook})
	require.NoError(t, err)
	return &testBundle{fake: f, adapter: a, hook: hook, creds: creds}
}

// token is the secret part of a webhook URL, which no error may show.
func token(hook string) string { return hook[strings.LastIndex(hook, "/")+1:] }

func requireKind(t *testing.T, err error, kind platform.Kind, status int, hook string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, err.Error())
	require.Equal(t, status, pe.Status)
	require.NotContains(t, err.Error(), token(hook))
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	f := fake.NewDiscord(t)
	a := discord.New(&http.Client{Timeout: 5 * time.Second}, f.WebhookBase())
	hook := f.Webhook()
	id := strings.Split(strings.TrimPrefix(hook, f.WebhookBase()), "/")[0]

	profile, creds, err := a.Connect(context.Background(), platform.Credentials{"webhook_url": hook})
	require.NoError(t, err)
	require.Equal(t, id, profile.UserID)
	require.NotEmpty(t, profile.Username)
	require.Equal(t, profile.Username, profile.DisplayName)
	require.Regexp(t, `^https://cdn\.discordapp\.com/avatars/`+id+`/[0-9a-f]{32}\.png$`, profile.AvatarURL)
	require.Equal(t, hook, creds["webhook_url"])
	require.Equal(t, "1100000000000000001", creds["guild_id"])
	require.Equal(t, "1100000000000000002", creds["channel_id"])
	require.Equal(t, 1, f.Calls(http.MethodGet))
}

func TestConnectRefusesWebhooks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	wrongToken := b.hook[:strings.LastIndex(b.hook, "/")+1] + "not-the-token"
	_, _, err := b.adapter.Connect(ctx, platform.Credentials{"webhook_url": wrongToken})
	pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized, wrongToken)
	require.Contains(t, pe.Message, "Invalid Webhook Token")

	b.fake.DeleteWebhook(b.hook)
	_, _, err = b.adapter.Connect(ctx, platform.Credentials{"webhook_url": b.hook})
	pe = requireKind(t, err, platform.InvalidCredentials, http.StatusNotFound, b.hook)
	require.Contains(t, pe.Message, "Unknown Webhook (code 10015)")
}

func TestConnectRefusesURLsOutsideTheBase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := b.fake.Calls(http.MethodGet)
	rest := strings.TrimPrefix(b.hook, b.fake.WebhookBase())
	for _, u := range []string{
		"",
		"https://evil.example/api/webhooks/" + rest,
		"https://discord.com/api/webhooks/" + rest, // the real Discord is not this adapter's base
		b.hook + "/../../other",
		b.hook + "?thread_id=1",
		b.fake.WebhookBase() + "abc/" + token(b.hook),
		b.fake.URL + "/api/webhooks",
	} {
		_, _, err := b.adapter.Connect(context.Background(), platform.Credentials{"webhook_url": u})
		requireKind(t, err, platform.InvalidCredentials, 0, b.hook)
	}
	require.Equal(t, before, b.fake.Calls(http.MethodGet), "no refused URL may be requested")

	def := discord.New(&http.Client{}, "")
	_, _, err := def.Connect(context.Background(), platform.Credentials{"webhook_url": b.hook})
	pe := requireKind(t, err, platform.InvalidCredentials, 0, b.hook)
	require.Contains(t, pe.Message, discord.DefaultBase)
}

func TestConnectTransientFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.FailNext(http.MethodGet, 1, http.StatusBadGateway)
	_, _, err := b.adapter.Connect(context.Background(), platform.Credentials{"webhook_url": b.hook})
	requireKind(t, err, platform.Transient, http.StatusBadGateway, b.hook)

	b.fake.RateLimitNext(1, 2*time.Second)
	_, _, err = b.adapter.Connect(context.Background(), platform.Credentials{"webhook_url": b.hook})
	pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.hook)
	require.Equal(t, 2*time.Second, pe.RetryAfter)
}

func TestPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref, newCreds, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text:           "Hello Discord",
		Images:         []platform.Image{{URL: "https://img.example/a.png", AltText: "a"}, {URL: "https://img.example/b.png"}},
		IdempotencyKey: "k1",
	})
	require.NoError(t, err)
	require.Nil(t, newCreds)
	msgs := b.fake.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.True(t, m.Wait, "the adapter must ask for the message with wait=true")
	require.Equal(t, "Hello Discord", m.Content)
	require.Equal(t, []string{"https://img.example/a.png", "https://img.example/b.png"}, m.ImageURLs)
	require.Equal(t, m.ID, ref.ID)
	require.Equal(t, "https://discord.com/channels/1100000000000000001/1100000000000000002/"+m.ID, ref.URL)
}

func TestPublishWithoutGuildLinksToMe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref, _, err := b.adapter.Publish(context.Background(), platform.Credentials{"webhook_url": b.hook}, platform.Post{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, "https://discord.com/channels/@me/1100000000000000002/"+ref.ID, ref.URL)
}

func TestPublishVideoAndThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	first, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "part 1", VideoURL: "https://video.example/v.mp4"})
	require.NoError(t, err)
	second, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "part 2", ReplyTo: &first, Root: &first})
	require.NoError(t, err)
	require.NotEqual(t, first.ID, second.ID)
	msgs := b.fake.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, "part 1\nhttps://video.example/v.mp4", msgs[0].Content)
	require.Equal(t, "part 2", msgs[1].Content, "a webhook cannot reply: the thread goes on as the next message")
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("content over 2000 is permanent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: strings.Repeat("a", 2001)})
		pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.hook)
		require.Equal(t, "discord: Invalid Form Body (code 50035): content: Must be 2000 or fewer in length.", pe.Message)
		require.Empty(t, b.fake.Messages())

		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: strings.Repeat("😀", 2000)})
		require.NoError(t, err, "Discord counts characters, not bytes")
	})
	t.Run("rate limit is transient with retry_after", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RateLimitNext(1, 1500*time.Millisecond)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.hook)
		require.Equal(t, 1500*time.Millisecond, pe.RetryAfter)
		require.Contains(t, pe.Message, "You are being rate limited.")
		require.Empty(t, b.fake.Messages())

		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		require.NoError(t, err, "the limit was for one request")
	})
	t.Run("deleted webhook rejects the token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.DeleteWebhook(b.hook)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, http.StatusNotFound, b.hook)
	})
	t.Run("wrong token rejects the token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := platform.Credentials{"webhook_url": b.hook[:strings.LastIndex(b.hook, "/")+1] + "wrong"}
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized, b.hook)
	})
	t.Run("URL outside the base rejects the token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, platform.Credentials{"webhook_url": "https://evil.example/x/1/" + token(b.hook)}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, 0, b.hook)
		require.Zero(t, b.fake.Calls(http.MethodPost))
	})
	t.Run("server errors are transient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, status := range []int{500, 502, 503, 504} {
			b.fake.FailNext(http.MethodPost, 1, status)
			_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
			requireKind(t, err, platform.Transient, status, b.hook)
		}
	})
	t.Run("other client errors are permanent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext(http.MethodPost, 1, http.StatusForbidden)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Permanent, http.StatusForbidden, b.hook)
		require.Contains(t, pe.Message, "Missing Permissions (code 50013)")
	})
	t.Run("too many images are refused before sending", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		imgs := make([]platform.Image, 11)
		for i := range imgs {
			imgs[i].URL = "https://img.example/x.png"
		}
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi", Images: imgs})
		requireKind(t, err, platform.Permanent, 0, b.hook)
		require.Zero(t, b.fake.Calls(http.MethodPost))
	})
}

func TestTransportErrorsHideTheWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetDelay(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "slow"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, platform.Transient, platform.KindOf(err))
	require.NotContains(t, err.Error(), token(b.hook))

	// Nothing listens on port 1: the connection is refused.
	base := "http://127.0.0.1:1/api/webhooks/"
	hook := base + "123/secret-token-value"
	a := discord.New(&http.Client{Timeout: 5 * time.Second}, base)
	_, _, err = a.Connect(context.Background(), platform.Credentials{"webhook_url": hook})
	require.Error(t, err)
	require.Equal(t, platform.Transient, platform.KindOf(err))
	require.Contains(t, err.Error(), "discord: request failed")
	require.NotContains(t, err.Error(), "secret-token-value")
}
