package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/slack"
)

const postMessage = "/api/chat.postMessage"

type testBundle struct {
	fake    *fake.Slack
	adapter *slack.Adapter
	channel string
	bot     platform.Credentials // as Connect returned them
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	f := fake.NewSlack(t)
	a := slack.New(&http.Client{Timeout: 5 * time.Second}, f.APIBase(), f.WebhookBase())
	ch := f.AddChannel("general")
	_, creds, err := a.Connect(context.Background(), platform.Credentials{"bot_token": f.Token, "channel": ch})
	require.NoError(t, err)
	return &testBundle{fake: f, adapter: a, channel: ch, bot: creds}
}

// requireKind checks a classified error, and that it shows none of the secrets.
func requireKind(t *testing.T, err error, kind platform.Kind, status int, secrets ...string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, err.Error())
	require.Equal(t, status, pe.Status, err.Error())
	for _, s := range secrets {
		require.NotContains(t, err.Error(), s)
	}
	return pe
}

// webhookSecret is the last part of a webhook URL, its credential.
func webhookSecret(u string) string { return u[strings.LastIndex(u, "/")+1:] }

func TestConnectBot(t *testing.T) {
	t.Parallel()
	f := fake.NewSlack(t)
	a := slack.New(&http.Client{Timeout: 5 * time.Second}, f.APIBase(), f.WebhookBase())
	ch := f.AddChannel("general")

	profile, creds, err := a.Connect(context.Background(), platform.Credentials{"bot_token": f.Token, "channel": ch})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{UserID: f.BotUserID, Username: f.BotUser, DisplayName: f.Team}, profile)
	require.Equal(t, platform.Credentials{
		"bot_token": f.Token, "channel": ch, "team_url": "https://octopost-test.slack.com/",
	}, creds)
	require.Equal(t, 1, f.Calls("/api/auth.test"))
	require.Equal(t, 1, f.Calls("/api/conversations.info"))
}

func TestConnectBotRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("channel name instead of id", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "channel": "#general"})
		pe := requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
		require.Contains(t, pe.Message, `channel "#general" not found`)
		require.Contains(t, pe.Message, "id")
	})
	t.Run("unknown channel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "channel": "C99999999"})
		pe := requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
		require.Contains(t, pe.Message, `"C99999999"`)
	})
	t.Run("archived channel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.ArchiveChannel(b.channel)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "channel": b.channel})
		pe := requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
		require.Contains(t, pe.Message, "archived")
	})
	t.Run("wrong token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": "xoxb-wrong-token", "channel": b.channel})
		pe := requireKind(t, err, platform.InvalidCredentials, 0, "xoxb-wrong-token")
		require.Equal(t, "slack: auth.test: invalid_auth", pe.Message)
	})
	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken()
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "channel": b.channel})
		requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
	})
	t.Run("malformed credentials", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, creds := range []platform.Credentials{
			{},
			{"bot_token": b.fake.Token},
			{"bot_token": "xoxb-has space\r\nX-Evil: 1", "channel": b.channel},
		} {
			_, _, err := b.adapter.Connect(ctx, creds)
			requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token, "has space")
		}
		require.Equal(t, 1, b.fake.Calls("/api/auth.test"), "only setup's Connect reached Slack")
	})
	t.Run("rate limited is transient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RateLimitNext("/api/auth.test", 1, 7*time.Second)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "channel": b.channel})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.fake.Token)
		require.Equal(t, 7*time.Second, pe.RetryAfter)
	})
	t.Run("server error is transient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/api/conversations.info", 1, http.StatusServiceUnavailable)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "channel": b.channel})
		requireKind(t, err, platform.Transient, http.StatusServiceUnavailable, b.fake.Token)
	})
}

func TestConnectBotWithoutChannelsRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.FailNextWith("/api/conversations.info", 1, "missing_scope")
	_, creds, err := b.adapter.Connect(context.Background(), platform.Credentials{"bot_token": b.fake.Token, "channel": b.channel})
	require.NoError(t, err, "a bot that may only post cannot read the channel; its first post checks it")
	require.Equal(t, b.channel, creds["channel"])
}

func TestConnectWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hook := b.fake.Webhook(b.channel)
	profile, creds, err := b.adapter.Connect(context.Background(), platform.Credentials{"webhook_url": hook})
	require.NoError(t, err)
	require.Equal(t, platform.Credentials{"webhook_url": hook}, creds)
	require.True(t, strings.HasPrefix(profile.UserID, b.fake.TeamID+"/B"), profile.UserID)
	require.NotContains(t, profile.UserID, webhookSecret(hook))
	require.NotEmpty(t, profile.Username)
	require.Empty(t, b.fake.Messages(), "checking a webhook must not post to it")
}

func TestConnectWebhookRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)

	removed := b.fake.Webhook(b.channel)
	b.fake.RemoveWebhook(removed)
	_, _, err := b.adapter.Connect(ctx, platform.Credentials{"webhook_url": removed})
	pe := requireKind(t, err, platform.InvalidCredentials, http.StatusNotFound, webhookSecret(removed))
	require.Contains(t, pe.Message, "no_service")

	valid := b.fake.Webhook(b.channel)
	wrong := valid[:strings.LastIndex(valid, "/")+1] + "WRONGSECRET"
	_, _, err = b.adapter.Connect(ctx, platform.Credentials{"webhook_url": wrong})
	pe = requireKind(t, err, platform.InvalidCredentials, http.StatusForbidden, "WRONGSECRET")
	require.Contains(t, pe.Message, "invalid_token")

	archived := b.fake.AddChannel("old")
	hook := b.fake.Webhook(archived)
	b.fake.ArchiveChannel(archived)
	_, _, err = b.adapter.Connect(ctx, platform.Credentials{"webhook_url": hook})
	pe = requireKind(t, err, platform.InvalidCredentials, http.StatusGone, webhookSecret(hook))
	require.Contains(t, pe.Message, "channel_is_archived")

	calls := b.fake.Calls("")
	for _, u := range []string{
		"https://hooks.slack.com/services/T0/B0/" + webhookSecret(valid), // not this adapter's base
		"https://evil.example/services/T0/B0/" + webhookSecret(valid),
		valid + "/../../api/auth.test",
		valid + "?x=1",
	} {
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"webhook_url": u})
		requireKind(t, err, platform.InvalidCredentials, 0, webhookSecret(valid))
	}
	require.Equal(t, calls, b.fake.Calls(""))

	b.fake.FailNext("", 1, http.StatusBadGateway)
	_, _, err = b.adapter.Connect(ctx, platform.Credentials{"webhook_url": valid})
	requireKind(t, err, platform.Transient, http.StatusBadGateway, webhookSecret(valid))
}

func TestPublishBot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref, newCreds, err := b.adapter.Publish(context.Background(), b.bot, platform.Post{
		Text:     "Hello Slack",
		Images:   []platform.Image{{URL: "https://img.example/a.png", AltText: "a cat"}},
		VideoURL: "https://video.example/v.mp4",
	})
	require.NoError(t, err)
	require.Nil(t, newCreds)
	msgs := b.fake.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, fake.SlackMessage{
		Channel: b.channel, TS: msgs[0].TS, Text: "Hello Slack\nhttps://video.example/v.mp4",
		ImageURLs: []string{"https://img.example/a.png"},
	}, msgs[0])
	require.Equal(t, msgs[0].TS, ref.ID)
	require.Equal(t, "https://octopost-test.slack.com/archives/"+b.channel+"/p"+strings.Replace(ref.ID, ".", "", 1), ref.URL)
}

func TestPublishBotThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	root, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "1/3"})
	require.NoError(t, err)
	second, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "2/3", ReplyTo: &root, Root: &root})
	require.NoError(t, err)
	third, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "3/3", ReplyTo: &second, Root: &root})
	require.NoError(t, err)

	msgs := b.fake.Messages()
	require.Len(t, msgs, 3)
	require.Empty(t, msgs[0].ThreadTS)
	require.Equal(t, root.ID, msgs[1].ThreadTS)
	require.Equal(t, root.ID, msgs[2].ThreadTS, "every reply hangs off the first message")
	require.Contains(t, third.URL, "?thread_ts="+root.ID+"&cid="+b.channel)

	// Without Root, the post replied to is taken as the thread's root.
	_, _, err = b.adapter.Publish(ctx, b.bot, platform.Post{Text: "reply", ReplyTo: &root})
	require.NoError(t, err)
	require.Equal(t, root.ID, b.fake.Messages()[3].ThreadTS)
}

func TestPublishBotErrorCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		kind platform.Kind
	}{
		{"invalid_auth", platform.TokenRejected},
		{"token_revoked", platform.TokenRejected},
		{"account_inactive", platform.TokenRejected},
		{"not_authed", platform.TokenRejected},
		{"ratelimited", platform.Transient},
		{"msg_too_long", platform.Permanent},
		{"no_text", platform.Permanent},
		{"channel_not_found", platform.Permanent},
		{"not_in_channel", platform.Permanent},
		{"is_archived", platform.Permanent},
		{"internal_error", platform.Transient},
		{"fatal_error", platform.Transient},
		{"service_unavailable", platform.Transient},
		{"request_timeout", platform.Transient},
		{"a_code_slack_added_later", platform.Permanent},
	}
	b := setup(t)
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			// Sequential: the failures are injected into one fake.
			b.fake.FailNextWith(postMessage, 1, tc.code)
			_, _, err := b.adapter.Publish(context.Background(), b.bot, platform.Post{Text: "hi"})
			pe := requireKind(t, err, tc.kind, 0, b.fake.Token)
			require.Equal(t, "slack: chat.postMessage: "+tc.code, pe.Message, "Slack said HTTP 200; the code is the error")
		})
	}
	require.Empty(t, b.fake.Messages())
}

func TestPublishBotErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("text over 40000", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: strings.Repeat("a", 40001)})
		pe := requireKind(t, err, platform.Permanent, 0)
		require.Contains(t, pe.Message, "msg_too_long")
		_, _, err = b.adapter.Publish(ctx, b.bot, platform.Post{Text: strings.Repeat("😀", 40000)})
		require.NoError(t, err)
	})
	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken()
		_, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, 0, b.fake.Token)
	})
	t.Run("bot removed from channel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RemoveBot(b.channel)
		_, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Permanent, 0)
		require.Contains(t, pe.Message, "not_in_channel")
	})
	t.Run("archived channel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.ArchiveChannel(b.channel)
		_, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Permanent, 0)
	})
	t.Run("HTTP 429 with Retry-After", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RateLimitNext(postMessage, 1, 3*time.Second)
		_, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests)
		require.Equal(t, 3*time.Second, pe.RetryAfter)
	})
	t.Run("HTTP 5xx without JSON", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext(postMessage, 1, http.StatusServiceUnavailable)
		_, _, err := b.adapter.Publish(ctx, b.bot, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Transient, http.StatusServiceUnavailable)
	})
	t.Run("credentials without a token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, platform.Credentials{"channel": b.channel}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, 0)
	})
}

func TestPublishWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hook := b.fake.Webhook(b.channel)
	creds := platform.Credentials{"webhook_url": hook}
	ctx := context.Background()

	ref, newCreds, err := b.adapter.Publish(ctx, creds, platform.Post{
		Text: "via webhook", Images: []platform.Image{{URL: "https://img.example/a.png"}}, IdempotencyKey: "post1:slack:0",
	})
	require.NoError(t, err)
	require.Nil(t, newCreds)
	require.Equal(t, platform.Ref{ID: "webhook:post1:slack:0"}, ref, "a webhook returns no id, so the ref is synthetic and has no URL")

	root := ref
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "next", ReplyTo: &root, Root: &root, IdempotencyKey: "post1:slack:1"})
	require.NoError(t, err)

	msgs := b.fake.Messages()
	require.Len(t, msgs, 2)
	require.True(t, msgs[0].Webhook)
	require.Equal(t, "via webhook", msgs[0].Text)
	require.Equal(t, []string{"https://img.example/a.png"}, msgs[0].ImageURLs)
	require.Empty(t, msgs[1].ThreadTS, "a webhook thread goes out as consecutive messages")
}

func TestPublishWebhookErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	hook := b.fake.Webhook(b.channel)
	creds := platform.Credentials{"webhook_url": hook}
	secret := webhookSecret(hook)

	_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: strings.Repeat("a", 40001)})
	pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, secret)
	require.Contains(t, pe.Message, "msg_too_long")

	b.fake.RateLimitNext("", 1, 2*time.Second)
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "hi"})
	pe = requireKind(t, err, platform.Transient, http.StatusTooManyRequests, secret)
	require.Equal(t, 2*time.Second, pe.RetryAfter)

	b.fake.FailNext("", 1, http.StatusInternalServerError)
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Transient, http.StatusInternalServerError, secret)

	b.fake.FailNextWith("", 1, "invalid_token")
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.TokenRejected, http.StatusForbidden, secret)

	b.fake.FailNextWith("", 1, "action_prohibited")
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, http.StatusForbidden, secret)

	archivedCh := b.fake.AddChannel("archive-me")
	archivedHook := b.fake.Webhook(archivedCh)
	b.fake.ArchiveChannel(archivedCh)
	_, _, err = b.adapter.Publish(ctx, platform.Credentials{"webhook_url": archivedHook}, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, http.StatusGone, webhookSecret(archivedHook))

	b.fake.RemoveWebhook(hook)
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "hi"})
	pe = requireKind(t, err, platform.TokenRejected, http.StatusNotFound, secret)
	require.Contains(t, pe.Message, "no_service")

	require.Empty(t, b.fake.Messages())
}

func TestTransportErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hook := b.fake.Webhook(b.channel)
	b.fake.SetDelay(2 * time.Second)
	for _, creds := range []platform.Credentials{b.bot, {"webhook_url": hook}} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "slow"})
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, platform.Transient, platform.KindOf(err))
		require.NotContains(t, err.Error(), webhookSecret(hook))
		require.NotContains(t, err.Error(), b.fake.Token)
	}

	// Nothing listens on port 1: the connection is refused.
	a := slack.New(&http.Client{Timeout: 5 * time.Second}, "http://127.0.0.1:1/api", "http://127.0.0.1:1/")
	for _, creds := range []platform.Credentials{
		{"webhook_url": "http://127.0.0.1:1/services/T1/B1/SECRETSECRET"},
		{"bot_token": "xoxb-secret-token", "channel": "C1"},
	} {
		_, _, err := a.Publish(context.Background(), creds, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Transient, 0, "SECRETSECRET", "xoxb-secret-token")
		require.Contains(t, err.Error(), "slack: request failed")
	}
}
