package dashboard

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service"
)

// templates/*.html are the pages; templates/partials/*.html define parts several pages
// show (a form the create and edit pages share), parsed with every page.
//
//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

// staticFiles serves the stylesheet and the script. They change only with the binary, so
// a browser may keep them for an hour.
func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// templates holds each page parsed together with the layout it is shown in.
type templates struct {
	byName map[string]*template.Template
}

// parseTemplates parses every page once, at start-up: a template that does not parse
// stops the server instead of failing the first user who opens the page.
func parseTemplates(funcs template.FuncMap) (*templates, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		tmpl, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html", file)
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", name, err)
		}
		t.byName[name] = tmpl
	}
	return t, nil
}

// page is what a handler gives render: the page's own part of what is shown.
type page struct {
	Title    string    // <title> and <h1>
	Nav      string    // the current navigation item: posts, calendar, queue, accounts, webhooks, presets, keys, sessions
	Problems *problems // what is wrong with the form the page shows
	Data     any
}

// frame is what every template gets: the page, and what the layout shows around it.
type frame struct {
	Page         page
	Signed       bool // a user is signed in: the header shows the navigation
	User         service.User
	Mode         service.Mode
	Base         string // Prefix or TestPrefix
	OtherModeURL string // the same page in the other mode
	TZ           *time.Location
	Notice       string // a one-time message from the previous request
}

// render writes templates/<name>.html inside the layout, with status (0: 200). A page is
// rendered into a buffer first, so that a template error is a clean 500, never half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *request, status int, name string, p page) error {
	f := frame{
		Page: p, Signed: true, User: r.User, Mode: r.Mode, Base: r.Base, TZ: r.TZ,
		OtherModeURL: otherModeURL(r), Notice: takeNotice(w, r.Request),
	}
	return d.write(w, status, name, f)
}

func (d *Dashboard) write(w http.ResponseWriter, status int, name string, f frame) error {
	tmpl, ok := d.pages.byName[name]
	if !ok {
		return fmt.Errorf("dashboard: no template %q", name)
	}
	if f.TZ == nil {
		f.TZ = time.UTC
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, f); err != nil {
		return fmt.Errorf("dashboard: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		// Pages show a user's data: no shared cache may keep them.
		h.Set("Cache-Control", "private, no-cache")
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// renderPublic renders a page shown without a session (setup, sign-in).
func (d *Dashboard) renderPublic(w http.ResponseWriter, r *http.Request, status int, name string, p page) error {
	return d.write(w, status, name, frame{Page: p, Base: Prefix, TZ: browserZone(r), Notice: takeNotice(w, r)})
}

// renderError shows message on the error page, with status.
func (d *Dashboard) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	f := frame{Page: page{Title: http.StatusText(status), Data: message}, Base: Prefix, TZ: browserZone(r)}
	if s, ok := sessionFrom(r); ok {
		f.Signed, f.User, f.Mode, f.Base, f.OtherModeURL = true, s.User, s.Mode, s.Base, otherModeURL(s)
	}
	if err := d.write(w, status, "error", f); err != nil {
		d.log.ErrorContext(r.Context(), "dashboard error page", "error", err.Error())
		http.Error(w, message, status)
	}
}

// otherModeURL is the page r shows, in the other mode. A page below another resource's
// id would be "not found" there, so the switch goes to the section's list instead. The
// query's choices that mean the same in either mode (modeFreeQuery) are kept.
func otherModeURL(r *request) string {
	rest := strings.TrimPrefix(r.URL.Path, r.Base)
	// The section is the first segment: /posts/post_123 → /posts.
	section := rest
	if i := strings.IndexByte(strings.TrimPrefix(rest, "/"), '/'); i >= 0 {
		section = rest[:i+1]
		if strings.HasPrefix(rest, "/settings/") || strings.HasPrefix(rest, "/posts/calendar") || rest == "/posts/new" {
			section = rest // no ids there
		}
	}
	kept := url.Values{}
	for _, name := range modeFreeQuery {
		if v := r.URL.Query().Get(name); v != "" {
			kept.Set(name, v)
		}
	}
	if len(kept) > 0 {
		section += "?" + kept.Encode()
	}
	if r.Mode == service.ModeTest {
		return Prefix + section
	}
	return TestPrefix + section
}

// modeFreeQuery are the query parameters that mean the same in either mode: the
// calendar's month and the posts list's status filter. A cursor is a place in one mode's
// list, and an OAuth callback's outcome is about one mode's accounts: they are dropped.
var modeFreeQuery = []string{"month", "status"}

// redirect answers 303 to r.Base+path and shows notice once on the next page.
func (d *Dashboard) redirect(w http.ResponseWriter, r *request, path, notice string) error {
	if notice != "" {
		d.setNotice(w, r.Request, notice)
	}
	http.Redirect(w, r.Request, r.Base+path, http.StatusSeeOther)
	return nil
}

const noticeCookie = "octopost_notice"

// noticeMaxBytes bounds a notice: setNotice shortens a longer one, takeNotice shows none
// longer (a cookie planted by someone else cannot fill the page). A name of the
// contract's 100 characters fits in any script (at most 4 bytes a character), and the
// cookie, escaped (at most 3 characters a byte), stays within the 4096 bytes a browser
// keeps of one.
const noticeMaxBytes = 1000

// shortenNotice cuts notice to noticeMaxBytes, at a character's start, with an ellipsis.
func shortenNotice(notice string) string {
	if len(notice) <= noticeMaxBytes {
		return notice
	}
	cut := noticeMaxBytes - len("…")
	for cut > 0 && !utf8.RuneStart(notice[cut]) {
		cut--
	}
	return notice[:cut] + "…"
}

// takeNotice reads the one-time notice and clears it.
func takeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Path: Prefix, MaxAge: -1})
	v, err := url.QueryUnescape(c.Value)
	if err != nil || len(v) > noticeMaxBytes {
		return ""
	}
	return v
}

