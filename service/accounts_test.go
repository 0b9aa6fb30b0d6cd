package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// fakeAdapter is a platform that accepts or refuses credentials as the test says, and
// remembers what it was given.
type fakeAdapter struct {
	mu      sync.Mutex
	profile platform.Profile
	err     error
	hang    bool // never answers: Connect returns when its context ends, as a real adapter's call does
	calls   []platform.Credentials
}

func (f *fakeAdapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, creds)
	if f.hang {
		<-ctx.Done()
		return platform.Profile{}, nil, platform.TransportError(ctx, "mastodon", ctx.Err())
	}
	if f.err != nil {
		return platform.Profile{}, nil, f.err
	}
	// Like Bluesky's adapter, keep more than was given: a session.
	stored := platform.Credentials{"session": "session-from-connect"}
	for k, v := range creds {
		stored[k] = v
	}
	return f.profile, stored, nil
}

func (f *fakeAdapter) Publish(context.Context, platform.Credentials, platform.Post) (platform.Ref, platform.Credentials, error) {
	return platform.Ref{}, nil, errors.New("fakeAdapter only connects")
}

func (f *fakeAdapter) connects() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// renderer renders accounts the way the API does in spirit; the api package's own
// renderer is tested against the contract there.
type renderer struct{}

func (renderer) Account(a service.Account) any {
	return map[string]any{"id": a.ID, "platform": a.Platform, "username": a.Username, "is_active": a.IsActive}
}

func (renderer) Post(p service.Post) any { return map[string]any{"id": p.ID} }

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

type testBundle struct {
	ctx      context.Context
	store    *db.DB
	svc      *service.Service
	clock    *clock
	box      *secretbox.Box
	adapters map[service.Platform]*fakeAdapter
	live     service.Scope
	test     service.Scope
	other    service.Scope
}

func setup(t *testing.T, configure ...func(*service.Config)) *testBundle {
	t.Helper()
	ctx := t.Context()
	d := newTestDB(t)

	box := newTestBox(t)
	b := &testBundle{
		ctx: ctx, store: d, box: box,
		clock:    &clock{now: time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)},
		adapters: map[service.Platform]*fakeAdapter{},
	}
	config := service.Config{Platforms: platforms.All, Adapters: map[service.Platform]platform.Adapter{}, Secrets: box, Render: renderer{}}
	for _, p := range []service.Platform{"mastodon", "bluesky", "discord", "slack", "telegram"} {
		a := &fakeAdapter{profile: platform.Profile{
			UserID: "1090", Username: "alice", DisplayName: "Alice", AvatarURL: "https://cdn.example/alice.png",
		}}
		b.adapters[p] = a
		config.Adapters[p] = a
	}
	for _, c := range configure {
		c(&config)
	}
	b.svc = service.New(d, b.clock, nil, config)

	user, err := b.svc.CreateUser(ctx, "owner@example.com", "")
	require.NoError(t, err)
	other, err := b.svc.CreateUser(ctx, "other@example.com", "")
	require.NoError(t, err)
	b.live = service.Scope{UserID: user.ID, Mode: service.ModeLive}
	b.test = service.Scope{UserID: user.ID, Mode: service.ModeTest}
	b.other = service.Scope{UserID: other.ID, Mode: service.ModeLive}
	return b
}

var mastodonInput = service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
	"instance_url": "https://mastodon.example", "access_token": "mastodon-token-s3cr3t",
}}

// requireFields checks that err is a validation error naming exactly these fields, in order.
func requireFields(t *testing.T, err error, fields ...string) []service.FieldError {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindValidation, se.Kind, "%v", err)
	var got []string
	for _, f := range se.Fields {
		got = append(got, f.Field)
		require.NotEmpty(t, f.Message)
	}
	require.Equal(t, fields, got, "%v", err)
	return se.Fields
}

func (b *testBundle) requireEvents(t *testing.T, sc service.Scope, want ...string) []service.Event {
	t.Helper()
	events, err := b.store.ListEvents(b.ctx, sc)
	require.NoError(t, err)
	var got []string
	for _, e := range events {
		got = append(got, string(e.Type))
	}
	require.Equal(t, want, got)
	return events
}

