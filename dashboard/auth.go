package dashboard

// Signing in, out, and the first-run setup.
//
// Design:
//
//   - Setup exists only while the instance has no user: the first visitor of a fresh
//     instance makes the first user and is signed in. Once any user exists, GET /setup
//     goes to sign-in and POST /setup is refused (409) — the service's SetupFirstUser
//     decides, race-free, so two visitors racing on a fresh instance cannot both win.
//   - A failed sign-in says the same thing whether the email is unknown, the password
//     wrong, or the user has no password: the page must not tell anyone which emails
//     exist. The service limits failed sign-ins per email and per client address; over
//     the limit the page answers 429 with Retry-After, before any password is hashed.
//   - After signing in the browser returns to the page it asked for (?next=), but only
//     to a dashboard page of this server: the sign-in page must not become an open
//     redirect that sends a freshly signed-in user to another site.
//   - Every POST here passes the dashboard's cross-origin protection (dashboard.go), so a
//     page elsewhere can neither sign a visitor in to an account of its choosing (login
//     CSRF) nor sign them out.

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesAuth) }

func (d *Dashboard) routesAuth() {
	d.mux.Handle("GET "+Prefix+"/setup", d.public(d.setupPage))
	d.mux.Handle("POST "+Prefix+"/setup", d.public(d.setup))
	d.mux.Handle("GET "+Prefix+"/signin", d.public(d.signInPage))
	d.mux.Handle("POST "+Prefix+"/signin", d.public(d.signIn))
	d.mux.Handle("POST "+Prefix+"/signout", d.public(d.signOut))
}

// public serves a page that needs no session; an error it returns is shown by fail.
func (d *Dashboard) public(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			d.fail(w, r, err)
		}
	})
}

// setupForm is what the setup page shows: what the user typed (never the password).
type setupForm struct {
	Email     string
	MinLength int
}

func (d *Dashboard) setupPage(w http.ResponseWriter, r *http.Request) error {
	has, err := d.svc.HasUsers(r.Context())
	if err != nil {
		return err
	}
	if has {
		http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
		return nil
	}
	return d.renderSetup(w, r, 0, setupForm{}, nil)
}

func (d *Dashboard) renderSetup(w http.ResponseWriter, r *http.Request, status int, f setupForm, p *problems) error {
	f.MinLength = service.PasswordMinLength
	return d.renderPublic(w, r, status, "setup", page{Title: "Set up Octopost", Problems: p, Data: f})
}

// alreadySetUp is the answer to a setup sent once the instance has a user.
const alreadySetUp = "This Octopost instance is already set up. Sign in instead; the operator can add users with octopost users create."

func (d *Dashboard) setup(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(w, r, smallFormLimit); err != nil {
		return err
	}
	has, err := d.svc.HasUsers(r.Context())
	if err != nil {
		return err
	}
	if has {
		d.renderError(w, r, http.StatusConflict, alreadySetUp)
		return nil
	}
	f := setupForm{Email: strings.TrimSpace(r.PostForm.Get("email"))}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password-confirm") {
		return d.renderSetup(w, r, http.StatusUnprocessableEntity, f, &problems{
			Message: "The two passwords differ.",
			fields:  map[string]string{"password-confirm": "must be the same password as above"},
		})
	}
	if _, err := d.svc.SetupFirstUser(r.Context(), f.Email, password); err != nil {
		if p, ok := formProblems(err); ok {
			return d.renderSetup(w, r, http.StatusUnprocessableEntity, f, p)
		}
		var se *service.Error
		if errors.As(err, &se) && se.Kind == service.KindConflict {
			// Another visitor finished the setup first.
			d.renderError(w, r, http.StatusConflict, alreadySetUp)
			return nil
		}
		return err
	}
	_, token, err := d.svc.SignIn(r.Context(), f.Email, password, clientAddr(r), r.UserAgent())
	var limited *service.SignInLimitedError
	if errors.As(err, &limited) {
		// The user exists; this address has failed too often to be signed in now. The
		// sign-in page says how long to wait.
		d.setNotice(w, r, "Your user is set up. Sign in with it.")
		http.Redirect(w, r, Prefix+"/signin?next="+url.QueryEscape(Prefix+"/settings/api-keys"), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return fmt.Errorf("sign in the user just set up: %w", err)
	}
	d.startSession(w, r, token)
	d.setNotice(w, r, "Welcome! Create your first API key below.")
	http.Redirect(w, r, Prefix+"/settings/api-keys", http.StatusSeeOther)
	return nil
}

