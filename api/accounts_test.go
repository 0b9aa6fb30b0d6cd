package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/mastodon"
	"github.com/octopost/octopost/service/platform/platforms"
)

// setupAccounts is a server whose mastodon adapter talks to a fake instance on 127.0.0.1.
func setupAccounts(t *testing.T) (*testBundle, *fake.Mastodon) {
	t.Helper()
	m := fake.NewMastodon(t)
	b := setupWith(t, setupOptions{service: service.Config{
		Adapters: map[service.Platform]platform.Adapter{
			"mastodon": mastodon.New(netpolicy.Client(true, 10*time.Second)),
		},
		AllowInsecurePlatformURLs: true, // the fake is plain http on loopback
	}})
	return b, m
}

func mastodonBody(instanceURL, token string) string {
	return `{"platform": "mastodon", "instance_url": "` + instanceURL + `", "access_token": "` + token + `"}`
}

// events returns the outbox of the bundle's user in mode.
func (b *testBundle) events(t *testing.T, mode service.Mode) []service.Event {
	t.Helper()
	u, err := b.store.GetUserByEmail(context.Background(), b.email)
	require.NoError(t, err)
	events, err := b.store.ListEvents(context.Background(), service.Scope{UserID: u.ID, Mode: mode})
	require.NoError(t, err)
	return events
}

func accountList(t *testing.T, r response) []any {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	list, ok := r.body["accounts"].([]any)
	require.True(t, ok, "body: %s", r.raw)
	return list
}

func TestConnectMastodonAccount(t *testing.T) {
	t.Parallel()
	b, m := setupAccounts(t)
	live := b.key(t, service.ModeLive)

	created := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	id, _ := created.body["id"].(string)
	require.Regexp(t, `^acc_[0-9A-Z]{26}$`, id)
	require.Equal(t, map[string]any{
		"id":               id,
		"platform":         "mastodon",
		"platform_user_id": "109302345678901234",
		"username":         "alice@mastodon.test",
		"display_name":     "Alice Example",
		"avatar_url":       m.URL + "/system/accounts/avatars/alice.png",
		"is_active":        true,
		"inactive_reason":  nil,
		"connected_at":     b.clock.Now().Format("2006-01-02T15:04:05.999999Z"),
		"last_used_at":     nil,
	}, created.body)
	require.Equal(t, 1, m.Calls("/api/v1/accounts/verify_credentials"), "verified with the platform")

	got := b.do(t, http.MethodGet, "/v1/accounts/"+id, live, "")
	require.Equal(t, http.StatusOK, got.status, "body: %s", got.raw)
	require.Equal(t, created.body, got.body)
	list := b.do(t, http.MethodGet, "/v1/accounts", live, "")
	require.Equal(t, []any{created.body}, accountList(t, list))

	// The account.connected event carries exactly what the API returns.
	events := b.events(t, service.ModeLive)
	require.Len(t, events, 1)
	require.Equal(t, service.EventAccountConnected, events[0].Type)
	require.JSONEq(t, `{"account": `+string(created.raw)+`}`, string(events[0].Data))
	require.Empty(t, b.events(t, service.ModeTest))

	// The token is never given back, nor kept in the clear.
	for _, raw := range [][]byte{created.raw, got.raw, list.raw, events[0].Data} {
		require.NotContains(t, string(raw), m.Token)
		require.NotContains(t, string(raw), "access_token")
	}
	stored, err := b.svc.GetAccount(context.Background(), b.scope(t, service.ModeLive), id)
	require.NoError(t, err)
	require.NotContains(t, string(stored.Credentials), m.Token)
	creds, err := b.svc.AccountCredentials(context.Background(), stored)
	require.NoError(t, err)
	require.Equal(t, m.Token, creds["access_token"])
}

// scope returns the bundle's user's scope in mode.
func (b *testBundle) scope(t *testing.T, mode service.Mode) service.Scope {
	t.Helper()
	u, err := b.store.GetUserByEmail(context.Background(), b.email)
	require.NoError(t, err)
	return service.Scope{UserID: u.ID, Mode: mode}
}

func TestConnectAccountThePlatformRefuses(t *testing.T) {
	t.Parallel()
	b, m := setupAccounts(t)
	live := b.key(t, service.ModeLive)

	r := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, "not-the-token"))
	requireFields(t, r, "/access_token")
	requireFieldMessage(t, r, "was refused by mastodon: Mastodon rejected the access token (HTTP 401)")

	m.RevokeToken()
	r = b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	requireFields(t, r, "/access_token")
	require.NotContains(t, string(r.raw), m.Token)

	require.Empty(t, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", live, "")))
	require.Empty(t, b.events(t, service.ModeLive))
}