func (b *testBundle) requireNoAccounts(t *testing.T, sc service.Scope) {
	t.Helper()
	list, err := b.svc.ListAccounts(b.ctx, sc)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestConnectLiveAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)

	a, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)
	require.Regexp(t, `^acc_[0-9A-Z]{26}$`, a.ID)
	require.Equal(t, b.live, a.Scope)
	require.Equal(t, service.Platform("mastodon"), a.Platform)
	require.Equal(t, "1090", a.PlatformUserID)
	require.Equal(t, "alice", a.Username)
	require.Equal(t, "Alice", a.DisplayName)
	require.Equal(t, new("https://cdn.example/alice.png"), a.AvatarURL)
	require.True(t, a.IsActive)
	require.Equal(t, b.clock.now, a.ConnectedAt)
	require.Nil(t, a.LastUsedAt)
	require.Empty(t, a.Simulate)
	require.NotContains(t, string(a.Credentials), "s3cr3t", "sealed, not in the clear")

	require.Equal(t, []platform.Credentials{mastodonInput.Credentials}, b.adapters["mastodon"].calls)

	stored, err := b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, stored)
	creds, err := b.svc.AccountCredentials(b.ctx, stored)
	require.NoError(t, err)
	require.Equal(t, platform.Credentials{
		"instance_url": "https://mastodon.example", "access_token": "mastodon-token-s3cr3t", "session": "session-from-connect",
	}, creds, "what the adapter returned is what is stored")

	events := b.requireEvents(t, b.live, "account.connected")
	require.JSONEq(t, `{"account": {"id": "`+a.ID+`", "platform": "mastodon", "username": "alice", "is_active": true}}`, string(events[0].Data))
	require.Equal(t, b.clock.now, events[0].CreatedAt)
	require.Regexp(t, `^evt_`, events[0].ID)
	b.requireEvents(t, b.test)
}

func TestConnectLiveAccountWithoutAvatar(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.adapters["discord"].profile = platform.Profile{UserID: "1234", Username: "Octopost hook", DisplayName: "Octopost hook"}

	a, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "discord", Credentials: platform.Credentials{
		"webhook_url": "https://discord.com/api/webhooks/1234/token",
	}})
	require.NoError(t, err)
	require.Nil(t, a.AvatarURL)
}

func TestConnectLiveValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, tc := range map[string]struct {
		in     service.AccountInput
		fields []string
	}{
		"mastodon without credentials": {service.AccountInput{Platform: "mastodon"}, []string{"/instance_url", "/access_token"}},
		"mastodon without token": {service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
			"instance_url": "https://mastodon.example",
		}}, []string{"/access_token"}},
		"mastodon with an empty token": {service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
			"instance_url": "https://mastodon.example", "access_token": "",
		}}, []string{"/access_token"}},
		"mastodon with other platforms' fields": {service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
			"instance_url": "https://mastodon.example", "access_token": "t", "bot_token": "b", "identifier": "i",
		}}, []string{"/identifier", "/bot_token"}},
		"bluesky without password": {service.AccountInput{Platform: "bluesky", Credentials: platform.Credentials{
			"identifier": "alice.bsky.social",
		}}, []string{"/app_password"}},
		"bluesky with a webhook": {service.AccountInput{Platform: "bluesky", Credentials: platform.Credentials{
			"identifier": "alice.bsky.social", "app_password": "p", "webhook_url": "https://x.example",
		}}, []string{"/webhook_url"}},
		"discord without webhook":   {service.AccountInput{Platform: "discord"}, []string{"/webhook_url"}},
		"slack without anything":    {service.AccountInput{Platform: "slack"}, []string{"/webhook_url"}},
		"slack bot without channel": {service.AccountInput{Platform: "slack", Credentials: platform.Credentials{"bot_token": "xoxb"}}, []string{"/channel"}},
		"slack channel without bot": {service.AccountInput{Platform: "slack", Credentials: platform.Credentials{"channel": "C1"}}, []string{"/bot_token"}},
		"slack webhook and bot": {service.AccountInput{Platform: "slack", Credentials: platform.Credentials{
			"webhook_url": "https://hooks.slack.com/services/T/B/X", "bot_token": "xoxb", "channel": "C1",
		}}, []string{"/bot_token", "/channel"}},
		"telegram without chat": {service.AccountInput{Platform: "telegram", Credentials: platform.Credentials{"bot_token": "1:AA"}}, []string{"/chat_id"}},
		"telegram with a channel": {service.AccountInput{Platform: "telegram", Credentials: platform.Credentials{
			"bot_token": "1:AA", "chat_id": "42", "channel": "C1",
		}}, []string{"/channel"}},
		"simulate in live mode":        {service.AccountInput{Platform: "mastodon", Simulate: "none", Credentials: mastodonInput.Credentials}, []string{"/simulate"}},
		"oauth platform":               {service.AccountInput{Platform: "twitter"}, []string{"/platform"}},
		"oauth platform with simulate": {service.AccountInput{Platform: "youtube", Simulate: "rate_limited"}, []string{"/simulate", "/platform"}},
		"unknown platform":             {service.AccountInput{Platform: "myspace"}, []string{"/platform"}},
		"plain http instance": {service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
			"instance_url": "http://mastodon.example", "access_token": "t",
		}}, []string{"/instance_url"}},
		"relative instance": {service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
			"instance_url": "mastodon.example", "access_token": "t",
		}}, []string{"/instance_url"}},
		"webhook with credentials in it": {service.AccountInput{Platform: "discord", Credentials: platform.Credentials{
			"webhook_url": "https://user:pass@discord.com/api/webhooks/1/x",
		}}, []string{"/webhook_url"}},
		"ftp service url": {service.AccountInput{Platform: "bluesky", Credentials: platform.Credentials{
			"identifier": "alice", "app_password": "p", "service_url": "ftp://pds.example",
		}}, []string{"/service_url"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := b.svc.ConnectAccount(b.ctx, b.live, tc.in)
			requireFields(t, err, tc.fields...)
		})
	}
	for p, a := range b.adapters {
		require.Zero(t, a.connects(), "%s: nothing invalid reaches the platform", p)
	}
	b.requireNoAccounts(t, b.live)
	b.requireEvents(t, b.live)
}

