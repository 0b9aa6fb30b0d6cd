package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func TestSignedOutGoesToSetupThenToSignIn(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)

	// An instance without users offers its first-run setup, whatever page is asked for.
	resp, _ := b.get(t, c, TestPrefix+"/")
	requireRedirect(t, resp, Prefix+"/setup")

	// Once there is a user, the sign-in page, which brings the browser back afterwards.
	b.user(t, "owner@example.com")
	resp, _ = b.get(t, c, TestPrefix+"/?status=draft")
	requireRedirect(t, resp, Prefix+"/signin?next="+url.QueryEscape(TestPrefix+"/?status=draft"))
}

func TestModeIsInTheURL(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")

	resp, _ := b.get(t, c, Prefix+"/")
	requireRedirect(t, resp, Prefix+"/posts")
	resp, _ = b.get(t, c, TestPrefix+"/")
	requireRedirect(t, resp, TestPrefix+"/posts")
	resp, _ = b.get(t, c, Prefix)
	requireRedirect(t, resp, Prefix+"/")
}

func TestSessionEndsWhenIdleOrRevoked(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")

	resp, _ := b.get(t, c, Prefix+"/")
	requireRedirect(t, resp, Prefix+"/posts")

	b.clock.Advance(service.SessionIdleTimeout + time.Minute)
	resp, _ = b.get(t, c, Prefix+"/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), Prefix+"/signin"), resp.Header.Get("Location"))
}

func TestUnknownPageIs404(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")
	resp, body := b.get(t, c, Prefix+"/no/such/page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "There is no such page.")
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")
	for _, path := range []string{Prefix + "/", Prefix + "/no/such/page", Prefix + "/static/style.css", Prefix + "/static/app.js"} {
		resp, _ := b.get(t, c, path)
		require.Equal(t, contentSecurityPolicy, resp.Header.Get("Content-Security-Policy"), path)
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), path)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
	}
	resp, body := b.get(t, c, Prefix+"/static/app.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "octopost_tz")
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")
	for name, header := range map[string][2]string{
		"fetch metadata": {"Sec-Fetch-Site", "cross-site"},
		"foreign origin": {"Origin", "https://evil.example"},
	} {
		req, err := http.NewRequest(http.MethodPost, b.srv.URL+TestPrefix+"/posts", strings.NewReader("content=hi"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(header[0], header[1])
		resp, err := c.Do(req)
		require.NoError(t, err, name)
		body := readBody(t, resp)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, name)
		require.Contains(t, body, "sent from another site", name)
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]bool{
		"/dashboard":                         true,
		"/dashboard/test/posts?status=draft": true,
		"/dashboard/settings/api-keys":       true,
		"":                                   false,
		"/v1/posts":                          false,
		"/dashboardx":                        false,
		"//evil.example/dashboard":           false,
		"https://evil.example/dashboard":     false,
		"/dashboard/\\evil":                  false,
		"/\\evil.example/dashboard":          false,
		"/dashboard/\r\nSet-Cookie: x=y":     false,
	} {
		require.Equal(t, want, localPath(next), "%q", next)
	}
}

func TestBrowserZone(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		"":                              "UTC",
		"America/New_York":              "America/New_York",
		url.QueryEscape("Europe/Paris"): "Europe/Paris",
		"Local":                         "UTC",
		"Nowhere/Special":               "UTC",
		"../../etc/passwd":              "UTC",
		strings.Repeat("A", 100):        "UTC",
	} {
		r := httptest.NewRequest(http.MethodGet, "/dashboard/", nil)
		if value != "" {
			r.AddCookie(&http.Cookie{Name: tzCookie, Value: value})
		}
		require.Equal(t, want, browserZone(r).String(), "%q", value)
	}
}

func TestOtherModeURL(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		Prefix + "/posts":                          TestPrefix + "/posts",
		TestPrefix + "/posts":                      Prefix + "/posts",
		Prefix + "/posts/post_abc":                 TestPrefix + "/posts",
		TestPrefix + "/webhooks/wh_1/deliveries":   Prefix + "/webhooks",
		Prefix + "/settings/api-keys":              TestPrefix + "/settings/api-keys",
		TestPrefix + "/posts/calendar":             Prefix + "/posts/calendar",
		Prefix + "/":                               TestPrefix + "/",
		TestPrefix + "/settings/api-keys/k/revoke": Prefix + "/settings/api-keys/k/revoke",
		// The same page in the other mode: the new-post form, the month, the filter; not
		// a cursor (a place in this mode's list) or an OAuth callback's outcome.
		Prefix + "/posts/new":                        TestPrefix + "/posts/new",
		TestPrefix + "/posts/calendar?month=2026-03": Prefix + "/posts/calendar?month=2026-03",
		Prefix + "/posts?status=queued&cursor=abc":   TestPrefix + "/posts?status=queued",
		Prefix + "/accounts?error=access_denied":     TestPrefix + "/accounts",
	} {
		mode, base := service.ModeLive, Prefix
		if strings.HasPrefix(path, TestPrefix) {
			mode, base = service.ModeTest, TestPrefix
		}
		r := &request{Request: httptest.NewRequest(http.MethodGet, path, nil), Mode: mode, Base: base}
		require.Equal(t, want, otherModeURL(r), path)
	}
}

func TestFormProblemsAreKeyedByInput(t *testing.T) {
	t.Parallel()
	err := &service.Error{Kind: service.KindValidation, Message: "The request is invalid", Fields: []service.FieldError{
		{Field: "/content", Message: "must not be empty"},
		{Field: "/platforms/0", Message: "unknown platform"},
		{Field: "/platforms/2", Message: "not connected"},
	}}
	p, ok := formProblems(err)
	require.True(t, ok)
	require.Equal(t, "The request is invalid", p.Message)
	require.Equal(t, "must not be empty", p.For("content"))
	require.Equal(t, "unknown platform; not connected", p.For("platforms"))
	require.False(t, p.Has("scheduled_at"))

	_, ok = formProblems(service.NotFound("Post"))
	require.False(t, ok)
	require.Equal(t, "", (*problems)(nil).For("content"))
}

func TestInWords(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Hour: "1 hour", 12 * time.Hour: "12 hours", 24 * time.Hour: "24 hours",
		36 * time.Hour: "36 hours", 48 * time.Hour: "2 days", 7 * 24 * time.Hour: "7 days",
	} {
		require.Equal(t, want, inWords(d), d)
	}
}