func TestConnectAccountWhenThePlatformIsDown(t *testing.T) {
	t.Parallel()
	b, m := setupAccounts(t)
	live := b.key(t, service.ModeLive)

	m.FailNext("/api/v1/accounts/verify_credentials", 1, http.StatusServiceUnavailable)
	r := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	requireFields(t, r, "/instance_url")
	requireFieldMessage(t, r, "could not be verified: mastodon did not answer (Mastodon error: Service Unavailable (HTTP 503)); try again later")

	// Nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	r = b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(closed, m.Token))
	requireFields(t, r, "/instance_url")
	requireFieldMessage(t, r, "could not be verified: mastodon did not answer (mastodon: request failed: connection refused); try again later")
	require.NotContains(t, string(r.raw), m.Token)
	require.Empty(t, b.events(t, service.ModeLive))

	// The same request goes through once the platform is back.
	r = b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
}

func TestConnectSandboxAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	test := b.key(t, service.ModeTest)

	var ids []any
	for _, p := range service.Platforms {
		for _, simulate := range []string{"", "none", "token_expired", "rate_limited", "server_error"} {
			body := `{"platform": "` + string(p) + `"}`
			if simulate != "" {
				body = `{"platform": "` + string(p) + `", "simulate": "` + simulate + `"}`
			}
			r := b.do(t, http.MethodPost, "/v1/accounts", test, body)
			require.Equal(t, http.StatusCreated, r.status, "%s: %s", body, r.raw)
			require.Equal(t, string(p), r.body["platform"])
			require.Equal(t, true, r.body["is_active"])
			require.NotEmpty(t, r.body["username"])
			require.NotContains(t, r.body, "simulate", "not part of the account")
			ids = append(ids, r.body["id"])
		}
	}

	list := accountList(t, b.do(t, http.MethodGet, "/v1/accounts", test, ""))
	require.Len(t, list, len(ids))
	for i, a := range list {
		require.Equal(t, ids[i], a.(map[string]any)["id"], "oldest first")
	}
	require.Len(t, b.events(t, service.ModeTest), len(ids))

	// Sandbox and live data never mix.
	live := b.key(t, service.ModeLive)
	require.Empty(t, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", live, "")))
	requireError(t, b.do(t, http.MethodGet, "/v1/accounts/"+ids[0].(string), live, ""), 404, "not_found", "Account not found")
	requireError(t, b.do(t, http.MethodDelete, "/v1/accounts/"+ids[0].(string), live, ""), 404, "not_found", "Account not found")
	require.Empty(t, b.events(t, service.ModeLive))
}

func TestConnectAccountValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	test := b.key(t, service.ModeTest)
	for name, tc := range map[string]struct {
		key    string
		body   string
		fields []string
	}{
		"mastodon without token":       {live, `{"platform": "mastodon", "instance_url": "https://mastodon.social"}`, []string{"/access_token"}},
		"mastodon without anything":    {live, `{"platform": "mastodon"}`, []string{"/instance_url", "/access_token"}},
		"bluesky without anything":     {live, `{"platform": "bluesky", "service_url": "https://pds.example"}`, []string{"/identifier", "/app_password"}},
		"discord without webhook":      {live, `{"platform": "discord"}`, []string{"/webhook_url"}},
		"slack without anything":       {live, `{"platform": "slack"}`, []string{"/webhook_url"}},
		"slack bot without channel":    {live, `{"platform": "slack", "bot_token": "xoxb-1"}`, []string{"/channel"}},
		"telegram without anything":    {live, `{"platform": "telegram"}`, []string{"/bot_token", "/chat_id"}},
		"telegram without chat":        {live, `{"platform": "telegram", "bot_token": "1:AA"}`, []string{"/chat_id"}},
		"mastodon with telegram field": {live, `{"platform": "mastodon", "instance_url": "https://m.example", "access_token": "t", "chat_id": "1"}`, []string{"/chat_id"}},
		"discord with slack fields":    {live, `{"platform": "discord", "webhook_url": "https://discord.com/api/webhooks/1/x", "bot_token": "b", "channel": "c"}`, []string{"/bot_token", "/channel"}},
		"slack webhook and bot":        {live, `{"platform": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/X", "bot_token": "xoxb-1", "channel": "C1"}`, []string{"/bot_token", "/channel"}},
		"simulate in live mode":        {live, `{"platform": "mastodon", "instance_url": "https://m.example", "access_token": "t", "simulate": "none"}`, []string{"/simulate"}},
		"plain http in production":     {live, `{"platform": "mastodon", "instance_url": "http://m.example", "access_token": "t"}`, []string{"/instance_url"}},
		"credentials in test mode":     {test, `{"platform": "mastodon", "instance_url": "https://m.example", "access_token": "t"}`, []string{"/instance_url", "/access_token"}},
		"webhook in test mode":         {test, `{"platform": "discord", "webhook_url": "https://discord.com/api/webhooks/1/x", "simulate": "rate_limited"}`, []string{"/webhook_url"}},
		"no platform":                  {live, `{"instance_url": "https://m.example"}`, []string{"/platform"}},
		"unknown platform":             {test, `{"platform": "myspace"}`, []string{"/platform"}},
		"unknown simulation":           {test, `{"platform": "twitter", "simulate": "explode"}`, []string{"/simulate"}},
		"unknown field":                {test, `{"platform": "twitter", "password": "hunter2"}`, []string{"/password"}},
		"empty token":                  {live, `{"platform": "mastodon", "instance_url": "https://m.example", "access_token": ""}`, []string{"/access_token"}},
		"token too long":               {live, `{"platform": "mastodon", "instance_url": "https://m.example", "access_token": "` + strings.Repeat("t", 2049) + `"}`, []string{"/access_token"}},
	} {
		t.Run(name, func(t *testing.T) {
			requireFields(t, b.do(t, http.MethodPost, "/v1/accounts", tc.key, tc.body), tc.fields...)
		})
	}

	for _, p := range []string{"twitter", "linkedin", "threads", "instagram", "facebook", "tiktok", "youtube"} {
		r := b.do(t, http.MethodPost, "/v1/accounts", live, `{"platform": "`+p+`"}`)
		requireFields(t, r, "/platform")
		requireFieldMessage(t, r, p+" accounts connect through OAuth, with POST /v1/accounts/connect; "+
			"with credentials you can connect bluesky, mastodon, discord, slack, telegram")
	}

	// A server that was given no adapter for a platform says so.
	r := b.do(t, http.MethodPost, "/v1/accounts", live, `{"platform": "telegram", "bot_token": "1:AA", "chat_id": "42"}`)
	requireFields(t, r, "/platform")
	requireFieldMessage(t, r, "telegram accounts cannot be connected on this server")

	require.Empty(t, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", live, "")))
	require.Empty(t, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", test, "")))
	require.Empty(t, b.events(t, service.ModeLive))
}

// requireFieldMessage checks the message of a 422's first problem.
func requireFieldMessage(t *testing.T, r response, message string) {
	t.Helper()
	errs := r.body["details"].(map[string]any)["errors"].([]any)
	require.Equal(t, message, errs[0].(map[string]any)["message"], "body: %s", r.raw)
}

func TestAccountNotFound(t *testing.T) {
	t.Parallel()
	b, m := setupAccounts(t)
	live := b.key(t, service.ModeLive)
	test := b.key(t, service.ModeTest)
	other := b.otherUserKey(t, service.ModeLive)
	created := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	id := created.body["id"].(string)

	for _, tc := range []struct{ key, id string }{
		{live, "acc_missing"}, {test, id}, {other, id},
	} {
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			requireError(t, b.do(t, method, "/v1/accounts/"+tc.id, tc.key, ""), 404, "not_found", "Account not found")
		}
	}
	require.Empty(t, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", test, "")))
	require.Empty(t, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", other, "")))
	require.Equal(t, created.body, b.do(t, http.MethodGet, "/v1/accounts/"+id, live, "").body, "still there")
}

func TestDisconnectAccount(t *testing.T) {
	t.Parallel()
	b, m := setupAccounts(t)
	live := b.key(t, service.ModeLive)
	first := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	// The same account again is the same account (updated); one on another instance is another.
	again := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(m.URL, m.Token))
	require.Equal(t, http.StatusCreated, again.status, "body: %s", again.raw)
	require.Equal(t, first.body["id"], again.body["id"])
	elsewhere := fake.NewMastodon(t)
	second := b.do(t, http.MethodPost, "/v1/accounts", live, mastodonBody(elsewhere.URL, elsewhere.Token))
	require.NotEqual(t, first.body["id"], second.body["id"])
	id := first.body["id"].(string)

	r := b.do(t, http.MethodDelete, "/v1/accounts/"+id, live, "")
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.raw)
	require.Empty(t, r.raw)
	requireError(t, b.do(t, http.MethodGet, "/v1/accounts/"+id, live, ""), 404, "not_found", "Account not found")
	requireError(t, b.do(t, http.MethodDelete, "/v1/accounts/"+id, live, ""), 404, "not_found", "Account not found")
	require.Equal(t, []any{second.body}, accountList(t, b.do(t, http.MethodGet, "/v1/accounts", live, "")))

	events := b.events(t, service.ModeLive)
	require.Len(t, events, 4)
	require.Equal(t, service.EventAccountDisconnected, events[3].Type)
	want := again.body
	want["is_active"] = false
	wantJSON, err := json.Marshal(map[string]any{"account": want})
	require.NoError(t, err)
	require.JSONEq(t, string(wantJSON), string(events[3].Data))
}

func TestAccountsRequestErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	readOnly := b.key(t, service.ModeLive, "accounts:read")
	writeOnly := b.key(t, service.ModeLive, "accounts:write")
	postsOnly := b.key(t, service.ModeTest, "posts:read", "posts:write")
	body := `{"platform": "twitter"}`

	requireError(t, b.do(t, http.MethodPost, "/v1/accounts", live, `{"platform": `), 400, "bad_request", "Request body must be valid JSON")
	requireError(t, b.do(t, http.MethodPost, "/v1/accounts", live, body, "Content-Type: text/plain"), 400, "bad_request", "Content-Type must be application/json")
	big := `{"platform": "mastodon", "access_token": "` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
	requireError(t, b.do(t, http.MethodPost, "/v1/accounts", live, big), 413, "payload_too_large", "Request body must not exceed 1048576 bytes")

	for _, op := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/accounts", ""},
		{http.MethodPost, "/v1/accounts", body},
		{http.MethodGet, "/v1/accounts/acc_x", ""},
		{http.MethodDelete, "/v1/accounts/acc_x", ""},
	} {
		requireError(t, b.do(t, op.method, op.path, "", op.body), 401, "unauthorized", "Invalid or expired API key")
		requireError(t, b.do(t, op.method, op.path, "oct_live_notakey", op.body), 401, "unauthorized", "Invalid or expired API key")
		requireError(t, b.do(t, op.method, op.path, postsOnly, op.body), 403, "forbidden", "API key does not have permission for this action")
		wrong := readOnly
		if op.method == http.MethodGet {
			wrong = writeOnly // :write does not imply :read
		}
		requireError(t, b.do(t, op.method, op.path, wrong, op.body), 403, "forbidden", "API key does not have permission for this action")
	}
}

// brokenAccounts fails every read of accounts, inside transactions too.
type brokenAccounts struct {
	service.Store
}

var errDiskOnFire = errors.New("disk on fire at /var/lib/octopost")

func (brokenAccounts) ListAccounts(context.Context, service.Scope) ([]service.Account, error) {
	return nil, errDiskOnFire
}

func (brokenAccounts) GetAccount(context.Context, service.Scope, string) (service.Account, error) {
	return service.Account{}, errDiskOnFire
}

func (brokenAccounts) CreateAccount(context.Context, service.Account) error { return errDiskOnFire }

func (s brokenAccounts) InTx(ctx context.Context, fn func(service.Store) error) error {
	return s.Store.InTx(ctx, func(tx service.Store) error { return fn(brokenAccounts{tx}) })
}

func TestAccountsInternalErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "octopost.db"))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	require.NoError(t, d.Migrate(ctx))
	svc := service.New(brokenAccounts{d}, nil, nil, service.Config{Platforms: platforms.All, Render: api.Renderer{}})
	_, err = svc.CreateUser(ctx, "dev@example.com", "")
	require.NoError(t, err)
	_, test, err := svc.CreateAPIKey(ctx, "dev@example.com", "k", service.ModeTest, nil)
	require.NoError(t, err)
	h, err := api.NewHandler(svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := &testBundle{server: srv}

	for _, op := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/accounts", ""},
		{http.MethodPost, "/v1/accounts", `{"platform": "twitter"}`},
		{http.MethodGet, "/v1/accounts/acc_x", ""},
		{http.MethodDelete, "/v1/accounts/acc_x", ""},
	} {
		r := b.do(t, op.method, op.path, test, op.body)
		requireError(t, r, 500, "internal_error", "Internal server error")
		require.NotContains(t, string(r.raw), "disk on fire")
	}
}
