package dashboard

// Accounts: the connected accounts of the page's mode, connecting more, disconnecting.
//
// Design:
//
//   - Test mode connects a sandbox account on any platform with one click, as
//     POST /v1/accounts does with a test key: no credentials, and a "simulate" choice
//     for accounts that fail their publishes on purpose. Live mode shows a form per
//     credential platform, built from its Spec's Connect.Forms (the fields it takes, in
//     its alternatives: Slack's webhook URL, or its bot token and channel), and a
//     "Connect with …" button per OAuth platform. No platform is named in this file: a
//     platform added to the registry appears here by itself.
//   - Only the fields the user filled in are sent to the service, as the API sends only
//     the fields a caller gave: an empty input is "not given", so the service names a
//     missing field as required and picks the right alternative. A refusal (the
//     platform did not accept the token) re-renders the form, 422, with the message
//     under the field it is about; secrets are never filled back in.
//   - Connecting through OAuth hands the browser to the platform's consent screen (303)
//     with a redirect back to {PublicURL}/dashboard/accounts: the public URL's origin is
//     the one the service always accepts for a redirect, so the dashboard needs no
//     setting of its own. The callback lands here with account_id or error; the notice
//     is made from the error's code, never from the query's free text, so a crafted
//     link cannot put words of its choosing on this page.
//   - Disconnecting goes through a confirmation page whose form POSTs.

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
)

func init() { sections = append(sections, (*Dashboard).routesAccounts) }

func (d *Dashboard) routesAccounts() {
	d.page("GET /accounts", d.accounts)
	d.page("POST /accounts", d.connectAccount)
	d.page("POST /accounts/oauth", d.startOAuth)
	d.page("GET /accounts/{id}/disconnect", d.disconnectPage)
	d.page("POST /accounts/{id}/disconnect", d.disconnectAccount)
}

// accountFormLimit bounds a connect form: every credential field a form may send, each
// of the contract's most characters (ConnectAccountRequest, read from openapi.yaml:
// limits.go) of up to four bytes, URL-encoded (three characters a byte), and the few
// other fields.
func (l limits) accountFormLimit() int64 {
	n := int64(16 << 10)
	for _, most := range l.credentials {
		n += 3 * 4 * int64(most)
	}
	return n
}

// credentialLabels are the credential fields' names as people read them. A field not
// listed here is shown by its name, so a new platform's form still works.
var credentialLabels = map[string]string{
	"instance_url": "Instance URL",
	"access_token": "Access token",
	"identifier":   "Handle or email",
	"app_password": "App password",
	"service_url":  "Service URL",
	"webhook_url":  "Webhook URL",
	"bot_token":    "Bot token",
	"channel":      "Channel",
	"chat_id":      "Chat ID",
}

// secretFields are typed into password inputs and never filled back in: tokens,
// passwords, and webhook URLs, which carry their own secret.
var secretFields = []string{"access_token", "app_password", "webhook_url", "bot_token"}

// urlInputs are typed into URL inputs.
var urlInputs = []string{"instance_url", "service_url", "webhook_url"}

// accountRow is an account as the list shows it.
type accountRow struct {
	service.Account
	Sandbox bool // a test-mode account: Simulate says how it fails, if it does
}

// credentialField is one input of a live connect form.
type credentialField struct {
	Name     string // the service's credential name, the input's name
	ID       string // the input's id: the platform's forms share field names
	Label    string
	Type     string // text, password, url
	Value    string // what the user typed, for a form shown again (never a secret)
	Optional bool
	Error    string
}

// credentialForm is one platform's live connect form: its alternatives, each a set of
// fields, and the optional fields.
type credentialForm struct {
	Platform     service.Platform
	Name         string
	Takes        string
	Alternatives [][]credentialField
	Optional     []credentialField
	Error        string // a problem with the platform itself, not with a field
}

// oauthForm is the "Connect with …" button of an OAuth platform.
type oauthForm struct {
	Platform service.Platform
	Name     string
	Error    string
}

// sandboxForm is the one-click connect of a test-mode platform.
type sandboxForm struct {
	Platform service.Platform
	Name     string
	Simulate service.Simulate
	Error    string
}

// accountsData is what the accounts page shows.
type accountsData struct {
	Accounts    []accountRow
	Credentials []credentialForm
	OAuth       []oauthForm
	Sandbox     []sandboxForm
	Simulations []service.Simulate
	// Connected and NotConnected report an OAuth callback that brought the browser back.
	Connected    []service.Account
	NotConnected string
}

var simulations = []service.Simulate{
	service.SimulateNone, service.SimulateTokenExpired, service.SimulateRateLimited, service.SimulateServerError,
}

