package e2e

// The browser harness: the dashboard's tests drive Debian's Chromium with chromedp, as a
// person would use the dashboard, against the same `octopost serve` child process the
// API suites use.
//
// Design:
//
//   - Chromium is found at OCTOPOST_CHROMIUM, else /usr/bin/chromium (Debian's package,
//     installed by scripts/ensure-chromium.sh, which `make test` runs). Without it the
//     browser tests skip and say how to install it, except under CI=true, where they
//     fail: CI must never pass by skipping them.
//   - Each test starts its own headless Chromium with a fresh profile in t.TempDir() and
//     the flags the issue asks for (no sandbox, no GPU, no background networking,
//     component updates, sync or first-run), talking to it over a pipe, not a port.
//   - Only localhost is reachable. No host resolves but the loopback ones
//     (--host-resolver-rules), QUIC is off, and every request for a non-loopback address
//     is sent to a proxy of the test's own that refuses it (403); loopback is never
//     proxied. So nothing leaves the machine, whoever asks.
//   - A page that asks for anything but localhost fails its test, naming the URL: the
//     tab's requests are watched as they are made. What Chromium asks for on its own
//     (it downloads a spell-check dictionary when a text area is typed in, whatever its
//     preferences say) is refused by the proxy and only logged: it is the browser's
//     business, not the dashboard's. The known ones are turned off at the source: the
//     account and component-update services point at a closed local port, and the
//     profile has the password manager (and its leak check) off.
//   - Steps are bounded, never timed: each browser step has browserStepTimeout (generous:
//     the machine is shared and Chromium is slow to start), and a failed step saves a
//     screenshot and names the page it was on.
//   - Screenshots are test artifacts, written under e2e/artifacts/ (OCTOPOST_ARTIFACTS
//     overrides; gitignored) with stable names, so `make screenshots` can copy the
//     current ones into docs/screenshots/ for the README.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

const (
	// browserStartTimeout bounds Chromium's start and its first blank page.
	browserStartTimeout = 60 * time.Second
	// browserStepTimeout bounds one step: a navigation, a form submitted, a read.
	browserStepTimeout = 30 * time.Second
	// laptopWidth and laptopHeight are the window (and screenshot) size.
	laptopWidth, laptopHeight = 1280, 900
	// phoneWidth and phoneHeight are a phone's viewport in CSS pixels.
	phoneWidth, phoneHeight = 390, 844
)

// chromiumPath is the browser the tests drive, or "" (after t.Skip or t.Fatal) when there
// is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("OCTOPOST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	info, err := os.Stat(path)
	if err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return path
	}
	msg := fmt.Sprintf("no Chromium at %s (set OCTOPOST_CHROMIUM, or run scripts/ensure-chromium.sh "+
		"as root to install Debian's chromium and chromium-driver)", path)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + "; under CI=true the browser tests must run")
	}
	t.Skip(msg)
	return ""
}

// artifactsDir is where screenshots go: OCTOPOST_ARTIFACTS, else e2e/artifacts.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OCTOPOST_ARTIFACTS")
	if dir == "" {
		dir = "artifacts" // go test runs in the package's directory, e2e/
	}
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(abs, 0o755))
	return abs
}

// browser is one headless Chromium with one tab, driven by a test.
type browser struct {
	t         *testing.T
	ctx       context.Context // the tab; the browser lives as long as it
	base      string          // the server under test, http://127.0.0.1:PORT
	artifacts string
	output    *syncBuffer // Chromium's stdout and stderr, shown when a step fails
	foreign   *requestLog // non-local requests the tab made: each fails the test
	problems  *requestLog // script errors and refused content (CSP): each fails the test
	proxy     *refusingProxy
}

