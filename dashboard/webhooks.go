package dashboard

// Webhooks: the endpoints a user's events are delivered to, in the page's mode.
//
// The list shows each endpoint with its events, whether it is active, and its secret
// masked; the form beside it registers one. The signing secret is shown in full once, on
// the page that answers the creating POST (201, Cache-Control: no-store), as the API
// shows it once in its 201: the service returns it only from CreateWebhook, and nothing
// here keeps it. Every other POST answers 303 to a page with a notice, so a reload never
// sends a test event, or a resend, twice.
//
// An endpoint's page shows its delivery log, newest first, a page of webhookLogPage at a
// time (the service's cursor in ?cursor=), with a Resend button per delivery (a new
// delivery of the same event, with the same id for the receiver to deduplicate) and Send
// test event. Both need the endpoint active, as in the API; the page offers Enable for a
// disabled one (the API's is_active: true, which also starts its failure count again).
//
// The form asks what the API asks, checked here first only where the contract checks
// before the service does (the API's request validator): at least one event, every one
// of them known, a URL of at most the contract's length (read from openapi.yaml:
// limits.go). The URL rules (https, allowed port,
// public address) are the service's, so a refused URL shows the very message the API
// gives, under the URL field, with 422.

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesWebhooks) }

func (d *Dashboard) routesWebhooks() {
	d.page("GET /webhooks", d.webhooks)
	d.page("POST /webhooks", d.createWebhook)
	d.page("GET /webhooks/{id}", d.webhook)
	d.page("POST /webhooks/{id}/test", d.testWebhook)
	d.page("POST /webhooks/{id}/enable", d.enableWebhook)
	d.page("POST /webhooks/{id}/disable", d.disableWebhook)
	d.page("POST /webhooks/{id}/rotate", d.rotateWebhookSecret)
	d.page("POST /webhooks/{id}/deliveries/{delivery}/resend", d.resendDelivery)
	d.page("GET /webhooks/{id}/delete", d.confirmDeleteWebhook)
	d.page("POST /webhooks/{id}/delete", d.deleteWebhook)
}

// webhookLogPage is how many deliveries an endpoint's page lists at a time.
const webhookLogPage = 20

// webhookFormLimit bounds the create form: a URL of at most the contract's length and a
// few events come nowhere near it.
const webhookFormLimit = 64 << 10

