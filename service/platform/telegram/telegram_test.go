package telegram_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/telegram"
)

const (
	channelID = -1001234567890 // a public channel
	groupID   = -1009876543210 // a private supergroup
)

type testBundle struct {
	fake    *fake.Telegram
	adapter *telegram.Adapter
	channel platform.Credentials
	group   platform.Credentials
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	f := fake.NewTelegram(t)
	f.AddChat(fake.TelegramChat{ID: channelID, Type: "channel", Title: "Octopost News", Username: "octopost_news"})
	f.AddChat(fake.TelegramChat{ID: groupID, Type: "supergroup", Title: "Team room"})
	return &testBundle{
		fake:    f,
		adapter: telegram.New(&http.Client{Timeout: 5 * time.Second}, f.URL),
		channel: platform.Credentials{"bot_token": f.Token, "chat_id": "-1001234567890"},
		group:   platform.Credentials{"bot_token": f.Token, "chat_id": "-1009876543210"},
	}
}

// requireKind checks a classified error, and that the bot token is nowhere in it.
func requireKind(t *testing.T, err error, kind platform.Kind, status int, token string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, err.Error())
	require.Equal(t, status, pe.Status, err.Error())
	requireNoToken(t, err, token)
	return pe
}

func requireNoToken(t *testing.T, err error, token string) {
	t.Helper()
	_, secret, _ := strings.Cut(token, ":")
	require.NotContains(t, err.Error(), token)
	require.NotContains(t, err.Error(), secret)
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	profile, creds, err := b.adapter.Connect(ctx, b.channel)
	require.NoError(t, err)
	require.Equal(t, platform.Profile{UserID: "-1001234567890", Username: "octopost_news", DisplayName: "Octopost News"}, profile)
	require.Equal(t, b.channel, creds)

	_, creds, err = b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "chat_id": "@octopost_news"})
	require.NoError(t, err)
	require.Equal(t, "-1001234567890", creds["chat_id"], "the numeric id survives a change of @username")

	profile, _, err = b.adapter.Connect(ctx, b.group)
	require.NoError(t, err)
	require.Equal(t, platform.Profile{UserID: "-1009876543210", Username: b.fake.BotUsername, DisplayName: "Team room"}, profile)

	b.fake.AddChat(fake.TelegramChat{ID: 424242, Type: "private", FirstName: "Ada"})
	profile, _, err = b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "chat_id": "424242"})
	require.NoError(t, err)
	require.Equal(t, "Ada", profile.DisplayName)
}

func TestConnectRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("chat not found", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": b.fake.Token, "chat_id": "-100555"})
		pe := requireKind(t, err, platform.InvalidCredentials, http.StatusBadRequest, b.fake.Token)
		require.Contains(t, pe.Message, `"-100555"`)
		require.Contains(t, pe.Message, "Bad Request: chat not found")
	})
	t.Run("wrong token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		wrong := "7012345678:AAHwrongTokenForTests_000000000000000"
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{"bot_token": wrong, "chat_id": "-1001234567890"})
		pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized, wrong)
		require.Contains(t, pe.Message, "Unauthorized")
	})
	t.Run("bot kicked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.KickBot(groupID)
		_, _, err := b.adapter.Connect(ctx, b.group)
		pe := requireKind(t, err, platform.InvalidCredentials, http.StatusForbidden, b.fake.Token)
		require.Contains(t, pe.Message, "Forbidden: bot was kicked from the group chat")
	})
	t.Run("malformed credentials are refused without a request", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, creds := range []platform.Credentials{
			{},
			{"bot_token": b.fake.Token},
			{"chat_id": "-1001234567890"},
			{"bot_token": "7012345678:AAH/../../evil?x=", "chat_id": "1"},
			{"bot_token": "no-colon-token", "chat_id": "1"},
			{"bot_token": b.fake.Token, "chat_id": "1&text=injected"},
		} {
			_, _, err := b.adapter.Connect(ctx, creds)
			requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
			require.NotContains(t, err.Error(), "AAH/../../evil")
		}
		require.Zero(t, b.fake.Calls(""))
		require.Zero(t, b.fake.Calls("getMe"))
	})
	t.Run("rate limited is transient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RateLimitNext("getMe", 1, 9)
		_, _, err := b.adapter.Connect(ctx, b.channel)
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.fake.Token)
		require.Equal(t, 9*time.Second, pe.RetryAfter)
	})
	t.Run("server error is transient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("getChat", 1, http.StatusBadGateway)
		_, _, err := b.adapter.Connect(ctx, b.channel)
		requireKind(t, err, platform.Transient, http.StatusBadGateway, b.fake.Token)
	})
}