// newBrowser starts Chromium for t, opens a blank tab at the laptop size, and closes the
// browser when t ends (failing t if a page asked for anything but localhost).
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath(t)
	proxy := newRefusingProxy(t)
	output := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profileDir(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,AutofillServerCommunication,"+
			"NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,DialMediaRouteProvider,"+
			"CertificateTransparencyComponentUpdater,SafeBrowsing,InterestFeedContentSuggestions,"+
			"PasswordLeakDetection"),
		chromedp.Flag("allow-browser-signin", "false"),
		// Chromium still asks its account and component-update services at start, flags
		// or not: they are pointed at a closed local port, so they fail at once here
		// instead of reaching the proxy (which would fail the test).
		chromedp.Flag("gaia-url", "http://"+closedAddr(t)),
		chromedp.Flag("component-updater", "url-source=http://"+closedAddr(t)),
		// Only localhost: no host resolves but the loopback ones (the rules apply to IP
		// literals too), and every non-loopback request goes to the recording proxy
		// (loopback bypasses proxies by default).
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
		chromedp.ProxyServer("http://"+proxy.addr),
		chromedp.WindowSize(laptopWidth, laptopHeight),
		chromedp.CombinedOutput(output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		t.Logf("chromedp: "+format, args...)
	}))
	b := &browser{t: t, ctx: ctx, base: base, artifacts: artifactsDir(t), output: output,
		foreign: &requestLog{}, problems: &requestLog{}, proxy: proxy}

	// The first run starts the browser and binds it to ctx (which has no deadline: a
	// deadline there would end the browser); the bound is kept by a watchdog instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx, chromedp.Navigate("about:blank")) }()
	select {
	case err := <-started:
		if err != nil {
			cancelTab()
			cancelAlloc()
			t.Fatalf("start Chromium (%s): %v\nChromium's output:\n%s", path, err, tail(output.String(), 4000))
		}
	case <-time.After(browserStartTimeout):
		cancelTab()
		cancelAlloc()
		t.Fatalf("Chromium (%s) did not start within %s\nChromium's output:\n%s", path, browserStartTimeout, tail(output.String(), 4000))
	}
	// Page requests are seen as they are made, so a foreign one is reported with its page;
	// so are the errors a page's console shows: an uncaught exception, or content the
	// Content-Security-Policy refused. (Network errors are left out: an error status is
	// often the point, as for a wrong password.)
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if !localURL(ev.Request.URL) {
				b.foreign.add(ev.Request.Method + " " + ev.Request.URL + " (from " + ev.DocumentURL + ")")
			}
		case *runtime.EventExceptionThrown:
			what := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil && ev.ExceptionDetails.Exception.Description != "" {
				what += " " + ev.ExceptionDetails.Exception.Description
			}
			b.problems.add("exception on " + ev.ExceptionDetails.URL + ": " + what)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				b.problems.add(string(ev.Entry.Source) + " error on " + ev.Entry.URL + ": " + ev.Entry.Text)
			}
		}
	}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for Chromium to exit and removes nothing of the test's
		for _, r := range b.foreign.take() {
			t.Errorf("a page asked for something other than localhost: %s", r)
		}
		for _, p := range b.problems.take() {
			t.Errorf("a page's console shows an error: %s", p)
		}
		for _, r := range proxy.requests.take() {
			t.Logf("refused, never sent: Chromium's own request %s", r)
		}
	})
	t.Logf("browser screenshots are saved in %s", b.artifacts)
	return b
}

// step runs actions as one bounded step; on failure it fails the test with what, the page
// it was on and a screenshot of it.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	_ = browserRun(b, what, chromedp.Steps(actions...))
}

// browserRun runs one action that returns a value as a bounded step (a function, as Go
// methods cannot have type parameters).
func browserRun[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// submit clicks sel (a submit button or a link) and waits for the page it leads to,
// returning the final document's HTTP status (after redirects).
func (b *browser) submit(what, sel string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.fail(what, err)
	}
	if resp == nil {
		b.fail(what, errors.New("no document response"))
	}
	return resp.Status
}

// open loads base+path and returns the final document's HTTP status (after redirects).
func (b *browser) open(path string) int64 {
	b.t.Helper()
	resp := browserRun(b, "open "+path, chromedp.NavigateResponse(b.base+path))
	if resp == nil {
		b.fail("open "+path, errors.New("no document response"))
	}
	return resp.Status
}

// path is the current page's path (and query), without the server's address.
func (b *browser) path() string {
	b.t.Helper()
	return strings.TrimPrefix(browserRun(b, "read the location", chromedp.Location()), b.base)
}

// text is the visible text of the first element matching sel, trimmed.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(browserRun(b, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// attr is the attribute name of the first element matching sel ("" when it has none).
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	r := browserRun(b, "read "+sel+"["+name+"]", chromedp.AttributeValue(chromedp.CSS(sel), name, chromedp.NodeReady))
	return r.Value
}

