package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// A notice names what it is about in the user's words: a key or preset name of the
// contract's 100 characters, in any script, is shown, not dropped for its bytes.
func TestNoticeNamingANonASCIINameIsShown(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	owner, c := b.user(t, "owner@example.com")
	name := strings.Repeat("日本語の名前", 100/utf8.RuneCountInString("日本語の名前")) // 96 characters, 288 bytes

	resp, _ := b.post(t, c, Prefix+"/presets", url.Values{"name": {name}, "platforms": {"slack"}})
	requireRedirect(t, resp, Prefix+"/presets")
	_, body := b.get(t, c, Prefix+"/presets")
	require.Contains(t, body, `<p class="notice" role="status">Preset `+name+` created.</p>`)

	key, _, err := b.svc.CreateUserAPIKey(context.Background(), owner.ID, name, service.ModeLive, nil)
	require.NoError(t, err)
	resp, _ = b.post(t, c, Prefix+"/settings/api-keys/"+key.ID+"/revoke", nil)
	requireRedirect(t, resp, Prefix+"/settings/api-keys")
	_, body = b.get(t, c, Prefix+"/settings/api-keys")
	require.Contains(t, body, `<p class="notice" role="status">The key “`+name+`” is revoked`)
}

// A notice too long for a cookie (a webhook's URL of up to the contract's length) is
// shortened where it is made, never lost.
func TestLongNoticeIsShortenedNotLost(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	owner, c := b.user(t, "owner@example.com")
	long := "http://127.0.0.1:9/" + strings.Repeat("a/", 900)
	hook, err := b.svc.CreateWebhook(context.Background(), service.Scope{UserID: owner.ID, Mode: service.ModeLive},
		service.WebhookInput{URL: long, Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	resp, _ := b.post(t, c, Prefix+"/webhooks/"+hook.ID+"/delete", nil)
	requireRedirect(t, resp, Prefix+"/webhooks")
	ck := setCookie(resp, noticeCookie)
	require.NotNil(t, ck)
	require.LessOrEqual(t, len(ck.String()), 4096, "a browser keeps a cookie of at most 4096 bytes")
	resp, body := b.get(t, c, Prefix+"/webhooks")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<p class="notice" role="status">Webhook http://127.0.0.1:9/a/a/`)
	require.Contains(t, element(body, "p", `class="notice"`), "…")
}