// signInForm is what the sign-in page shows: what the user typed (never the password)
// and where to go afterwards.
type signInForm struct {
	Email string
	Next  string
}

func (d *Dashboard) signInPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, _, err := d.currentSession(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	} else if !errors.Is(err, service.ErrUnauthenticated) {
		return err
	}
	has, err := d.svc.HasUsers(r.Context())
	if err != nil {
		return err
	}
	if !has {
		http.Redirect(w, r, Prefix+"/setup", http.StatusSeeOther)
		return nil
	}
	return d.renderSignIn(w, r, 0, signInForm{Next: nextField(next)}, nil)
}

func (d *Dashboard) renderSignIn(w http.ResponseWriter, r *http.Request, status int, f signInForm, p *problems) error {
	return d.renderPublic(w, r, status, "signin", page{Title: "Sign in to Octopost", Problems: p, Data: f})
}

func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(w, r, smallFormLimit); err != nil {
		return err
	}
	next := safeNext(r.PostForm.Get("next"))
	f := signInForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Next: nextField(next)}
	_, token, err := d.svc.SignIn(r.Context(), f.Email, r.PostForm.Get("password"), clientAddr(r), r.UserAgent())
	var limited *service.SignInLimitedError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(limited.RetryAfter.Seconds()))))
		return d.renderSignIn(w, r, http.StatusTooManyRequests, f, &problems{
			Message: fmt.Sprintf("Too many failed sign-ins. Try again in %s.", minutes(limited.RetryAfter)),
		})
	case errors.Is(err, service.ErrSignInFailed):
		// One message for an unknown email, a wrong password and a user without one.
		// 422, as a form that cannot be accepted: a 401 would need an HTTP
		// authentication scheme, which a form is not.
		return d.renderSignIn(w, r, http.StatusUnprocessableEntity, f, &problems{
			Message: "The email or password is not right.",
		})
	case err != nil:
		return err
	}
	// The browser's previous session, if it had one (signing in as someone else without
	// signing out), ends here: its cookie is about to be replaced, and a session nobody
	// holds should not stay valid until it expires.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := d.svc.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	d.startSession(w, r, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signOut ends the session of the cookie, if any, and clears the cookie. Sent without a
// valid session it still clears the cookie and shows the sign-in page.
func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := d.svc.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	d.endSession(w, r)
	d.setNotice(w, r, "You are signed out.")
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
	return nil
}

// setNotice shows notice once on the next page (redirect does it for signed-in pages).
// A notice longer than noticeMaxBytes is shortened here, so that it is never dropped.
func (d *Dashboard) setNotice(w http.ResponseWriter, r *http.Request, notice string) {
	http.SetCookie(w, &http.Cookie{
		Name: noticeCookie, Value: url.QueryEscape(shortenNotice(notice)), Path: Prefix,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.secure(r), MaxAge: 60,
	})
}

// clientAddr is the address the sign-in limiter counts failures by: the TCP peer's.
// X-Forwarded-For and similar headers are deliberately ignored: anyone can send them,
// so trusting them would let an attacker pick a fresh "address" for every guess and
// escape the per-address limit. Behind a proxy every client shares the proxy's address;
// the per-email limit still holds for each account.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext is where to go after signing in: next when it is a dashboard page of this
// server, else the dashboard's start. next is also checked as a browser will resolve it:
// its path decoded and cleaned ("/dashboard/../x" and "/dashboard/%2e%2e/x" are "/x", not
// dashboard pages).
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || !localPath(next) {
		return Prefix + "/"
	}
	u, err := url.Parse(next)
	if err != nil || !Serves(path.Clean(u.Path)) {
		return Prefix + "/"
	}
	return next
}

// nextField is the sign-in form's hidden next value: empty for the default start.
func nextField(next string) string {
	if next == Prefix+"/" {
		return ""
	}
	return next
}

// minutes says d in whole minutes, rounded up: "1 minute", "15 minutes".
func minutes(d time.Duration) string {
	n := int(math.Ceil(d.Minutes()))
	if n <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}