func TestConnectLiveMessages(t *testing.T) {
	t.Parallel()
	b := setup(t)

	_, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "linkedin"})
	fields := requireFields(t, err, "/platform")
	require.Equal(t, "linkedin accounts connect through OAuth, with POST /v1/accounts/connect; "+
		"with credentials you can connect bluesky, mastodon, discord, slack, telegram", fields[0].Message)

	_, err = b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": "https://mastodon.example", "chat_id": "1",
	}})
	fields = requireFields(t, err, "/access_token", "/chat_id")
	require.Equal(t, "is required: mastodon takes instance_url and access_token", fields[0].Message)
	require.Equal(t, "is not used by mastodon, which takes instance_url and access_token", fields[1].Message)

	_, err = b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "slack"})
	fields = requireFields(t, err, "/webhook_url")
	require.Equal(t, "is required: slack takes either webhook_url, or bot_token and channel", fields[0].Message)
}

func TestConnectLiveSlackBot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := service.AccountInput{Platform: "slack", Credentials: platform.Credentials{"bot_token": "xoxb-1", "channel": "C0123"}}
	_, err := b.svc.ConnectAccount(b.ctx, b.live, in)
	require.NoError(t, err)
	require.Equal(t, []platform.Credentials{in.Credentials}, b.adapters["slack"].calls)
}

func TestConnectLiveHTTPForDevelopment(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *service.Config) { c.AllowInsecurePlatformURLs = true })
	_, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": "http://127.0.0.1:9999", "access_token": "t",
	}})
	require.NoError(t, err)

	_, err = b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": "ftp://127.0.0.1:9999", "access_token": "t",
	}})
	requireFields(t, err, "/instance_url")
}