// count is the number of elements matching sel now (no waiting).
func (b *browser) count(sel string) int {
	b.t.Helper()
	return browserRun(b, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// html is the whole document as the browser has it now.
func (b *browser) html() string {
	b.t.Helper()
	return browserRun(b, "read the document", chromedp.Evaluate[string]("document.documentElement.outerHTML"))
}

// fill empties the field sel and types value into it, key by key.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.step("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf("void (document.querySelector(%q).value = '')", sel)),
		chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// click clicks sel, for what does not load a page (a checkbox, a radio button).
func (b *browser) click(sel string) {
	b.t.Helper()
	b.step("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// checked says whether the checkbox or radio button sel is checked.
func (b *browser) checked(sel string) bool {
	b.t.Helper()
	return browserRun(b, "read "+sel+".checked", chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q).checked", sel)))
}

// screenshot saves the whole page as <artifacts>/<name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := browserRun(b, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(b.artifacts, name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
}

// timezone makes the tab's clock read in zone (an IANA name), as if the computer were
// there: pages loaded after it see it (Intl, Date).
func (b *browser) timezone(zone string) {
	b.t.Helper()
	b.step("time zone "+zone, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	}))
}

// allowClipboard lets the pages of the server under test write to the clipboard and read
// it back (a person's browser asks them; a test's cannot).
func (b *browser) allowClipboard() {
	b.t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name},
			Setting:    cdpbrowser.PermissionSettingGranted,
			Origin:     b.base,
		})
		cancel()
		if err != nil {
			b.fail("allow "+name, err)
		}
	}
}

// clipboard is the clipboard's text, read by the page.
func (b *browser) clipboard() string {
	b.t.Helper()
	return browserRun(b, "read the clipboard", chromedp.Evaluate[string]("navigator.clipboard.readText()", chromedp.EvalAwaitPromise))
}

// phone makes the viewport a phone's (touch, mobile, twice the pixels) until laptop.
func (b *browser) phone() {
	b.t.Helper()
	b.step("phone viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight,
		chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// laptop restores the window's own viewport.
func (b *browser) laptop() {
	b.t.Helper()
	b.step("laptop viewport", chromedp.ResetViewport())
}

// fail ends the test at a failed step, with the page it was on, a screenshot of it
// (failed-<test>.png) and Chromium's output.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	where := "(unknown page)"
	shot := ""
	// The step's own deadline may be what failed: look at the page with a fresh bound.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if loc, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		where = loc
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		path := filepath.Join(b.artifacts, "failed-"+strings.ReplaceAll(b.t.Name(), "/", "-")+".png")
		if os.WriteFile(path, png, 0o644) == nil {
			shot = "; screenshot " + path
		}
	}
	b.t.Fatalf("browser step %q failed on %s: %v%s\npage text:\n%s\nChromium's output:\n%s",
		what, where, err, shot, truncate(body, 2000), tail(b.output.String(), 4000))
}

