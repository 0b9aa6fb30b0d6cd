// Package dashboard serves the Octopost Dashboard: the pages under /dashboard where a
// user signs in, makes and revokes API keys (Settings > API Keys, as the authentication
// page describes), connects accounts, writes and publishes posts, and manages webhooks
// and presets. It is served by the same binary as the API and calls the same service,
// so the dashboard and the API can never disagree on a rule.
//
// Design:
//
//   - Server-rendered with html/template, no build step: every page works without
//     JavaScript. One small script of our own (static/app.js) adds what a page cannot do
//     alone: copying a key, and telling the server the browser's time zone (a cookie), so
//     that times are shown, and typed, in the user's zone.
//   - The mode is in the URL, as payment dashboards have it: live data under /dashboard/…,
//     test data under /dashboard/test/…. Each page is registered once (page) and answers
//     in both; a tab's links and forms always act on the mode it shows, whatever another
//     tab switched to. The header's switch links to the same page in the other mode.
//   - Sessions are rows in the database (service/sessions.go): the cookie holds a random
//     token whose hash is stored, so sign-out and revocation take effect at once on every
//     instance. The cookie is HttpOnly, SameSite=Lax, limited to /dashboard, and Secure
//     when the dashboard is served over https.
//   - Cross-site request forgery is refused for every state-changing request by
//     net/http's CrossOriginProtection (Sec-Fetch-Site, else Origin against Host), so no
//     form needs a token. Every page also sends a strict Content-Security-Policy: no inline
//     script or style, nothing from another origin, no framing.
//   - Secrets (a new API key, a webhook's signing secret) are rendered once, in the
//     response to the POST that made them, with Cache-Control: no-store; they are never
//     stored anywhere they could be shown again. Every other POST answers 303 to a page,
//     with a one-time notice in a cookie.
package dashboard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
)

// Prefix is where the dashboard is served; TestPrefix is where its test-mode pages are.
const (
	Prefix     = "/dashboard"
	TestPrefix = Prefix + "/test"
)

// Options are the operator's choices the dashboard needs.
type Options struct {
	Logger *slog.Logger
	// PublicURL is the server's external base URL (OCTOPOST_PUBLIC_URL): OAuth consent
	// screens come back to {PublicURL}/dashboard/accounts, and an https one makes the
	// session cookie Secure even behind a proxy that terminates TLS.
	PublicURL string
	// Platforms is the platform registry (platforms.All): names, and how each platform's
	// accounts connect.
	Platforms platform.Registry
}

// Dashboard is the dashboard's handler.
type Dashboard struct {
	svc     *service.Service
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	pages   *templates
	limits  limits // the contract's, read from openapi.yaml (limits.go)
	handler http.Handler
}

// sections register the routes of each part of the dashboard (sign-in, API keys,
// accounts, posts, …); each file adds its own in an init function, so that the parts
// stay independent of each other.
var sections []func(*Dashboard)

// New returns the dashboard, ready to be served under Prefix. It fails when the embedded
// openapi.yaml lacks a limit the dashboard's forms check (limits.go).
func New(svc *service.Service, opts Options) (*Dashboard, error) {
	spec, err := oapi.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("dashboard: load embedded spec: %w", err)
	}
	return newWithSpec(svc, opts, spec)
}

// newWithSpec is New with the contract read from spec (tests pass a modified copy).
func newWithSpec(svc *service.Service, opts Options, spec *openapi3.T) (*Dashboard, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := &Dashboard{svc: svc, opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	var err error
	if d.limits, err = readLimits(spec, d.credentialNames()); err != nil {
		return nil, err
	}
	pages, err := parseTemplates(d.funcs())
	if err != nil {
		return nil, err
	}
	d.pages = pages
	d.mux.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", staticFiles()))
	for _, routes := range sections {
		routes(d)
	}
	d.page("GET /{$}", func(w http.ResponseWriter, r *request) error {
		http.Redirect(w, r.Request, r.Base+"/posts", http.StatusSeeOther)
		return nil
	})
	d.mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
	})
	d.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		d.renderError(w, r, http.StatusNotFound, "There is no such page.")
	})

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.renderError(w, r, http.StatusForbidden,
			"This form was sent from another site, so it was refused. Open the dashboard and send it from there.")
	}))
	d.handler = securityHeaders(csrf.Handler(d.mux))
	return d, nil
}

// ServeHTTP serves every path under Prefix.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.handler.ServeHTTP(w, r)
}

// Serves reports whether path is the dashboard's, for the server that mounts it beside
// the API (api.Options.Pages).
func (d *Dashboard) Serves(path string) bool { return Serves(path) }

// Serves reports whether path is the dashboard's: Prefix itself or below it.
func Serves(path string) bool {
	return path == Prefix || strings.HasPrefix(path, Prefix+"/")
}

// contentSecurityPolicy allows the dashboard's own script, style and images, nothing
// inline, nothing from elsewhere, and no framing (clickjacking). Forms may go elsewhere:
// starting an OAuth connection posts a form whose answer redirects to the platform.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// page registers h for a signed-in user at pattern ("GET /posts"), in both modes:
// Prefix+path for live data, TestPrefix+path for test data.
func (d *Dashboard) page(pattern string, h handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		panic("dashboard: page pattern must be \"METHOD /path\": " + pattern)
	}
	for _, m := range []struct {
		mode service.Mode
		base string
	}{{service.ModeLive, Prefix}, {service.ModeTest, TestPrefix}} {
		d.mux.Handle(method+" "+m.base+path, d.signedIn(m.mode, m.base, h))
	}
}

// fail shows what a handler could not: a 413 or 400 for a form that could not be read
// (forms.go), a 404 for a resource that is not the user's in this mode, a 409 with the
// service's message for a state that forbids the change, and a 500 (logged, with nothing of the cause shown) for anything else.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *formError
	if errors.As(err, &fe) {
		status, message := fe.status()
		d.renderError(w, r, status, message)
		return
	}
	var se *service.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case service.KindNotFound:
			d.renderError(w, r, http.StatusNotFound, se.Message+".")
			return
		case service.KindConflict, service.KindForbidden:
			d.renderError(w, r, http.StatusConflict, se.Message)
			return
		case service.KindValidation:
			d.renderError(w, r, http.StatusUnprocessableEntity, se.Error())
			return
		}
	}
	d.log.ErrorContext(r.Context(), "dashboard request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	d.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Try again; if it keeps happening, the server's log says why.")
}
