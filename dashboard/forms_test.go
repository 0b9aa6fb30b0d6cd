package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// sendBody posts body, as is, to path as the dashboard's own page would.
func (b *bench) sendBody(t *testing.T, c *http.Client, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	require.NoError(t, err)
	return resp, readBody(t, resp)
}

// TestEveryFormIsReadUpToItsLimit: each form's body is read up to its own limit; one
// byte more is 413 on the error page, and a body that is not a form 400, for the forms
// signed out and in alike.
func TestEveryFormIsReadUpToItsLimit(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	signedOut := b.browser(t)
	user, c := b.user(t, "owner@example.com")
	preset, err := b.svc.CreatePreset(context.Background(), service.Scope{UserID: user.ID, Mode: service.ModeTest},
		service.PresetInput{Name: "Mine", Platforms: []service.Platform{"mastodon"}})
	require.NoError(t, err)
	l := b.dash.limits

	for _, tc := range []struct {
		path   string
		signed bool
		limit  int64
	}{
		{Prefix + "/setup", false, smallFormLimit},
		{Prefix + "/signin", false, smallFormLimit},
		{TestPrefix + "/settings/api-keys", true, smallFormLimit},
		{Prefix + "/accounts/oauth", true, smallFormLimit},
		{Prefix + "/accounts", true, l.accountFormLimit()},
		{TestPrefix + "/posts", true, l.postFormLimit()},
		{TestPrefix + "/webhooks", true, webhookFormLimit},
		{TestPrefix + "/presets", true, presetFormLimit},
		{TestPrefix + "/presets/" + preset.ID, true, presetFormLimit},
	} {
		browser := signedOut
		if tc.signed {
			browser = c
		}
		// A field of junk that fills the body to exactly limit, or one byte past it.
		fill := func(n int64) string { return "junk=" + strings.Repeat("x", int(n)-len("junk=")) }

		resp, body := b.sendBody(t, browser, tc.path, fill(tc.limit+1))
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, tc.path)
		require.Contains(t, body, "This form is too large to send.", tc.path)

		resp, _ = b.sendBody(t, browser, tc.path, fill(tc.limit))
		require.NotEqual(t, http.StatusRequestEntityTooLarge, resp.StatusCode, tc.path)
		require.Less(t, resp.StatusCode, 500, tc.path)

		resp, body = b.sendBody(t, browser, tc.path, "name=%zz")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.path)
		require.Contains(t, body, "This form could not be read: send it again from its page.", tc.path)
	}
}