func (d *Dashboard) accounts(w http.ResponseWriter, r *request) error {
	data, err := d.accountsData(r, "", nil, nil)
	if err != nil {
		return err
	}
	d.oauthOutcome(r, &data)
	return d.renderAccounts(w, r, 0, data, nil)
}

func (d *Dashboard) renderAccounts(w http.ResponseWriter, r *request, status int, data accountsData, p *problems) error {
	return d.render(w, r, status, "accounts", page{Title: "Accounts", Nav: "accounts", Problems: p, Data: data})
}

// accountsData lists the scope's accounts and the connect forms of the page's mode. For
// a form shown again, failed is the platform it was for, typed what the user typed, and
// p what was wrong with it.
func (d *Dashboard) accountsData(r *request, failed service.Platform, typed map[string]string, p *problems) (accountsData, error) {
	accounts, err := d.svc.ListAccounts(r.Context(), r.Scope)
	if err != nil {
		return accountsData{}, err
	}
	data := accountsData{Simulations: simulations}
	for _, a := range accounts {
		data.Accounts = append(data.Accounts, accountRow{Account: a, Sandbox: r.Mode == service.ModeTest})
	}
	for _, spec := range d.opts.Platforms {
		pl := service.Platform(spec.ID)
		if !slices.Contains(service.Platforms, pl) {
			continue
		}
		mine := pl == failed
		if r.Mode == service.ModeTest {
			f := sandboxForm{Platform: pl, Name: d.platformName(pl), Simulate: service.SimulateNone}
			if mine {
				f.Simulate = service.Simulate(typed["simulate"])
				f.Error = problemsFor(p, "simulate", "platform")
			}
			data.Sandbox = append(data.Sandbox, f)
			continue
		}
		switch {
		case spec.Connect.OAuth:
			f := oauthForm{Platform: pl, Name: d.platformName(pl)}
			if mine {
				f.Error = problemsFor(p, "platform", "redirect_url")
			}
			data.OAuth = append(data.OAuth, f)
		case len(spec.Connect.Forms) > 0:
			data.Credentials = append(data.Credentials, d.credentialForm(spec, mine, typed, p))
		}
	}
	return data, nil
}

// credentialForm is spec's live connect form; when mine, filled with typed and p.
func (d *Dashboard) credentialForm(spec platform.Spec, mine bool, typed map[string]string, p *problems) credentialForm {
	pl := service.Platform(spec.ID)
	field := func(name string, optional bool) credentialField {
		f := credentialField{Name: name, ID: spec.ID + "-" + name, Label: credentialLabels[name], Type: "text", Optional: optional}
		if f.Label == "" {
			f.Label = name
		}
		switch {
		case slices.Contains(secretFields, name):
			f.Type = "password"
		case slices.Contains(urlInputs, name):
			f.Type = "url"
		}
		if mine {
			if f.Type != "password" {
				f.Value = typed[name]
			}
			f.Error = p.For(name)
		}
		return f
	}
	f := credentialForm{Platform: pl, Name: d.platformName(pl), Takes: spec.Connect.Takes}
	for _, alt := range spec.Connect.Forms {
		var fields []credentialField
		for _, name := range alt {
			fields = append(fields, field(name, false))
		}
		f.Alternatives = append(f.Alternatives, fields)
	}
	for _, name := range spec.Connect.Optional {
		f.Optional = append(f.Optional, field(name, true))
	}
	if mine {
		f.Error = p.For("platform")
	}
	return f
}

// problemsFor joins p's messages for fields.
func problemsFor(p *problems, fields ...string) string {
	var out []string
	for _, f := range fields {
		if m := p.For(f); m != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, "; ")
}

// connectAccount connects a sandbox account (test mode) or a credential platform's
// account (live mode) from the form the page showed.
func (d *Dashboard) connectAccount(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, d.limits.accountFormLimit()); err != nil {
		return err
	}
	form := r.PostForm
	in := service.AccountInput{
		Platform:    service.Platform(form.Get("platform")),
		Simulate:    service.Simulate(form.Get("simulate")),
		Credentials: platform.Credentials{},
	}
	typed := map[string]string{"simulate": string(in.Simulate)}
	var problems service.Problems
	for _, name := range d.credentialNames() {
		value := strings.TrimSpace(form.Get(name))
		if value == "" {
			continue // an input left empty is a field not given
		}
		// The contract's maxLength counts characters, as the API's validator does.
		if most := d.limits.credentials[name]; utf8.RuneCountInString(value) > most {
			problems.Add("/"+name, "must be at most %d characters", most)
			continue
		}
		in.Credentials[name] = value
		typed[name] = value
	}
	err := problems.Err()
	if err == nil {
		var a service.Account
		a, err = d.svc.ConnectAccount(r.Context(), r.Scope, in)
		if err == nil {
			return d.redirect(w, r, "/accounts", "Connected "+d.platformName(a.Platform)+" account @"+a.Username+".")
		}
	}
	p, ok := formProblems(err)
	if !ok {
		return err
	}
	data, err := d.accountsData(r, in.Platform, typed, p)
	if err != nil {
		return err
	}
	return d.renderAccounts(w, r, http.StatusUnprocessableEntity, data, p)
}