// webhookView is a webhook as the pages show it: its secret masked.
type webhookView struct {
	ID     string
	URL    string
	Events []string
	Secret string // masked, or in full on the created page only
	Active bool
	// DisabledReason is why it is disabled (service.Webhook.DisabledReason), "" if not
	// known: an endpoint disabled before the reason was kept.
	DisabledReason string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func viewWebhook(w service.Webhook, fullSecret bool) webhookView {
	v := webhookView{
		ID: w.ID, URL: w.URL, Active: w.IsActive, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
		Secret: service.MaskSecret(w.Secret),
	}
	if fullSecret {
		v.Secret = w.Secret
	}
	if w.DisabledReason != nil {
		v.DisabledReason = *w.DisabledReason
	}
	for _, e := range w.Events {
		v.Events = append(v.Events, string(e))
	}
	return v
}

// eventChoice is one event's checkbox.
type eventChoice struct {
	Value   string
	ID      string // "event-post-published"
	Checked bool
}

// webhookForm is the create form, as the user filled it.
type webhookForm struct {
	URL    string
	Events []eventChoice
}

func newWebhookForm(url string, events []string) webhookForm {
	f := webhookForm{URL: url}
	for _, e := range service.WebhookEvents {
		f.Events = append(f.Events, eventChoice{
			Value: string(e), ID: "event-" + strings.ReplaceAll(string(e), ".", "-"),
			Checked: slices.Contains(events, string(e)),
		})
	}
	return f
}

type webhooksData struct {
	Webhooks []webhookView
	Form     webhookForm
}

func (d *Dashboard) webhooks(w http.ResponseWriter, r *request) error {
	return d.renderWebhooks(w, r, 0, newWebhookForm("", nil), nil)
}

func (d *Dashboard) renderWebhooks(w http.ResponseWriter, r *request, status int, form webhookForm, p *problems) error {
	hooks, err := d.svc.ListWebhooks(r.Context(), r.Scope)
	if err != nil {
		return err
	}
	data := webhooksData{Form: form}
	for _, h := range hooks {
		data.Webhooks = append(data.Webhooks, viewWebhook(h, false))
	}
	return d.render(w, r, status, "webhooks", page{Title: "Webhooks", Nav: "webhooks", Problems: p, Data: data})
}

func (d *Dashboard) createWebhook(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, webhookFormLimit); err != nil {
		return err
	}
	url := strings.TrimSpace(r.PostForm.Get("url"))
	events := r.PostForm["events"]
	form := newWebhookForm(url, events)

	var in service.WebhookInput
	var problems service.Problems
	l := d.limits
	if url == "" {
		problems.Add("/url", "is required")
	} else if utf8.RuneCountInString(url) > l.webhookURL {
		problems.Add("/url", "must be at most %d characters", l.webhookURL)
	}
	if len(events) < l.webhookEvents.min {
		problems.Add("/events", "choose at least %s", count(l.webhookEvents.min, "event"))
	}
	in.Events = readChoices(events, service.WebhookEvents, "/events", "an event", &problems)
	if len(in.Events) > l.webhookEvents.max {
		problems.Add("/events", "choose at most %s", count(l.webhookEvents.max, "event"))
	}
	err := problems.Err()
	var hook service.Webhook
	if err == nil {
		in.URL, in.IsActive = url, true
		hook, err = d.svc.CreateWebhook(r.Context(), r.Scope, in)
	}
	if p, ok := formProblems(err); ok {
		return d.renderWebhooks(w, r, http.StatusUnprocessableEntity, form, p)
	}
	if err != nil {
		return err
	}
	return d.renderSecret(w, r, http.StatusCreated, "Webhook created", hook, false)
}

// secretData is what the page that shows a signing secret in full shows.
type secretData struct {
	Webhook webhookView
	Rotated bool // a new secret of an existing webhook
	// PreviousUntil is when the previous secret stops signing alongside the new one.
	PreviousUntil *time.Time
}

// renderSecret shows hook's signing secret in full, the one time it is shown.
func (d *Dashboard) renderSecret(w http.ResponseWriter, r *request, status int, title string, hook service.Webhook, rotated bool) error {
	// The secret is on this page only: no cache, shared or the browser's, may keep it.
	w.Header().Set("Cache-Control", "no-store")
	data := secretData{Webhook: viewWebhook(hook, true), Rotated: rotated}
	if rotated {
		data.PreviousUntil = hook.PreviousSecretExpiresAt
	}
	return d.render(w, r, status, "webhook_created", page{Title: title, Nav: "webhooks", Data: data})
}

