package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service"
)

// sessionCookie holds the session's token; only its hash is stored.
const sessionCookie = "octopost_session"

// tzCookie holds the browser's IANA time zone, set by app.js.
const tzCookie = "octopost_tz"

// request is what a signed-in page's handler gets: the request, whose session it is, and
// which mode's data it shows.
type request struct {
	*http.Request
	User    service.User
	Session service.Session
	Mode    service.Mode
	Scope   service.Scope  // the user in the page's mode: every read and write goes through it
	Base    string         // Prefix or TestPrefix: every link and form starts with it
	TZ      *time.Location // the browser's zone; UTC until the script has said it
}

// handler serves a signed-in page. An error it returns is shown by fail.
type handler func(w http.ResponseWriter, r *request) error

type requestKey struct{}

// sessionFrom returns the signed-in request r is part of, for pages (the error page)
// rendered outside a handler.
func sessionFrom(r *http.Request) (*request, bool) {
	s, ok := r.Context().Value(requestKey{}).(*request)
	return s, ok
}

// signedIn serves h to a signed-in user, in mode. Without a valid session the browser
// goes to the sign-in page (and back here after it), or to the first-run setup while the
// instance has no user at all.
func (d *Dashboard) signedIn(mode service.Mode, base string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, user, err := d.currentSession(r)
		if errors.Is(err, service.ErrUnauthenticated) {
			d.toSignIn(w, r)
			return
		}
		if err != nil {
			d.fail(w, r, err)
			return
		}
		req := &request{
			User: user, Session: session, Mode: mode, Base: base, TZ: browserZone(r),
			Scope: service.Scope{UserID: user.ID, Mode: mode},
		}
		req.Request = r.WithContext(context.WithValue(r.Context(), requestKey{}, req))
		if err := h(w, req); err != nil {
			d.fail(w, req.Request, err)
		}
	})
}

// currentSession returns the session of r's cookie: ErrUnauthenticated without one, or
// when it has expired or was revoked.
func (d *Dashboard) currentSession(r *http.Request) (service.Session, service.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return service.Session{}, service.User{}, service.ErrUnauthenticated
	}
	return d.svc.SessionUser(r.Context(), c.Value)
}

// toSignIn sends the browser to sign in, and then back to the page it asked for (a GET;
// a form sent with an expired session cannot be sent again for it).
func (d *Dashboard) toSignIn(w http.ResponseWriter, r *http.Request) {
	has, err := d.svc.HasUsers(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if !has {
		http.Redirect(w, r, Prefix+"/setup", http.StatusSeeOther)
		return
	}
	target := Prefix + "/signin"
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// startSession sets the session cookie. It lasts as long as the browser, at most the
// session's lifetime; the server ends it sooner when it goes unused (SessionIdleTimeout).
func (d *Dashboard) startSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: Prefix,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.secure(r),
		MaxAge: int(service.SessionLifetime / time.Second),
	})
}

// endSession clears the session cookie.
func (d *Dashboard) endSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: d.secure(r), MaxAge: -1,
	})
}

// secure reports whether the dashboard is served over https: to this server, or to the
// proxy in front of it that OCTOPOST_PUBLIC_URL names.
func (d *Dashboard) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(d.opts.PublicURL, "https://")
}

// browserZone is the time zone app.js reported, UTC until it has: times are then shown
// in UTC and say so.
func browserZone(r *http.Request) *time.Location {
	c, err := r.Cookie(tzCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return time.UTC
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil {
		return time.UTC
	}
	// service.LoadZone refuses "Local", which would be the server's zone, not the
	// browser's, and keeps the zones it loaded.
	loc, err := service.LoadZone(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// localPath reports whether next is a page of the dashboard to return to after signing
// in: a path under Prefix on this server, never another site ("//evil", "/\evil",
// "https://…"), so that the sign-in page cannot be used as an open redirect.
func localPath(next string) bool {
	if !Serves(strings.SplitN(next, "?", 2)[0]) || strings.ContainsAny(next, "\\\r\n") {
		return false
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(next, "//")
}
