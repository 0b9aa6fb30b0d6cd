package dashboard

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/mastodon"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/platforms"
)

// element returns the first <tag …> of body whose opening tag holds attr, up to its
// closing tag; "" when there is none. The dashboard's rows, list items and day cells
// hold no element of their own tag, so the first closing tag is theirs.
func element(body, tag, attr string) string {
	for rest := body; ; {
		i := strings.Index(rest, "<"+tag)
		if i < 0 {
			return ""
		}
		rest = rest[i:]
		open := rest[:strings.IndexByte(rest, '>')+1]
		if strings.Contains(open, attr) {
			end := strings.Index(rest, "</"+tag+">")
			if end < 0 {
				return rest
			}
			return rest[:end+len(tag)+3]
		}
		rest = rest[len(open):]
	}
}

var accountIDs = regexp.MustCompile(`data-account-id="(acc_[0-9A-Z]{26})"`)

// listedAccounts returns the ids of the accounts a page lists.
func listedAccounts(body string) []string {
	var ids []string
	for _, m := range accountIDs.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestSandboxAccountConnectsInTestModeOnlyAndDisconnects(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")

	// Test mode offers a one-click sandbox connect for every platform, OAuth ones too.
	resp, body := b.get(t, c, TestPrefix+"/accounts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, p := range service.Platforms {
		require.Contains(t, body, `<form id="connect-`+string(p)+`"`, p)
	}
	require.NotContains(t, body, `id="oauth-`, "test mode starts no OAuth flow")
	require.NotContains(t, body, `table id="accounts"`)

	resp, _ = b.post(t, c, TestPrefix+"/accounts", url.Values{"platform": {"twitter"}, "simulate": {"rate_limited"}})
	requireRedirect(t, resp, TestPrefix+"/accounts")
	accounts, err := b.svc.ListAccounts(context.Background(), service.Scope{UserID: u.ID, Mode: service.ModeTest})
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	a := accounts[0]
	require.Equal(t, service.SimulateRateLimited, a.Simulate)

	resp, body = b.get(t, c, TestPrefix+"/accounts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Connected X account @"+html.EscapeString(a.Username)+".", "the notice of the redirect")
	require.Equal(t, []string{a.ID}, listedAccounts(body))
	row := element(body, "tr", `data-account-id="`+a.ID+`"`)
	require.Contains(t, row, `data-platform="twitter"`)
	require.Contains(t, row, "@"+a.Username)
	require.Contains(t, row, "badge-active")
	require.Contains(t, row, "Simulates: rate_limited")
	require.Contains(t, row, `href="`+TestPrefix+`/accounts/`+a.ID+`/disconnect"`)

	// Live mode shows none of it, and cannot reach it.
	resp, body = b.get(t, c, Prefix+"/accounts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, listedAccounts(body))
	require.NotContains(t, body, a.Username)
	resp, _ = b.get(t, c, Prefix+"/accounts/"+a.ID+"/disconnect")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.post(t, c, Prefix+"/accounts/"+a.ID+"/disconnect", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Disconnecting asks first; the confirmation's form does it.
	resp, body = b.get(t, c, TestPrefix+"/accounts/"+a.ID+"/disconnect")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<form method="post" action="`+TestPrefix+`/accounts/`+a.ID+`/disconnect">`)
	require.Contains(t, body, `id="confirm"`)
	_, err = b.svc.GetAccount(context.Background(), a.Scope, a.ID)
	require.NoError(t, err, "a GET changes nothing")

	resp, _ = b.post(t, c, TestPrefix+"/accounts/"+a.ID+"/disconnect", nil)
	requireRedirect(t, resp, TestPrefix+"/accounts")
	_, body = b.get(t, c, TestPrefix+"/accounts")
	require.Contains(t, body, "Disconnected X account @"+html.EscapeString(a.Username)+".")
	require.Empty(t, listedAccounts(body))
	_, err = b.svc.GetAccount(context.Background(), a.Scope, a.ID)
	require.Error(t, err)
}

// An account whose platform refused its token says why in its row: the reason its
// account.disconnected event carried, escaped like any text.
func TestAnInactiveAccountShowsWhy(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	ctx := context.Background()
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}
	a, err := b.svc.ConnectAccount(ctx, test, service.AccountInput{Platform: "mastodon", Simulate: service.SimulateTokenExpired})
	require.NoError(t, err)
	active, err := b.svc.ConnectAccount(ctx, test, service.AccountInput{Platform: "bluesky"})
	require.NoError(t, err)
	const why = `the access token has expired <"simulated" & revoked> (HTTP 401)`
	require.NoError(t, b.svc.MarkAccountInactive(ctx, b.store, a, why))

	resp, body := b.get(t, c, TestPrefix+"/accounts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	row := element(body, "tr", `data-account-id="`+a.ID+`"`)
	require.Contains(t, row, "badge-inactive")
	require.Contains(t, row, "Its platform refused its token: <q>"+html.EscapeString(why)+"</q>.")
	require.NotContains(t, body, why, "never unescaped")
	require.NotContains(t, element(body, "tr", `data-account-id="`+active.ID+`"`), "inactive-reason")
}

func TestSandboxConnectRefusesAnUnknownSimulation(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")

	resp, body := b.post(t, c, TestPrefix+"/accounts", url.Values{"platform": {"bluesky"}, "simulate": {"meltdown"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `<p class="field-error" id="simulate-bluesky-error">must be one of none, token_expired, rate_limited, server_error</p>`)
	require.Contains(t, body, `id="simulate-bluesky" name="simulate" form="connect-bluesky" aria-invalid="true" aria-describedby="simulate-bluesky-error"`)
	require.Empty(t, listedAccounts(body))
}

// mastodonBench is a bench whose live Mastodon adapter talks to a fake instance on
// 127.0.0.1.
func mastodonBench(t *testing.T) (*bench, *fake.Mastodon) {
	t.Helper()
	m := fake.NewMastodon(t)
	b := newBench(t, benchOptions{service: service.Config{
		Adapters: map[service.Platform]platform.Adapter{
			"mastodon": mastodon.New(netpolicy.Client(true, 10*time.Second)),
		},
		AllowInsecurePlatformURLs: true, // the fake is plain http on loopback
	}})
	return b, m
}

func TestLiveCredentialConnectShowsTheFormAgainWithTheProblem(t *testing.T) {
	t.Parallel()
	b, m := mastodonBench(t)
	u, c := b.user(t, "owner@example.com")

	// Live mode: a form per credential platform, built from its Spec, and a button per
	// OAuth platform.
	_, body := b.get(t, c, Prefix+"/accounts")
	for _, spec := range platforms.All {
		if spec.Connect.OAuth {
			require.Contains(t, body, `<form id="oauth-`+spec.ID+`"`, spec.ID)
			require.NotContains(t, body, `<form id="connect-`+spec.ID+`"`, spec.ID)
			continue
		}
		form := element(body, "form", `id="connect-`+spec.ID+`"`)
		require.NotEmpty(t, form, spec.ID)
		for _, alt := range spec.Connect.Forms {
			for _, field := range alt {
				require.Contains(t, form, `<label for="`+spec.ID+"-"+field+`">`, field)
				require.Contains(t, form, `id="`+spec.ID+"-"+field+`" name="`+field+`"`, field)
			}
		}
	}
	mastodonForm := element(body, "form", `id="connect-mastodon"`)
	require.Contains(t, mastodonForm, `type="password" id="mastodon-access_token"`, "a token is typed into a password input")
	require.Contains(t, mastodonForm, `type="url" id="mastodon-instance_url"`)

	// A token the instance refuses: the form again, 422, the message under the token,
	// the instance URL kept and the token not.
	resp, body := b.post(t, c, Prefix+"/accounts", url.Values{
		"platform": {"mastodon"}, "instance_url": {m.URL}, "access_token": {"not-the-token"},
	})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	form := element(body, "form", `id="connect-mastodon"`)
	require.Regexp(t, `<p class="field-error" id="mastodon-access_token-error">was refused by mastodon: [^<]+</p>`, form)
	require.Contains(t, form, `id="mastodon-access_token" name="access_token" value=""`)
	require.Contains(t, form, `aria-invalid="true" aria-describedby="mastodon-access_token-error"`)
	require.Contains(t, form, `id="mastodon-instance_url" name="instance_url" value="`+m.URL+`"`)
	require.NotContains(t, body, "not-the-token")
	require.NotContains(t, element(body, "form", `id="connect-bluesky"`), "field-error", "only the form sent shows problems")

	// A field left empty is a field not given, and the service says it is required.
	resp, body = b.post(t, c, Prefix+"/accounts", url.Values{
		"platform": {"mastodon"}, "instance_url": {m.URL}, "access_token": {"  "},
	})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `<p class="field-error" id="mastodon-access_token-error">is required: mastodon takes instance_url and access_token</p>`)

	// The right token connects the account, in live mode only.
	resp, _ = b.post(t, c, Prefix+"/accounts", url.Values{
		"platform": {"mastodon"}, "instance_url": {m.URL + "/"}, "access_token": {m.Token},
	})
	requireRedirect(t, resp, Prefix+"/accounts")
	accounts, err := b.svc.ListAccounts(context.Background(), service.Scope{UserID: u.ID, Mode: service.ModeLive})
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	_, body = b.get(t, c, Prefix+"/accounts")
	require.Equal(t, []string{accounts[0].ID}, listedAccounts(body))
	require.Contains(t, body, "Connected Mastodon account @"+accounts[0].Username+".")
	require.NotContains(t, body, m.Token)
	_, body = b.get(t, c, TestPrefix+"/accounts")
	require.Empty(t, listedAccounts(body))
}

// dashboardPublicURL is the server's public URL in the OAuth tests; the test rewrites
// it to the test server, as a reverse proxy would.
const dashboardPublicURL = "http://localhost:8080"

// xOAuthConfig is the OAuth configuration of a server whose X app is on the fake X.
func xOAuthConfig(x *fake.TwitterOAuth) service.OAuthConfig {
	values := map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID":     x.ClientID,
		"OCTOPOST_TWITTER_CLIENT_SECRET": x.ClientSecret,
		"OCTOPOST_TWITTER_AUTH_URL":      x.URL + "/i/oauth2/authorize",
		"OCTOPOST_TWITTER_TOKEN_URL":     x.URL + "/2/oauth2/token",
		"OCTOPOST_TWITTER_API_URL":       x.URL,
	}
	return service.OAuthConfig{
		PublicURL: dashboardPublicURL,
		Provider: func(p service.Platform) (service.OAuthProvider, error) {
			// Only X is set up: every other platform lacks its client id.
			spec, _ := platforms.All.Lookup(string(p))
			return oauth.New(spec, func(name string) string { return values[name] }, http.DefaultClient, dashboardPublicURL)
		},
	}
}

func TestOAuthConnectComesBackToTheAccountsPage(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	b := newBench(t, benchOptions{
		service:   service.Config{OAuth: xOAuthConfig(x)},
		dashboard: Options{PublicURL: dashboardPublicURL},
	})
	u, c := b.user(t, "owner@example.com")
	local := func(u string) string {
		require.True(t, strings.HasPrefix(u, dashboardPublicURL+"/"), u)
		return strings.TrimPrefix(u, dashboardPublicURL)
	}

	resp, _ := b.post(t, c, Prefix+"/accounts/oauth", url.Values{"platform": {"twitter"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	consent, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, x.URL+"/i/oauth2/authorize", consent.Scheme+"://"+consent.Host+consent.Path)

	// The user allows it on X, which sends the browser to the callback, which sends it
	// back to the accounts page with the new account's id.
	resp, err = c.Get(consent.String())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	resp, _ = b.get(t, c, local(resp.Header.Get("Location")))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	back := local(resp.Header.Get("Location"))
	require.True(t, strings.HasPrefix(back, Prefix+"/accounts?account_id=acc_"), back)

	resp, body := b.get(t, c, back)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	accounts, err := b.svc.ListAccounts(context.Background(), service.Scope{UserID: u.ID, Mode: service.ModeLive})
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	require.Equal(t, "octoposter", accounts[0].Username)
	require.Contains(t, body, `<p class="notice" role="status">Connected X account @octoposter.</p>`)
	require.Equal(t, []string{accounts[0].ID}, listedAccounts(body))

	// A platform the operator has not set up: the message under its button, 422.
	resp, body = b.post(t, c, Prefix+"/accounts/oauth", url.Values{"platform": {"linkedin"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `<p class="field-error" id="oauth-linkedin-error" role="alert">LinkedIn is not configured on this server: its operator has to register an app and set OCTOPOST_LINKEDIN_CLIENT_ID</p>`)

	// Test mode starts no OAuth flow: its accounts are sandbox ones.
	resp, _ = b.post(t, c, TestPrefix+"/accounts/oauth", url.Values{"platform": {"twitter"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestOAuthRefusalIsToldInOurOwnWords(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")

	q := url.Values{"error": {"access_denied"}, "error_description": {"Call +1 555 0100 to restore your account"}}
	resp, body := b.get(t, c, Prefix+"/accounts?"+q.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Not connected: the platform says you did not allow the connection.")
	require.NotContains(t, body, "555 0100", "a link's free text is never shown")

	q = url.Values{"error": {"<b>weird</b>"}}
	_, body = b.get(t, c, Prefix+"/accounts?"+q.Encode())
	require.Contains(t, body, "Not connected: the platform refused the connection.")
	require.NotContains(t, body, "weird")

	// An account id that is not the user's names nothing.
	_, body = b.get(t, c, Prefix+"/accounts?account_id=acc_01KN9KDSG0AAAAAAAAAAAAAAAA")
	require.NotContains(t, body, "Connected")
}