func TestConnectLiveVerificationFails(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		platform service.Platform
		creds    platform.Credentials
		err      error
		field    string
		message  string
	}{
		"mastodon refuses the token": {
			"mastodon", mastodonInput.Credentials,
			platform.Errorf(platform.InvalidCredentials, 401, "The access token is invalid"),
			"/access_token", "was refused by mastodon: The access token is invalid (HTTP 401)",
		},
		"mastodon instance is not mastodon": {
			"mastodon", mastodonInput.Credentials,
			platform.Errorf(platform.Permanent, 404, "no Mastodon API at this address"),
			"/instance_url", "could not be verified: mastodon refused the request: no Mastodon API at this address (HTTP 404)",
		},
		"mastodon instance is down": {
			"mastodon", mastodonInput.Credentials,
			platform.Errorf(platform.Transient, 503, "the instance is unavailable"),
			"/instance_url", "could not be verified: mastodon did not answer (the instance is unavailable (HTTP 503)); try again later",
		},
		"bluesky refuses the password": {
			"bluesky", platform.Credentials{"identifier": "alice.bsky.social", "app_password": "wrong"},
			platform.Errorf(platform.InvalidCredentials, 401, "Invalid identifier or password"),
			"/app_password", "was refused by bluesky: Invalid identifier or password (HTTP 401)",
		},
		"bluesky default server is down": {
			"bluesky", platform.Credentials{"identifier": "alice.bsky.social", "app_password": "p"},
			errors.New("dial tcp: connection refused"),
			"/platform", "could not be verified: bluesky did not answer (it could not be reached); try again later",
		},
		"bluesky own server is down": {
			"bluesky", platform.Credentials{"identifier": "alice", "app_password": "p", "service_url": "https://pds.example"},
			errors.New("dial tcp: connection refused"),
			"/service_url", "could not be verified: bluesky did not answer (it could not be reached); try again later",
		},
		"discord webhook was deleted": {
			"discord", platform.Credentials{"webhook_url": "https://discord.com/api/webhooks/1/gone"},
			platform.Errorf(platform.InvalidCredentials, 404, "Unknown Webhook"),
			"/webhook_url", "was refused by discord: Unknown Webhook (HTTP 404)",
		},
		"slack bot channel unknown": {
			"slack", platform.Credentials{"bot_token": "xoxb", "channel": "C404"},
			platform.Errorf(platform.Permanent, 200, "channel_not_found"),
			"/channel", "could not be verified: slack refused the request: channel_not_found (HTTP 200)",
		},
		"telegram refuses the bot": {
			"telegram", platform.Credentials{"bot_token": "1:AA", "chat_id": "42"},
			platform.Errorf(platform.InvalidCredentials, 401, "Unauthorized"),
			"/bot_token", "was refused by telegram: Unauthorized (HTTP 401)",
		},
		"instance on a private address": {
			"mastodon", mastodonInput.Credentials,
			fmt.Errorf("mastodon: dial tcp 10.0.0.7:443: netpolicy: 10.0.0.7: %w", netpolicy.ErrNotPublic),
			"/instance_url", "must point to a public address",
		},
		"a raw error is never shown": {
			"telegram", platform.Credentials{"bot_token": "1:s3cr3t", "chat_id": "42"},
			errors.New(`Post "https://api.telegram.org/bot1:s3cr3t/getMe": dial tcp: i/o timeout`),
			"/platform", "could not be verified: telegram did not answer (it could not be reached); try again later",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.adapters[tc.platform].err = tc.err

			_, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: tc.platform, Credentials: tc.creds})
			fields := requireFields(t, err, tc.field)
			require.Equal(t, tc.message, fields[0].Message)
			require.NotContains(t, err.Error(), "s3cr3t")
			require.Equal(t, 1, b.adapters[tc.platform].connects())
			b.requireNoAccounts(t, b.live)
			b.requireEvents(t, b.live)
		})
	}
}

func TestConnectLiveGivesUpOnAPlatformThatHangs(t *testing.T) {
	t.Parallel()
	const timeout = 50 * time.Millisecond
	b := setup(t, func(c *service.Config) { c.ConnectTimeout = timeout })
	b.adapters["mastodon"].hang = true

	start := time.Now()
	_, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	elapsed := time.Since(start)
	fields := requireFields(t, err, "/instance_url")
	require.Equal(t, "could not be verified: mastodon did not answer (timed out); try again later", fields[0].Message)
	require.GreaterOrEqual(t, elapsed, timeout)
	require.Less(t, elapsed, service.DefaultConnectTimeout, "the configured timeout applies, not the default")
	b.requireNoAccounts(t, b.live)
}

func TestConnectLiveNeedsAnAdapterAndAKey(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *service.Config) { delete(c.Adapters, "telegram") })
	_, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "telegram", Credentials: platform.Credentials{
		"bot_token": "1:AA", "chat_id": "42",
	}})
	fields := requireFields(t, err, "/platform")
	require.Equal(t, "telegram accounts cannot be connected on this server", fields[0].Message)

	b = setup(t, func(c *service.Config) { c.Secrets = nil })
	_, err = b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.ErrorContains(t, err, "no secret key is configured")
	var se *service.Error
	require.False(t, errors.As(err, &se), "a server without a key is the operator's problem: a 500")
	require.Zero(t, b.adapters["mastodon"].connects(), "credentials are not verified when they cannot be kept")
	b.requireNoAccounts(t, b.live)
}

func TestConnectSandboxAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seen := map[string]bool{}
	for _, p := range service.Platforms {
		for _, sim := range []service.Simulate{"", "none", "token_expired", "rate_limited", "server_error"} {
			a, err := b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: p, Simulate: sim})
			require.NoError(t, err, "%s %s", p, sim)
			want := sim
			if want == "" {
				want = service.SimulateNone
			}
			require.Equal(t, want, a.Simulate)
			require.Equal(t, p, a.Platform)
			require.Equal(t, b.test, a.Scope)
			require.True(t, a.IsActive)
			require.Nil(t, a.Credentials, "sandbox accounts have no credentials")
			require.NotEmpty(t, a.PlatformUserID)
			require.NotEmpty(t, a.Username)
			require.NotEmpty(t, a.DisplayName)
			require.False(t, seen[a.PlatformUserID], "each sandbox account is its own")
			seen[a.PlatformUserID] = true

			creds, err := b.svc.AccountCredentials(b.ctx, a)
			require.NoError(t, err)
			require.Nil(t, creds)
		}
	}
	for p, a := range b.adapters {
		require.Zero(t, a.connects(), "%s: test mode never reaches a platform", p)
	}
	list, err := b.svc.ListAccounts(b.ctx, b.test)
	require.NoError(t, err)
	require.Len(t, list, 12*5)
	require.Len(t, b.requireEvents(t, b.test, slicesRepeat("account.connected", 12*5)...), 60)
	b.requireNoAccounts(t, b.live)
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestConnectSandboxValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)

	_, err := b.svc.ConnectAccount(b.ctx, b.test, mastodonInput)
	fields := requireFields(t, err, "/instance_url", "/access_token")
	require.Equal(t, "is not used in test mode: sandbox accounts connect without credentials", fields[0].Message)

	_, err = b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: "slack", Credentials: platform.Credentials{"channel": ""}})
	requireFields(t, err, "/channel")
	_, err = b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: "twitter", Simulate: "explode"})
	requireFields(t, err, "/simulate")
	_, err = b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: "friendster"})
	requireFields(t, err, "/platform")
	b.requireNoAccounts(t, b.test)
	b.requireEvents(t, b.test)
}

func TestAccountsAreScoped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)
	sandbox, err := b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: "twitter"})
	require.NoError(t, err)

	for sc, want := range map[service.Scope][]service.Account{b.live: {live}, b.test: {sandbox}, b.other: nil} {
		list, err := b.svc.ListAccounts(b.ctx, sc)
		require.NoError(t, err)
		require.Equal(t, len(want), len(list))
		for i := range want {
			require.Equal(t, want[i], list[i])
		}
	}
	for _, tc := range []struct {
		scope service.Scope
		id    string
	}{{b.test, live.ID}, {b.other, live.ID}, {b.live, sandbox.ID}, {b.live, "acc_missing"}} {
		_, err := b.svc.GetAccount(b.ctx, tc.scope, tc.id)
		requireNotFound(t, err)
		requireNotFound(t, b.svc.DisconnectAccount(b.ctx, tc.scope, tc.id))
	}
	_, err = b.svc.GetAccount(b.ctx, b.live, live.ID)
	require.NoError(t, err)
}

func requireNotFound(t *testing.T, err error) {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindNotFound, se.Kind)
	require.Equal(t, "Account not found", se.Message)
}

func TestDisconnectAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)
	keep, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": "https://elsewhere.example", "access_token": "t", // another instance: another account
	}})
	require.NoError(t, err)
	b.clock.now = b.clock.now.Add(time.Hour)

	require.NoError(t, b.svc.DisconnectAccount(b.ctx, b.live, a.ID))
	_, err = b.svc.GetAccount(b.ctx, b.live, a.ID)
	requireNotFound(t, err)
	requireNotFound(t, b.svc.DisconnectAccount(b.ctx, b.live, a.ID))
	_, err = b.svc.GetAccount(b.ctx, b.live, keep.ID)
	require.NoError(t, err)

	events := b.requireEvents(t, b.live, "account.connected", "account.connected", "account.disconnected")
	require.JSONEq(t, `{"account": {"id": "`+a.ID+`", "platform": "mastodon", "username": "alice", "is_active": false}}`, string(events[2].Data))
	require.Equal(t, b.clock.now, events[2].CreatedAt)
}

func TestAccountCredentialsNeedTheKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)

	otherKey := setup(t)
	_, err = otherKey.svc.AccountCredentials(b.ctx, a)
	require.ErrorIs(t, err, secretbox.ErrOpen)
	require.NotContains(t, err.Error(), "s3cr3t")

	noKey := setup(t, func(c *service.Config) { c.Secrets = nil })
	_, err = noKey.svc.AccountCredentials(b.ctx, a)
	require.ErrorContains(t, err, "no secret key")
}

func TestMarkAccountInactive(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)
	b.clock.now = b.clock.now.Add(time.Hour)

	require.NoError(t, b.store.InTx(b.ctx, func(tx service.Store) error {
		return b.svc.MarkAccountInactive(b.ctx, tx, a, "mastodon rejected the access token (HTTP 401)")
	}))
	got, err := b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.False(t, got.IsActive)
	require.Equal(t, new("mastodon rejected the access token (HTTP 401)"), got.InactiveReason, "the event's reason, kept on the account")
	require.Equal(t, a.Credentials, got.Credentials, "kept, so nothing is lost if the platform changes its mind")
	_, err = b.store.ActiveAccount(b.ctx, b.live, "mastodon")
	require.ErrorIs(t, err, service.ErrNotFound)

	events := b.requireEvents(t, b.live, "account.connected", "account.disconnected")
	require.JSONEq(t, `{"account": {"id": "`+a.ID+`", "platform": "mastodon", "username": "alice", "is_active": false},
		"reason": "mastodon rejected the access token (HTTP 401)"}`, string(events[1].Data))
	require.Equal(t, b.clock.now, events[1].CreatedAt)

	// A second rejection (another post in flight) changes nothing and fires nothing.
	require.NoError(t, b.svc.MarkAccountInactive(b.ctx, b.store, a, "again"))
	b.requireEvents(t, b.live, "account.connected", "account.disconnected")
	got, err = b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.Equal(t, new("mastodon rejected the access token (HTTP 401)"), got.InactiveReason, "the first reason stays")

	// Nor does one for an account deleted in the meantime.
	other, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)
	require.NoError(t, b.svc.DisconnectAccount(b.ctx, b.live, other.ID))
	require.NoError(t, b.svc.MarkAccountInactive(b.ctx, b.store, other, "gone"))
	b.requireEvents(t, b.live, "account.connected", "account.disconnected", "account.connected", "account.disconnected")
}

func TestMarkAccountInactiveRollsBackWithItsTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)

	errStop := errors.New("stop")
	err = b.store.InTx(b.ctx, func(tx service.Store) error {
		require.NoError(t, b.svc.MarkAccountInactive(b.ctx, tx, a, "rejected"))
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	got, err := b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.True(t, got.IsActive)
	b.requireEvents(t, b.live, "account.connected")
}

func TestTouchAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "bluesky", Credentials: platform.Credentials{
		"identifier": "alice.bsky.social", "app_password": "app-password-s3cr3t",
	}})
	require.NoError(t, err)

	b.clock.now = b.clock.now.Add(time.Minute)
	require.NoError(t, b.svc.TouchAccount(b.ctx, b.store, a, nil))
	got, err := b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.Equal(t, new(b.clock.now), got.LastUsedAt)
	require.Equal(t, a.Credentials, got.Credentials, "unchanged without refreshed credentials")

	b.clock.now = b.clock.now.Add(time.Minute)
	refreshed := platform.Credentials{"identifier": "alice.bsky.social", "app_password": "app-password-s3cr3t", "session": "refreshed"}
	require.NoError(t, b.store.InTx(b.ctx, func(tx service.Store) error {
		return b.svc.TouchAccount(b.ctx, tx, a, refreshed)
	}))
	got, err = b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.Equal(t, new(b.clock.now), got.LastUsedAt)
	require.False(t, strings.Contains(string(got.Credentials), "refreshed"), "sealed")
	creds, err := b.svc.AccountCredentials(b.ctx, got)
	require.NoError(t, err)
	require.Equal(t, refreshed, creds)
	require.True(t, got.IsActive)

	// Touching never revives an account that was marked inactive in the meantime.
	require.NoError(t, b.svc.MarkAccountInactive(b.ctx, b.store, a, "rejected"))
	require.NoError(t, b.svc.TouchAccount(b.ctx, b.store, a, nil))
	got, err = b.svc.GetAccount(b.ctx, b.live, a.ID)
	require.NoError(t, err)
	require.False(t, got.IsActive)

	require.NoError(t, b.svc.DisconnectAccount(b.ctx, b.live, a.ID))
	require.NoError(t, b.svc.TouchAccount(b.ctx, b.store, a, nil), "an account deleted meanwhile is left alone")
}

