package e2e

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// postSettleTimeout bounds how long a published post may take to show its result in the
// browser (a sandbox publish runs in the queue within a second or two; the machine is
// shared and slow).
const postSettleTimeout = 60 * time.Second

// TestDashboardInABrowser walks the authentication page's instructions and the rest of
// the dashboard in Chromium, on a fresh server: the first-run setup, signing out and in,
// Settings > API Keys (a test key with two permissions, read from the page once, used
// against the API, revoked from the page with a confirmation, refused at once), then
// test mode: a sandbox account connected, a post created and published now, and its
// result seen. It saves screenshots of each page it passes (browser_helpers_test.go says
// where); `make screenshots` copies them to docs/screenshots/ for the README.
func TestDashboardInABrowser(t *testing.T) {
	t.Parallel()
	const (
		email    = "newcomer@example.com"
		password = "correct horse battery staple"
		keyName  = "Browser test key"
		content  = "Hello from the dashboard, in a real browser"
	)
	// Webhooks may be delivered over http to 127.0.0.1, where this test's receiver is.
	e := pgEnv(t)
	e["OCTOPOST_WEBHOOKS_ALLOW_PRIVATE"] = "true"
	// A fixed address, so that the server knows the URL it is reached at (the key's page
	// shows it in its curl example) before it starts.
	addr := closedAddr(t)
	e["OCTOPOST_ADDR"] = addr
	e["OCTOPOST_PUBLIC_URL"] = "http://" + addr
	srv := startServer(t, e)
	b := newBrowser(t, srv.url)
	// The newcomer is in Paris: the dashboard shows times in the browser's zone.
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	b.timezone("Europe/Paris")
	b.allowClipboard()

	// First run: the dashboard offers the one-time setup, which signs the new user in and
	// goes to Settings > API Keys, as the authentication page's first steps say.
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard"))
	require.Equal(t, "/dashboard/setup", b.path(), "a fresh instance offers the setup")
	b.screenshot("dashboard-setup")
	b.fill("#email", email)
	b.fill("#password", password)
	b.fill("#password-confirm", password)
	require.Equal(t, int64(http.StatusOK), b.submit("create the first user", "button[type=submit]"))
	require.Equal(t, "/dashboard/settings/api-keys", b.path())
	require.Equal(t, "Live", b.text("#mode-label"))
	require.Equal(t, "false", b.attr("#mode-switch", "aria-checked"))
	require.Contains(t, b.text("footer"), "Europe/Paris", "times are in the browser's zone from the first page on")
	// The setup happens once: afterwards it leads to sign-in.
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/setup"))
	require.NotEqual(t, "/dashboard/setup", b.path(), "the setup is offered only once")

	// Sign out, and sign in again (a wrong password first: refused, still signed out).
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/settings/api-keys"))
	b.submit("sign out", "#signout")
	require.Equal(t, "/dashboard/signin", b.path())
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/settings/api-keys"))
	require.True(t, strings.HasPrefix(b.path(), "/dashboard/signin"), "signed out, a page asks to sign in: %s", b.path())
	b.fill("#email", email)
	b.fill("#password", "not the password")
	require.GreaterOrEqual(t, b.submit("sign in with a wrong password", "button[type=submit]"), int64(400))
	require.Zero(t, b.count("#signout"), "a wrong password does not sign in")
	b.open("/dashboard/signin")
	b.screenshot("dashboard-signin")
	b.fill("#email", email)
	b.fill("#password", password)
	require.Equal(t, int64(http.StatusOK), b.submit("sign in", "button[type=submit]"))
	require.Equal(t, 1, b.count("#signout"), "signed in")

	// Settings > API Keys > Create API Key: a name, test mode, two permissions.
	require.Equal(t, int64(http.StatusOK), b.submit("open Settings > API Keys", "#nav-keys"))
	require.Equal(t, "/dashboard/settings/api-keys", b.path())
	require.Contains(t, b.text("#create-key"), "full access", "the page says what no permission means")
	b.fill("#name", keyName)
	b.click("#mode-test")
	b.click("#perm-posts-read")
	b.click("#perm-accounts-read")
	require.True(t, b.checked("#mode-test"))
	require.Equal(t, int64(http.StatusCreated), b.submit("create the key", "#create-key button[type=submit]"))
	key := b.text("#new-key")
	require.Regexp(t, regexp.MustCompile(`^oct_test_[0-9A-Za-z]{20,}$`), key, "the full key, shown once")
	require.Contains(t, b.text("main"), "curl "+srv.url+"/v1/posts", "the example calls this server")
	b.click("#copy-key")
	require.Equal(t, key, b.clipboard(), "the copy button copies the key")
	b.screenshot("dashboard-key-created")

	// The key works as its permissions say, through the API's contract check.
	r := get(t, srv, "/v1/posts", key)
	require.Equal(t, http.StatusOK, r.status, "posts:read: %s", r.raw)
	r = get(t, srv, "/v1/accounts", key)
	require.Equal(t, http.StatusOK, r.status, "accounts:read: %s", r.raw)
	requireForbidden(t, send(t, srv, http.MethodPost, "/v1/posts", key,
		`{"content": "not allowed", "platforms": ["bluesky"]}`))

	// Back on the list the key is never shown again; its row has its name, mode and
	// permissions.
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/settings/api-keys"))
	require.NotContains(t, b.html(), key, "the key is shown once only")
	row := `#keys tr[data-key-id]`
	require.Equal(t, 1, b.count(row))
	keyID := b.attr(row, "data-key-id")
	require.Regexp(t, `^key_[0-9A-Z]{26}$`, keyID)
	rowText := b.text(row)
	for _, want := range []string{keyName, "test", "posts:read", "accounts:read", "active"} {
		require.Contains(t, rowText, want)
	}
	b.screenshot("dashboard-api-keys")

	// Revoke it from the page, through the confirmation: the API refuses it at once.
	b.submit("open the revoke confirmation", row+" a.revoke")
	require.Equal(t, "/dashboard/settings/api-keys/"+keyID+"/revoke", b.path())
	require.Equal(t, int64(http.StatusOK), b.submit("confirm the revocation", "#confirm"))
	require.Equal(t, "/dashboard/settings/api-keys", b.path())
	require.Equal(t, 1, b.count(row+" .badge-revoked"), "the row shows the key revoked")
	require.Zero(t, b.count(row+" a.revoke"))
	requireUnauthorized(t, get(t, srv, "/v1/posts", key))

	// Test mode, from the header's switch: the same page, test data.
	require.Equal(t, int64(http.StatusOK), b.submit("switch to test mode", "#mode-switch"))
	require.Equal(t, "/dashboard/test/settings/api-keys", b.path())
	require.Equal(t, "Test", b.text("#mode-label"))
	require.Equal(t, "true", b.attr("#mode-switch", "aria-checked"))

	// Connect a sandbox Bluesky account.
	require.Equal(t, int64(http.StatusOK), b.submit("open Accounts", "#nav-accounts"))
	require.Equal(t, "/dashboard/test/accounts", b.path())
	b.submit("connect a sandbox Bluesky account", "#connect-bluesky button[type=submit]")
	account := `#accounts tr[data-platform="bluesky"]`
	require.Equal(t, 1, b.count(account), "the account is listed")
	require.Equal(t, 1, b.count(account+" .badge-active"))
	b.screenshot("dashboard-accounts")

	// Create a post to it and publish it now.
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/test/posts/new"))
	b.fill("#content", content)
	b.click("#platform-bluesky")
	b.screenshot("dashboard-new-post")
	b.submit("publish the post now", "#publish-now")
	postPath := b.path()
	require.Regexp(t, `^/dashboard/test/posts/post_[0-9A-Z]{26}$`, postPath, "publishing shows the post")
	postID := strings.TrimPrefix(postPath, "/dashboard/test/posts/")

	// See the result: the page shows the post published, with Bluesky's link.
	deadline := time.Now().Add(postSettleTimeout)
	for b.text("#post-status") != "published" {
		status := b.text("#post-status")
		require.Contains(t, []string{"publishing", "scheduled", "draft", "published"}, status, "the publish did not fail")
		require.True(t, time.Now().Before(deadline), "the post was not published within %s (status %s)", postSettleTimeout, status)
		time.Sleep(250 * time.Millisecond)
		b.open(postPath)
	}
	result := `#results tr[data-platform="bluesky"]`
	require.Equal(t, 1, b.count(result))
	require.Contains(t, strings.ToLower(b.text(result+" .result-status")), "published")
	url := b.attr(result+" a.result-url", "href")
	require.True(t, strings.HasPrefix(url, "https://bsky.app/profile/"), "a link of Bluesky's shape: %q", url)
	b.screenshot("dashboard-post")
	shown := b.html()

	// The API, with another test key, agrees with the page.
	dir := t.TempDir()
	p := getPost(t, client(t, srv, createKey(t, dir, e, email, "test").Key), postID)
	require.Equal(t, oapi.PostStatus("published"), p.Status)
	require.Equal(t, url, deref(p.PlatformResults["bluesky"].PostUrl))
	published, err := p.PublishedAt.Get()
	require.NoError(t, err)
	require.Contains(t, shown, published.In(paris).Format("15:04 MST"), "the publish time, in Paris time")

	// The list and the calendar show it too.
	require.Equal(t, int64(http.StatusOK), b.submit("open Posts", "#nav-posts"))
	require.Equal(t, 1, b.count(`#posts tr[data-post-id="`+postID+`"]`))
	require.Equal(t, int64(http.StatusOK), b.submit("open the calendar", "#nav-calendar"))
	require.Contains(t, b.text("main"), content[:20], "the calendar shows the published post")
	b.screenshot("dashboard-calendar")

	// The queue: a post added to it from the form is number 1, and the queue's page plans
	// it into the first of the next slots.
	const queued = "Queued from the dashboard"
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/test/posts/new"))
	b.fill("#content", queued)
	b.click("#platform-bluesky")
	b.submit("add the post to the queue", "#add-to-queue")
	require.Regexp(t, `^/dashboard/test/posts/post_[0-9A-Z]{26}$`, b.path(), "queueing shows the post")
	require.Contains(t, b.text("#queue-state"), "number 1")
	require.Equal(t, int64(http.StatusOK), b.submit("open the queue", "#nav-queue"))
	require.Equal(t, "/dashboard/test/queue", b.path())
	require.Contains(t, b.text(`#slots tr[data-slot="1"]`), queued, "the first slot takes the queued post")
	b.screenshot("dashboard-queue")

	// A webhook: its signing secret read from the page once, a test event sent from its
	// page, received signed with that secret, and shown delivered in its log.
	recv := &verifyingReceiver{t: t}
	hookSrv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = hookSrv.Serve(ln) }()
	t.Cleanup(func() { _ = hookSrv.Close() })
	require.Equal(t, int64(http.StatusOK), b.submit("open Webhooks", "#nav-webhooks"))
	b.fill("#url", "http://"+ln.Addr().String()+"/hook")
	b.click("#event-post-published")
	require.Equal(t, int64(http.StatusCreated), b.submit("add the webhook", "#create-webhook button[type=submit]"))
	secret := b.text("#new-secret")
	require.True(t, strings.HasPrefix(secret, "whsec_"), "the signing secret, shown once")
	recv.setSecret(secret)
	require.Equal(t, int64(http.StatusOK), b.open("/dashboard/test/webhooks"))
	require.NotContains(t, b.html(), secret, "the secret is shown once only")
	b.screenshot("dashboard-webhooks")
	b.submit("open the webhook", `a[href^="/dashboard/test/webhooks/wh"]`)
	hookPath := b.path()
	require.Equal(t, int64(http.StatusOK), b.submit("send a test event", "#send-test"))
	require.Equal(t, hookPath, b.path())
	delivery := `#deliveries tr[data-delivery-id]`
	for deadline := time.Now().Add(deliveryTimeout); ; {
		if b.count(delivery) == 1 && b.text(delivery+" .delivery-state") == "delivered" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the test event was not delivered within %s", deliveryTimeout)
		time.Sleep(250 * time.Millisecond)
		b.open(hookPath)
	}
	ids, invalid := recv.received()
	require.Zero(t, invalid, "every request was signed with the secret the page showed")
	require.Equal(t, []string{b.attr(delivery, "data-event-id")}, ids, "the receiver got the logged event, once")
	b.screenshot("dashboard-webhook")

	// On a phone: the post's page.
	b.phone()
	require.Equal(t, int64(http.StatusOK), b.open(postPath))
	require.Equal(t, "published", b.text("#post-status"))
	require.True(t, browserRun(b, "measure the page", chromedp.Evaluate[bool](
		"document.documentElement.scrollWidth <= window.innerWidth")), "the page fits a phone's width (wide tables scroll inside)")
	b.screenshot("dashboard-phone-post")
	b.laptop()
}
