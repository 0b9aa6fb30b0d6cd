package dashboard

// Settings > Sessions: where the user is signed in, and a way to end any of those
// sessions — a browser left signed in elsewhere, or one the user does not recognise.
// Sessions are rows in the database, so a revoked one is refused on its next request, on
// every instance. Revoking the session in use signs this browser out.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesSessions) }

func (d *Dashboard) routesSessions() {
	d.page("GET /settings/sessions", d.sessionsPage)
	d.page("POST /settings/sessions/{id}/revoke", d.revokeSession)
}

type sessionsData struct {
	Sessions []service.Session
	Current  string // the id of the session this page is shown in
	Idle     string // service.SessionIdleTimeout, in words
	Lifetime string // service.SessionLifetime, in words
}

func (d *Dashboard) sessionsPage(w http.ResponseWriter, r *request) error {
	sessions, err := d.svc.ListSessions(r.Context(), r.User.ID)
	if err != nil {
		return err
	}
	return d.render(w, r, 0, "sessions", page{Title: "Sessions", Nav: "sessions", Data: sessionsData{
		Sessions: sessions, Current: r.Session.ID,
		Idle: inWords(service.SessionIdleTimeout), Lifetime: inWords(service.SessionLifetime),
	}})
}

func (d *Dashboard) revokeSession(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	if err := d.svc.RevokeSession(r.Context(), r.User.ID, id); err != nil {
		return err
	}
	if id == r.Session.ID {
		d.endSession(w, r.Request)
		d.setNotice(w, r.Request, "This session is revoked: you are signed out.")
		http.Redirect(w, r.Request, Prefix+"/signin", http.StatusSeeOther)
		return nil
	}
	return d.redirect(w, r, "/settings/sessions", "The session is revoked: that browser is signed out.")
}

// inWords says a whole number of hours up to a day, else of days when whole: "12 hours",
// "24 hours", "7 days".
func inWords(d time.Duration) string {
	unit, n := "hour", int(d/time.Hour)
	if d > 24*time.Hour && d%(24*time.Hour) == 0 {
		unit, n = "day", int(d/(24*time.Hour))
	}
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