// profileDir is a fresh Chromium profile whose password manager and spell checker are off:
// otherwise, after a sign-in form is submitted, Chromium asks Google whether the password
// has leaked, and the first text area downloads a dictionary.
func profileDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "Default"), 0o700))
	prefs := `{"credentials_enable_service": false, "profile": {"password_manager_enabled": false,` +
		` "password_manager_leak_detection": false}, "browser": {"enable_spellchecking": false},` +
		` "spellcheck": {"dictionaries": [], "use_spelling_service": false}}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o600))
	return dir
}

// closedAddr is a loopback address nothing listens on: a port the kernel gave out and
// that was closed again.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// tail is the end of s, at most n bytes: Chromium's last words are the ones that matter.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// localURL says whether a page's request stays on this machine: loopback addresses and
// localhost, and the browser's own schemes that make no request at all.
func localURL(raw string) bool {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return strings.HasPrefix(raw, "data:") || strings.HasPrefix(raw, "about:") || strings.HasPrefix(raw, "blob:")
	}
	if scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss" {
		return scheme == "chrome" || scheme == "devtools" || scheme == "chrome-extension"
	}
	hostport, _, _ := strings.Cut(rest, "/")
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refusingProxy is the proxy every non-loopback request of the browser is sent to: it
// records the request and refuses it, so nothing leaves the machine, whether a page or
// the browser itself asked.
type refusingProxy struct {
	addr     string
	requests requestLog
}

func newRefusingProxy(t *testing.T) *refusingProxy {
	t.Helper()
	f := &refusingProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy sees the absolute URL (http) or CONNECT host:port (https).
		target := r.URL.String()
		if r.Method == http.MethodConnect {
			target = r.Host
		}
		f.requests.add(r.Method + " " + target)
		http.Error(w, "the browser tests only talk to localhost", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	f.addr = strings.TrimPrefix(srv.URL, "http://")
	return f
}

// requestLog collects requests, written from chromedp's and the proxy's goroutines.
type requestLog struct {
	mu       sync.Mutex
	requests []string
}

func (l *requestLog) add(r string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r)
}

// take returns the requests recorded so far and forgets them.
func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.requests
	l.requests = nil
	return out
}

// TestBrowserKeepsToLocalhost checks the harness itself on pages of its own: the browser
// starts, screenshots are PNG files where the log says, a page's script error and refused
// inline script are caught, and a page that reaches for another host (a name and an IP
// literal) is caught and refused, never sent.
func TestBrowserKeepsToLocalhost(t *testing.T) {
	t.Parallel()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<!doctype html><title>local</title><h1 id="hello">Hello</h1>`+
				`<form action="/next" method="post"><label for="name">Name</label><input id="name" name="name">`+
				`<button type="submit">Go</button></form>`)
		case "/next":
			require.NoError(t, r.ParseForm())
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `<!doctype html><title>next</title><p id="said">%s</p>`, r.PostForm.Get("name"))
		case "/broken":
			// Under a policy like the dashboard's: an inline script is refused, and the
			// page's own script throws.
			w.Header().Set("Content-Security-Policy", "script-src 'self'")
			fmt.Fprint(w, `<!doctype html><title>broken</title><p id="broken">broken</p>`+
				`<script>document.title = "inline"</script><script src="/throw.js"></script>`)
		case "/throw.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `throw new Error("octopost test failure")`)
		case "/away":
			// Written as an RFC 2606 name and a TEST-NET-1 address: were the guard broken,
			// neither could reach anyone.
			fmt.Fprint(w, `<!doctype html><title>away</title><p id="away">away</p>`+
				`<img src="http://octopost.invalid/a.png"><img src="http://192.0.2.1/b.png">`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(page.Close)

	b := newBrowser(t, page.URL)
	require.Equal(t, int64(http.StatusOK), b.open("/"))
	require.Equal(t, "Hello", b.text("#hello"))
	b.fill("#name", "Ada")
	require.Equal(t, int64(http.StatusCreated), b.submit("submit the form", "button[type=submit]"))
	require.Equal(t, "/next", b.path())
	require.Equal(t, "Ada", b.text("#said"))

	b.screenshot("harness-check")
	png, err := os.ReadFile(filepath.Join(b.artifacts, "harness-check.png"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n"), "a PNG file")

	require.Empty(t, b.foreign.take(), "a local page asked for nothing else")
	require.Empty(t, b.problems.take(), "a page without scripts has no script errors")

	require.Equal(t, int64(http.StatusOK), b.open("/broken"))
	var problems []string
	for deadline := time.Now().Add(browserStepTimeout); time.Now().Before(deadline) && len(problems) < 2; time.Sleep(50 * time.Millisecond) {
		problems = append(problems, b.problems.take()...)
	}
	joined := strings.Join(problems, "\n")
	require.Contains(t, joined, "octopost test failure", "the exception")
	require.Contains(t, joined, "Content Security Policy", "the refused inline script")
	require.Equal(t, "broken", browserRun(b, "read the title", chromedp.Title()), "the inline script did not run")

	require.Equal(t, int64(http.StatusOK), b.open("/away"))
	// Images load after the document: wait, bounded, until the page's two requests have
	// been seen in the tab and refused by the proxy.
	wanted := []string{"http://octopost.invalid/a.png", "http://192.0.2.1/b.png"}
	var fromPage, atProxy []string
	all := func(log []string) bool {
		joined := strings.Join(log, "\n")
		for _, w := range wanted {
			if !strings.Contains(joined, w) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(browserStepTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fromPage = append(fromPage, b.foreign.take()...)
		atProxy = append(atProxy, b.proxy.requests.take()...)
		if all(fromPage) && all(atProxy) {
			break
		}
	}
	for _, w := range wanted {
		require.Contains(t, strings.Join(fromPage, "\n"), "GET "+w+" (from "+page.URL+"/away)", "seen in the tab")
		require.Contains(t, atProxy, "GET "+w, "refused by the proxy")
	}
	complete := browserRun(b, "read the images' state", chromedp.Evaluate[[]bool](
		`[...document.images].map(i => i.complete && i.naturalWidth > 0)`))
	require.Equal(t, []bool{false, false}, complete, "neither image loaded")
}