// credentialNames are the credential fields any platform's form takes, each once, in the
// registry's order: what a connect form may send.
func (d *Dashboard) credentialNames() []string {
	var out []string
	add := func(names ...string) {
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	for _, spec := range d.opts.Platforms {
		for _, alt := range spec.Connect.Forms {
			add(alt...)
		}
		add(spec.Connect.Optional...)
	}
	return out
}

// startOAuth starts an OAuth platform's connect flow and sends the browser to its consent
// screen, which comes back to the accounts page.
func (d *Dashboard) startOAuth(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, smallFormLimit); err != nil {
		return err
	}
	pl := service.Platform(r.PostForm.Get("platform"))
	back := d.publicBase(r.Request) + r.Base + "/accounts"
	start, err := d.svc.StartOAuth(r.Context(), r.Scope, pl, &back)
	if err != nil {
		p, ok := formProblems(err)
		if !ok {
			return err
		}
		data, err := d.accountsData(r, pl, nil, p)
		if err != nil {
			return err
		}
		return d.renderAccounts(w, r, http.StatusUnprocessableEntity, data, p)
	}
	http.Redirect(w, r.Request, start.AuthorizationURL, http.StatusSeeOther)
	return nil
}

// publicBase is where browsers reach this server (and its API, for the API key page's
// examples): OCTOPOST_PUBLIC_URL, or, when the dashboard was given none, the origin the
// request came to (a server that knows no public URL accepts no other OAuth redirect
// anyway: the service checks it).
func (d *Dashboard) publicBase(r *http.Request) string {
	if d.opts.PublicURL != "" {
		return strings.TrimRight(d.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// oauthOutcomes are the notices for the error codes the OAuth callback sends back with
// (service.OAuthOutcome.Error).
var oauthOutcomes = map[string]string{
	"invalid_state":        "the link was already used or has expired. Start connecting again.",
	"state_expired":        "the consent screen was left open too long. Start connecting again.",
	"access_denied":        "the platform says you did not allow the connection.",
	"authorization_failed": "the platform did not authorize the connection.",
	"exchange_failed":      "the platform did not grant access. Start connecting again.",
	"profile_failed":       "the platform did not say whose account it is. Try again later.",
	"not_configured":       "this platform cannot be connected on this server now.",
	"no_accounts":          "the platform gave access to no account Octopost can publish to.",
}

// oauthOutcome reads what the OAuth callback brought the browser back with: the accounts
// connected (account_id, account_ids), or an error code.
func (d *Dashboard) oauthOutcome(r *request, data *accountsData) {
	q := r.URL.Query()
	if code := q.Get("error"); code != "" {
		msg, ok := oauthOutcomes[code]
		if !ok {
			msg = "the platform refused the connection."
			if validCode(code) {
				msg = "the platform refused the connection (" + code + ")."
			}
		}
		data.NotConnected = "Not connected: " + msg
		return
	}
	ids := strings.Split(q.Get("account_ids"), ",")
	if q.Get("account_ids") == "" {
		ids = []string{q.Get("account_id")}
	}
	for i, id := range ids {
		if id == "" || i >= 100 {
			break
		}
		for _, a := range data.Accounts {
			if a.ID == id {
				data.Connected = append(data.Connected, a.Account)
			}
		}
	}
}

// validCode is true for an OAuth error code (RFC 6749: letters, digits and _), which may
// be shown as it is.
func validCode(code string) bool {
	if len(code) > 64 {
		return false
	}
	for _, c := range code {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (d *Dashboard) disconnectPage(w http.ResponseWriter, r *request) error {
	a, err := d.svc.GetAccount(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.render(w, r, 0, "account_disconnect", page{Title: "Disconnect account", Nav: "accounts", Data: a})
}

func (d *Dashboard) disconnectAccount(w http.ResponseWriter, r *request) error {
	a, err := d.svc.GetAccount(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := d.svc.DisconnectAccount(r.Context(), r.Scope, a.ID); err != nil {
		return err
	}
	return d.redirect(w, r, "/accounts", "Disconnected "+d.platformName(a.Platform)+" account @"+a.Username+".")
}