func TestEventsNeedARenderer(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *service.Config) { c.Render = nil })
	_, err := b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: "twitter"})
	require.ErrorContains(t, err, "no EventRenderer")
	b.requireNoAccounts(t, b.test)
}

// The event's data is whatever the renderer gives, as JSON: the api package's renderer
// makes it the API's own form.
func TestEventDataIsTheRenderersJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := b.svc.ConnectAccount(b.ctx, b.test, service.AccountInput{Platform: "telegram", Simulate: "server_error"})
	require.NoError(t, err)
	events := b.requireEvents(t, b.test, "account.connected")
	var data map[string]map[string]any
	require.NoError(t, json.Unmarshal(events[0].Data, &data))
	require.Equal(t, map[string]any{"id": a.ID, "platform": "telegram", "username": a.Username, "is_active": true}, data["account"])
}

// TestReconnectUpdatesTheAccount: connecting an account the scope already has (the same
// identity on its platform) updates it, keeping its id, instead of adding a second one;
// the identity is the platform's own (Spec.Identity): a Mastodon id is per instance, a
// Slack bot is one account per channel, a Telegram chat one per bot.
func TestReconnectUpdatesTheAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first, err := b.svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.NoError(t, err)
	inactive := first
	require.NoError(t, b.svc.MarkAccountInactive(b.ctx, b.store, inactive, "token revoked"))
	marked, err := b.svc.GetAccount(b.ctx, b.live, first.ID)
	require.NoError(t, err)
	require.Equal(t, new("token revoked"), marked.InactiveReason)

	// The same account again, with a new token and a new name: the same row, active again.
	b.adapters["mastodon"].profile.DisplayName = "Alice (new)"
	again := service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": "https://mastodon.example/", "access_token": "new-token",
	}}
	second, err := b.svc.ConnectAccount(b.ctx, b.live, again)
	require.NoError(t, err)
	require.Equal(t, first.ID, second.ID)
	require.True(t, second.IsActive)
	require.Nil(t, second.InactiveReason, "connected again, it has no reason to be inactive")
	require.Equal(t, "Alice (new)", second.DisplayName)
	stored, err := b.svc.GetAccount(b.ctx, b.live, first.ID)
	require.NoError(t, err)
	require.Equal(t, second, stored)
	creds, err := b.svc.AccountCredentials(b.ctx, stored)
	require.NoError(t, err)
	require.Equal(t, "new-token", creds["access_token"], "the new credentials are stored")
	b.requireEvents(t, b.live, "account.connected", "account.disconnected", "account.connected")

	// The same id on another instance is someone else.
	other, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": "https://other.example", "access_token": "t",
	}})
	require.NoError(t, err)
	require.NotEqual(t, first.ID, other.ID)

	// One Slack bot (one bot user id) in two channels is two accounts; the same channel again is one.
	bot := func(channel string) service.Account {
		a, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "slack", Credentials: platform.Credentials{
			"bot_token": "xoxb-1", "channel": channel,
		}})
		require.NoError(t, err)
		return a
	}
	general, random := bot("C01"), bot("C02")
	require.NotEqual(t, general.ID, random.ID)
	require.Equal(t, general.ID, bot("C01").ID)

	// One Telegram chat seen by two bots is two accounts.
	chat := func(token string) service.Account {
		a, err := b.svc.ConnectAccount(b.ctx, b.live, service.AccountInput{Platform: "telegram", Credentials: platform.Credentials{
			"bot_token": token, "chat_id": "-1001",
		}})
		require.NoError(t, err)
		return a
	}
	require.NotEqual(t, chat("111:aaa").ID, chat("222:bbb").ID)
	require.Equal(t, chat("111:aaa").ID, chat("111:new-secret").ID, "a bot's new token is the same bot")

	// Another user, or the other mode, connecting the same account gets its own.
	theirs, err := b.svc.ConnectAccount(b.ctx, b.other, mastodonInput)
	require.NoError(t, err)
	require.NotEqual(t, first.ID, theirs.ID)

	list, err := b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	require.Len(t, list, 6) // mastodon ×2, slack ×2, telegram ×2
}