func TestConnectMigratedGroup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.AddChat(fake.TelegramChat{ID: -4001, Type: "group", Title: "Small group"})
	b.fake.MigrateChat(-4001, -1004001)
	profile, creds, err := b.adapter.Connect(context.Background(), platform.Credentials{"bot_token": b.fake.Token, "chat_id": "-4001"})
	require.NoError(t, err)
	require.Equal(t, "-1004001", profile.UserID)
	require.Equal(t, "-1004001", creds["chat_id"])
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	ref, newCreds, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "Hello Telegram"})
	require.NoError(t, err)
	require.Nil(t, newCreds)
	require.Equal(t, platform.Ref{ID: "1", URL: "https://t.me/octopost_news/1"}, ref)

	ref, _, err = b.adapter.Publish(ctx, b.group, platform.Post{Text: "Hello team"})
	require.NoError(t, err)
	require.Equal(t, platform.Ref{ID: "1"}, ref, "a chat without a public username has no public link")

	require.Equal(t, []fake.TelegramMessage{
		{ChatID: channelID, MessageID: 1, Method: "sendMessage", Text: "Hello Telegram"},
		{ChatID: groupID, MessageID: 1, Method: "sendMessage", Text: "Hello team"},
	}, b.fake.Messages())
}

func TestPublishMedia(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	ref, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "one photo", Images: []platform.Image{{URL: "https://img.example/a.png"}}})
	require.NoError(t, err)
	require.Equal(t, "1", ref.ID)

	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: "a video", VideoURL: "https://video.example/v.mp4"})
	require.NoError(t, err)

	ref, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{
		Text:     "an album",
		Images:   []platform.Image{{URL: "https://img.example/b.png"}, {URL: "https://img.example/c.png"}},
		VideoURL: "https://video.example/w.mp4",
	})
	require.NoError(t, err)
	require.Equal(t, platform.Ref{ID: "3", URL: "https://t.me/octopost_news/3"}, ref, "an album is linked by its first message")

	msgs := b.fake.Messages()
	require.Len(t, msgs, 5)
	require.Equal(t, fake.TelegramMessage{ChatID: channelID, MessageID: 1, Method: "sendPhoto", Caption: "one photo", Photo: "https://img.example/a.png"}, msgs[0])
	require.Equal(t, fake.TelegramMessage{ChatID: channelID, MessageID: 2, Method: "sendVideo", Caption: "a video", Video: "https://video.example/v.mp4"}, msgs[1])
	group := msgs[2].MediaGroupID
	require.NotEmpty(t, group)
	require.Equal(t, fake.TelegramMessage{ChatID: channelID, MessageID: 3, Method: "sendMediaGroup", Caption: "an album", Photo: "https://img.example/b.png", MediaGroupID: group}, msgs[2])
	require.Equal(t, fake.TelegramMessage{ChatID: channelID, MessageID: 4, Method: "sendMediaGroup", Photo: "https://img.example/c.png", MediaGroupID: group}, msgs[3])
	require.Equal(t, fake.TelegramMessage{ChatID: channelID, MessageID: 5, Method: "sendMediaGroup", Video: "https://video.example/w.mp4", MediaGroupID: group}, msgs[4])

	imgs := make([]platform.Image, 11)
	for i := range imgs {
		imgs[i].URL = "https://img.example/x.png"
	}
	calls := b.fake.Calls("sendMediaGroup")
	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: "too many", Images: imgs})
	requireKind(t, err, platform.Permanent, 0, b.fake.Token)
	require.Equal(t, calls, b.fake.Calls("sendMediaGroup"))
}

func TestPublishThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	first, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "1/3"})
	require.NoError(t, err)
	second, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "2/3", ReplyTo: &first, Root: &first})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: "3/3", Images: []platform.Image{{URL: "https://img.example/a.png"}}, ReplyTo: &second, Root: &first})
	require.NoError(t, err)

	msgs := b.fake.Messages()
	require.Len(t, msgs, 3)
	require.Zero(t, msgs[0].ReplyTo)
	require.EqualValues(t, 1, msgs[1].ReplyTo)
	require.EqualValues(t, 2, msgs[2].ReplyTo, "each post replies to the one before")

	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: "orphan", ReplyTo: &platform.Ref{ID: "999"}})
	pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
	require.Equal(t, "telegram: sendMessage: Bad Request: message to be replied not found", pe.Message)

	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: "bad ref", ReplyTo: &platform.Ref{ID: "at://not-telegram"}})
	requireKind(t, err, platform.Permanent, 0, b.fake.Token)
}

func TestPublishLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: strings.Repeat("😀", 2048)})
	require.NoError(t, err, "4096 UTF-16 code units is the limit")
	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: strings.Repeat("a", 4097)})
	pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
	require.Equal(t, "telegram: sendMessage: Bad Request: message is too long", pe.Message)

	img := []platform.Image{{URL: "https://img.example/a.png"}}
	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: strings.Repeat("a", 1024), Images: img})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: strings.Repeat("a", 1025), Images: img})
	pe = requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
	require.Equal(t, "telegram: sendPhoto: Bad Request: message caption is too long", pe.Message)

	_, _, err = b.adapter.Publish(ctx, b.channel, platform.Post{Text: "  "})
	pe = requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
	require.Contains(t, pe.Message, "message text is empty")
	require.Len(t, b.fake.Messages(), 2)
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("revoked token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken()
		_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized, b.fake.Token)
		require.Equal(t, "telegram: sendMessage: Unauthorized", pe.Message)
	})
	t.Run("bot kicked or blocked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.KickBot(channelID)
		_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.TokenRejected, http.StatusForbidden, b.fake.Token)
		require.Contains(t, pe.Message, "Forbidden: bot is not a member of the channel chat")

		b.fake.AddChat(fake.TelegramChat{ID: 77, Type: "private", FirstName: "Bob"})
		b.fake.KickBot(77)
		_, _, err = b.adapter.Publish(ctx, platform.Credentials{"bot_token": b.fake.Token, "chat_id": "77"}, platform.Post{Text: "hi"})
		pe = requireKind(t, err, platform.TokenRejected, http.StatusForbidden, b.fake.Token)
		require.Contains(t, pe.Message, "Forbidden: bot was blocked by the user")
	})
	t.Run("rate limited with retry_after", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RateLimitNext("sendMessage", 1, 5)
		_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.fake.Token)
		require.Equal(t, 5*time.Second, pe.RetryAfter)
		require.Equal(t, "telegram: sendMessage: Too Many Requests: retry after 5", pe.Message)
	})
	t.Run("bad request is permanent with Telegram's description", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNextWith("sendMessage", 1, http.StatusBadRequest, "Bad Request: can't parse entities")
		_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
		require.Equal(t, "telegram: sendMessage: Bad Request: can't parse entities", pe.Message)
	})
	t.Run("server errors are transient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, status := range []int{500, 502, 503, 504} {
			b.fake.FailNext("sendMessage", 1, status)
			_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "hi"})
			requireKind(t, err, platform.Transient, status, b.fake.Token)
		}
		require.Empty(t, b.fake.Messages())
	})
	t.Run("credentials without a token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, platform.Credentials{"chat_id": "1"}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, 0, b.fake.Token)
	})
}

func TestPublishFollowsSupergroupMigration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.AddChat(fake.TelegramChat{ID: -4002, Type: "group", Title: "Growing group"})
	b.fake.MigrateChat(-4002, -1004002)
	creds := platform.Credentials{"bot_token": b.fake.Token, "chat_id": "-4002"}

	ref, newCreds, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "hi"})
	require.NoError(t, err)
	require.Equal(t, "1", ref.ID)
	require.Equal(t, platform.Credentials{"bot_token": b.fake.Token, "chat_id": "-1004002"}, newCreds)
	require.Equal(t, "-4002", creds["chat_id"], "the caller's credentials are not modified")
	msgs := b.fake.Messages()
	require.Len(t, msgs, 1)
	require.EqualValues(t, -1004002, msgs[0].ChatID)
}

func TestTransportErrorsHideTheToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetDelay(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := b.adapter.Publish(ctx, b.channel, platform.Post{Text: "slow"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, platform.Transient, platform.KindOf(err))
	requireNoToken(t, err, b.fake.Token)

	// A client timeout (not the caller's context) is a timeout too.
	slow := telegram.New(&http.Client{Timeout: 50 * time.Millisecond}, b.fake.URL)
	_, _, err = slow.Connect(context.Background(), b.channel)
	pe := requireKind(t, err, platform.Transient, 0, b.fake.Token)
	require.Equal(t, "telegram: request failed: timeout", pe.Message)

	// Nothing listens on port 1: the connection is refused.
	refused := telegram.New(&http.Client{Timeout: 5 * time.Second}, "http://127.0.0.1:1")
	_, _, err = refused.Publish(context.Background(), b.channel, platform.Post{Text: "hi"})
	pe = requireKind(t, err, platform.Transient, 0, b.fake.Token)
	require.True(t, strings.HasPrefix(pe.Message, "telegram: request failed: "), pe.Message)
	require.NotContains(t, pe.Message, "/bot")
}