// rotateWebhookSecret replaces the signing secret, for a secret lost or leaked, and shows
// the new one once; the service keeps the previous one signing alongside for a while, so
// the receiver can switch without losing deliveries.
func (d *Dashboard) rotateWebhookSecret(w http.ResponseWriter, r *request) error {
	hook, err := d.svc.RotateWebhookSecret(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.renderSecret(w, r, http.StatusOK, "New signing secret", hook, true)
}

// deliveryRow is one line of the delivery log.
type deliveryRow struct {
	ID            string
	EventID       string
	EventType     string
	State         string
	Attempts      int
	StatusCode    string // the last answer's HTTP status, "" before one
	Error         string // why the last attempt failed, "" after a success
	LastAttemptAt *time.Time
	NextAttemptAt *time.Time
	CreatedAt     time.Time
}

type webhookData struct {
	Webhook    webhookView
	Deliveries []deliveryRow
	Older      string // the cursor of the next (older) page, "" on the last
	Paged      bool   // this is not the first page
	// LastFailure is why the newest failed delivery failed, shown next to a disabled
	// endpoint: the webhook keeps no reason of its own.
	LastFailure  string
	FailureLimit int
	// SecretOverlap is how long the previous signing secret keeps signing after a new
	// one is made, in words.
	SecretOverlap string
}

func (d *Dashboard) webhook(w http.ResponseWriter, r *request) error {
	hook, err := d.svc.GetWebhook(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	cursor := r.URL.Query().Get("cursor")
	log, err := d.svc.ListDeliveries(r.Context(), r.Scope, hook.ID, webhookLogPage, cursor)
	if err != nil {
		return err
	}
	data := webhookData{
		Webhook: viewWebhook(hook, false), Older: log.NextCursor, Paged: cursor != "",
		FailureLimit: service.WebhookFailureLimit, SecretOverlap: inWords(service.WebhookSecretOverlap),
	}
	for _, dl := range log.Deliveries {
		row := deliveryRow{
			ID: dl.ID, EventID: dl.EventID, EventType: string(dl.EventType), State: string(dl.State),
			Attempts: dl.Attempts, LastAttemptAt: dl.LastAttemptAt, NextAttemptAt: dl.NextAttemptAt,
			CreatedAt: dl.CreatedAt,
		}
		if dl.LastStatusCode != nil {
			row.StatusCode = strings.TrimSpace(strconv.Itoa(*dl.LastStatusCode) + " " + http.StatusText(*dl.LastStatusCode))
		}
		if dl.LastError != nil {
			row.Error = *dl.LastError
		}
		if data.LastFailure == "" && dl.State == service.DeliveryFailed && row.Error != "" {
			data.LastFailure = row.Error
		}
		data.Deliveries = append(data.Deliveries, row)
	}
	return d.render(w, r, 0, "webhook", page{Title: "Webhook", Nav: "webhooks", Data: data})
}

// inactive turns the service's conflict for a disabled endpoint into the dashboard's
// words: the API's message names is_active, the page has an Enable button.
func inactive(err error) error {
	var se *service.Error
	if errors.As(err, &se) && se.Kind == service.KindConflict {
		return service.Conflict("This webhook is disabled: enable it on its page first.")
	}
	return err
}

func (d *Dashboard) testWebhook(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	if _, err := d.svc.SendTestEvent(r.Context(), r.Scope, id); err != nil {
		return inactive(err)
	}
	return d.redirect(w, r, "/webhooks/"+id, "A webhook.test event is on its way; it appears in the log below.")
}

func (d *Dashboard) resendDelivery(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	if _, err := d.svc.ResendDelivery(r.Context(), r.Scope, id, r.PathValue("delivery")); err != nil {
		return inactive(err)
	}
	return d.redirect(w, r, "/webhooks/"+id, "The event is being sent again, as a new delivery with the same event id.")
}

func (d *Dashboard) enableWebhook(w http.ResponseWriter, r *request) error {
	return d.setWebhookActive(w, r, true, "Webhook enabled: events are delivered to it again.")
}

func (d *Dashboard) disableWebhook(w http.ResponseWriter, r *request) error {
	return d.setWebhookActive(w, r, false, "Webhook disabled: no events are delivered to it until you enable it.")
}

func (d *Dashboard) setWebhookActive(w http.ResponseWriter, r *request, active bool, notice string) error {
	id := r.PathValue("id")
	if _, err := d.svc.UpdateWebhook(r.Context(), r.Scope, id, service.WebhookPatch{IsActive: service.Some(active)}); err != nil {
		return err
	}
	return d.redirect(w, r, "/webhooks/"+id, notice)
}

func (d *Dashboard) confirmDeleteWebhook(w http.ResponseWriter, r *request) error {
	hook, err := d.svc.GetWebhook(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.render(w, r, 0, "webhook_delete", page{Title: "Delete webhook", Nav: "webhooks", Data: viewWebhook(hook, false)})
}

func (d *Dashboard) deleteWebhook(w http.ResponseWriter, r *request) error {
	hook, err := d.svc.GetWebhook(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := d.svc.DeleteWebhook(r.Context(), r.Scope, hook.ID); err != nil {
		return err
	}
	return d.redirect(w, r, "/webhooks", "Webhook "+hook.URL+" deleted, with its delivery log.")
}