// problems are what is wrong with a form, by field.
type problems struct {
	Message string
	fields  map[string]string
}

// For returns the message for field ("content", "platforms", …), or "".
func (p *problems) For(field string) string {
	if p == nil {
		return ""
	}
	return p.fields[field]
}

// Has reports whether field has a problem.
func (p *problems) Has(field string) bool { return p.For(field) != "" }

// formProblems turns a validation error from the service into per-field messages. The
// service names fields by JSON pointer ("/platforms/0", "/platform_options/x/y"); a form
// shows a message by its input, the pointer's first segment. Several problems with one
// input are joined.
func formProblems(err error) (*problems, bool) { return problemsBy(err, inputOf) }

// problemsBy is formProblems with input naming the form's input a field pointer is about.
func problemsBy(err error, input func(pointer string) string) (*problems, bool) {
	var se *service.Error
	if !errors.As(err, &se) || se.Kind != service.KindValidation {
		return nil, false
	}
	p := &problems{Message: se.Message, fields: map[string]string{}}
	for _, f := range se.Fields {
		field := input(f.Field)
		if prev := p.fields[field]; prev != "" {
			p.fields[field] = prev + "; " + f.Message
		} else {
			p.fields[field] = f.Message
		}
	}
	return p, true
}

// funcs are the helpers every template may use.
func (d *Dashboard) funcs() template.FuncMap {
	return template.FuncMap{
		"when": when,
		"whenPtr": func(loc *time.Location, t *time.Time) template.HTML {
			if t == nil {
				return "—"
			}
			return when(loc, *t)
		},
		"datetimeLocal": func(loc *time.Location, t time.Time) string {
			return t.In(loc).Format(datetimeLocalLayout)
		},
		"platformName": d.platformName,
		"join":         strings.Join,
		"maxLength":    d.limits.maxLength,
		"permissionID": func(p service.Permission) string { return "perm-" + strings.ReplaceAll(string(p), ":", "-") },
	}
}

// when shows t in the browser's zone, with the zone's abbreviation, inside a <time>
// element that carries the exact instant.
func when(loc *time.Location, t time.Time) template.HTML {
	local := t.In(loc)
	return template.HTML(fmt.Sprintf(`<time datetime="%s">%s</time>`,
		template.HTMLEscapeString(t.UTC().Format(time.RFC3339)),
		template.HTMLEscapeString(local.Format("2 Jan 2006, 15:04 MST"))))
}

// datetimeLocalLayout is the value format of <input type="datetime-local">.
const datetimeLocalLayout = "2006-01-02T15:04"

// parseLocal reads a datetime-local input's value as a time in the browser's zone.
func parseLocal(r *request, value string) (time.Time, error) {
	t, err := time.ParseInLocation(datetimeLocalLayout, value, r.TZ)
	if err != nil {
		// Browsers send seconds when the step allows them.
		t, err = time.ParseInLocation(datetimeLocalLayout+":05", value, r.TZ)
	}
	return t, err
}

// platformName is the name people know p by ("X", "Mastodon"), from its Spec.
func (d *Dashboard) platformName(p service.Platform) string {
	if spec, ok := d.opts.Platforms.Lookup(string(p)); ok && spec.Name != "" {
		return spec.Name
	}
	return string(p)
}
