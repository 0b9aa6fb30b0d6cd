package dashboard

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// hookReceiver is a webhook endpoint on 127.0.0.1 that answers 200 and keeps every
// request.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, hookRequest{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) received() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.requests...)
}

// rowOf returns the table row of body whose attr is id ("data-webhook-id", "wh_…"), or
// "" when there is none.
func rowOf(body, attr, id string) string {
	re := regexp.MustCompile(`(?s)<tr ` + regexp.QuoteMeta(attr) + `="` + regexp.QuoteMeta(id) + `"[^>]*>.*?</tr>`)
	return re.FindString(body)
}

// rowIDs returns the values of attr on body's table rows, in order.
func rowIDs(body, attr string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr `+regexp.QuoteMeta(attr)+`="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

var newSecret = regexp.MustCompile(`<code id="new-secret"[^>]*>([^<]*)</code>`)

func TestWebhookSecretIsShownOnceAndTheLogSendsAndResends(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}, runJobs: true})
	user, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: user.ID, Mode: service.ModeLive}
	recv := newHookReceiver(t)

	resp, body := b.get(t, c, Prefix+"/webhooks")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="create-webhook"`)
	require.Contains(t, body, `id="event-post-published"`)
	require.Contains(t, body, `id="event-account-disconnected"`)
	require.Empty(t, rowIDs(body, "data-webhook-id"))

	resp, body = b.post(t, c, Prefix+"/webhooks", url.Values{
		"url": {recv.URL + "/hooks"}, "events": {"post.published", "account.connected"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	m := newSecret.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	secret := html.UnescapeString(m[1])
	require.True(t, strings.HasPrefix(secret, "whsec_"), secret)
	require.Contains(t, body, `data-copy="#new-secret"`)

	hooks, err := b.svc.ListWebhooks(context.Background(), live)
	require.NoError(t, err)
	require.Len(t, hooks, 1)
	hook := hooks[0]
	require.Equal(t, secret, hook.Secret, "the page shows the webhook's real secret")
	require.Equal(t, []service.WebhookEvent{"post.published", "account.connected"}, hook.Events)
	require.True(t, hook.IsActive)

	// Never again: neither the list nor the webhook's page has it, only its mask.
	resp, body = b.get(t, c, Prefix+"/webhooks")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{hook.ID}, rowIDs(body, "data-webhook-id"))
	row := rowOf(body, "data-webhook-id", hook.ID)
	require.Contains(t, row, recv.URL+"/hooks")
	require.Contains(t, row, "Active")
	require.Contains(t, row, template.HTMLEscapeString(service.MaskSecret(secret)))
	requireNoSecret(t, body, secret)
	resp, body = b.get(t, c, Prefix+"/webhooks/"+hook.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	requireNoSecret(t, body, secret)
	require.Contains(t, body, template.HTMLEscapeString(service.MaskSecret(secret)))
	require.Contains(t, body, `id="send-test"`)
	require.Empty(t, rowIDs(body, "data-delivery-id"))

	// Send test event: delivered to the receiver, signed with the secret the page showed,
	// and in the log.
	resp, _ = b.post(t, c, Prefix+"/webhooks/"+hook.ID+"/test", nil)
	requireRedirect(t, resp, Prefix+"/webhooks/"+hook.ID)
	require.Eventually(t, func() bool { return len(recv.received()) == 1 }, 10*time.Second, 20*time.Millisecond)
	got := recv.received()[0]
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	// The bench's clock is the real one at its start, but the library's tolerance is
	// not what this test is about.
	require.NoError(t, wh.VerifyIgnoringTimestamp(got.body, got.header))
	require.Contains(t, string(got.body), `"type":"webhook.test"`)
	eventID := got.header.Get("webhook-id")

	var deliveryID string
	require.Eventually(t, func() bool {
		_, body = b.get(t, c, Prefix+"/webhooks/"+hook.ID)
		ids := rowIDs(body, "data-delivery-id")
		if len(ids) != 1 {
			return false
		}
		deliveryID = ids[0]
		return strings.Contains(rowOf(body, "data-delivery-id", deliveryID), "delivered")
	}, 10*time.Second, 20*time.Millisecond, body)
	row = rowOf(body, "data-delivery-id", deliveryID)
	require.Contains(t, row, `data-event-id="`+eventID+`"`)
	require.Contains(t, row, "webhook.test")
	require.Contains(t, row, "200 OK")
	require.Contains(t, row, `class="btn btn-small resend"`)
	require.Contains(t, row, "<time datetime=")

	// Resend: a second delivery of the same event, which the receiver gets with the same id.
	resp, _ = b.post(t, c, Prefix+"/webhooks/"+hook.ID+"/deliveries/"+deliveryID+"/resend", nil)
	requireRedirect(t, resp, Prefix+"/webhooks/"+hook.ID)
	require.Eventually(t, func() bool { return len(recv.received()) == 2 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, eventID, recv.received()[1].header.Get("webhook-id"))
	resp, body = b.get(t, c, Prefix+"/webhooks/"+hook.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "sent again", "the notice of the resend, once")
	ids := rowIDs(body, "data-delivery-id")
	require.Len(t, ids, 2)
	require.Equal(t, deliveryID, ids[1], "newest first")
	require.Contains(t, rowOf(body, "data-delivery-id", ids[0]), `data-event-id="`+eventID+`"`)
	_, body = b.get(t, c, Prefix+"/webhooks/"+hook.ID)
	require.NotContains(t, body, "sent again")
	requireNoSecret(t, body, secret)
}

func TestRefusedWebhookIs422WithTheMessageUnderTheField(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{}) // no AllowPrivateWebhooks: the production policy
	user, c := b.user(t, "owner@example.com")

	for _, tc := range []struct {
		url, events, field, message string
	}{
		{"https://127.0.0.1/hooks", "post.failed", "url", "must point to a public address"},
		{"http://hooks.example.com/x", "post.failed", "url", "must use https"},
		{"https://[::ffff:10.0.0.1]/x", "post.failed", "url", "must point to a public address"},
		{"https://127.0.0.1:8443/x", "post.failed", "url", "must use port 443 or 80"},
		{"https://hooks.example.com/x", "", "events", "choose at least one event"},
		{"https://hooks.example.com/x", "post.deleted", "events", `&#34;post.deleted&#34; is not an event`},
		{"", "post.failed", "url", "is required"},
	} {
		form := url.Values{"url": {tc.url}}
		if tc.events != "" {
			form.Set("events", tc.events)
		}
		resp, body := b.post(t, c, Prefix+"/webhooks", form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.url)
		require.Regexp(t, `<p class="field-error" id="`+tc.field+`-error">[^<]*`+regexp.QuoteMeta(tc.message), body, tc.url)
		if tc.field == "url" {
			require.Regexp(t, `<input type="url" id="url"[^>]*aria-invalid="true"`, body)
			require.Regexp(t, `aria-describedby="url-hint url-error"`, body)
		}
		// What was typed is kept.
		require.Contains(t, body, `value="`+html.EscapeString(tc.url)+`"`)
		if tc.events == "post.failed" {
			require.Regexp(t, `id="event-post-failed" name="events" value="post.failed" checked`, body)
		}
		require.NotContains(t, body, "new-secret")
	}
	hooks, err := b.svc.ListWebhooks(context.Background(), service.Scope{UserID: user.ID, Mode: service.ModeLive})
	require.NoError(t, err)
	require.Empty(t, hooks)
}

func TestWebhooksOfAnotherUserOrModeAreNotFound(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	ctx := context.Background()
	owner, ownerBrowser := b.user(t, "owner@example.com")
	_, other := b.user(t, "other@example.com")
	live := service.Scope{UserID: owner.ID, Mode: service.ModeLive}
	hook, err := b.svc.CreateWebhook(ctx, live, service.WebhookInput{URL: "http://127.0.0.1:9/x", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	test := service.Scope{UserID: owner.ID, Mode: service.ModeTest}
	testHook, err := b.svc.CreateWebhook(ctx, test, service.WebhookInput{URL: "http://127.0.0.1:9/test", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	delivery, err := b.svc.SendTestEvent(ctx, live, hook.ID)
	require.NoError(t, err)

	// Each mode lists its own.
	_, body := b.get(t, ownerBrowser, Prefix+"/webhooks")
	require.Equal(t, []string{hook.ID}, rowIDs(body, "data-webhook-id"))
	_, body = b.get(t, ownerBrowser, TestPrefix+"/webhooks")
	require.Equal(t, []string{testHook.ID}, rowIDs(body, "data-webhook-id"))
	_, body = b.get(t, other, Prefix+"/webhooks")
	require.Empty(t, rowIDs(body, "data-webhook-id"))

	type attempt struct {
		c    *http.Client
		base string
	}
	for _, a := range []attempt{{other, Prefix}, {other, TestPrefix}, {ownerBrowser, TestPrefix}} {
		path := a.base + "/webhooks/" + hook.ID
		resp, _ := b.get(t, a.c, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		resp, _ = b.get(t, a.c, path+"/delete")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		for _, action := range []string{"/test", "/disable", "/enable", "/rotate", "/delete", "/deliveries/" + delivery.ID + "/resend"} {
			resp, _ = b.post(t, a.c, path+action, nil)
			require.Equal(t, http.StatusNotFound, resp.StatusCode, path+action)
		}
	}
	// A delivery of one webhook is not resent through another.
	resp, _ := b.post(t, ownerBrowser, TestPrefix+"/webhooks/"+testHook.ID+"/deliveries/"+delivery.ID+"/resend", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	got, err := b.svc.GetWebhook(ctx, live, hook.ID)
	require.NoError(t, err)
	require.True(t, got.IsActive)
	require.Equal(t, hook.Secret, got.Secret)
	page, err := b.svc.ListDeliveries(ctx, live, hook.ID, 10, "")
	require.NoError(t, err)
	require.Len(t, page.Deliveries, 1, "nothing was sent or resent by the refused requests")
}

func TestDisabledWebhookIsEnabledAgainFromItsPage(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	ctx := context.Background()
	owner, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: owner.ID, Mode: service.ModeTest}
	hook, err := b.svc.CreateWebhook(ctx, test, service.WebhookInput{URL: "http://127.0.0.1:9/x", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	page := TestPrefix + "/webhooks/" + hook.ID

	resp, _ := b.post(t, c, page+"/disable", nil)
	requireRedirect(t, resp, page)
	resp, body := b.get(t, c, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="disabled-reason"`)
	require.Contains(t, element(body, "p", `id="disabled-reason"`), "Why: <strong>"+service.DisabledByOwner+"</strong>.")
	require.Regexp(t, `id="send-test" class="btn btn-primary" disabled`, body)
	require.Contains(t, body, `id="enable"`)
	_, body = b.get(t, c, TestPrefix+"/webhooks")
	require.Contains(t, rowOf(body, "data-webhook-id", hook.ID), "Disabled")

	// A test event to a disabled endpoint is refused, in the dashboard's words.
	resp, body = b.post(t, c, page+"/test", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "enable it on its page first")

	resp, _ = b.post(t, c, page+"/enable", nil)
	requireRedirect(t, resp, page)
	got, err := b.svc.GetWebhook(ctx, test, hook.ID)
	require.NoError(t, err)
	require.True(t, got.IsActive)
	resp, _ = b.post(t, c, page+"/test", nil)
	requireRedirect(t, resp, page)
	_, body = b.get(t, c, page)
	require.Len(t, rowIDs(body, "data-delivery-id"), 1)
}

// A webhook Octopost disabled says why on its page, in the words of its webhook.disabled
// event; enabled again, the reason is gone.
func TestWebhookDisabledByOctopostShowsWhy(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	ctx := context.Background()
	owner, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: owner.ID, Mode: service.ModeLive}
	hook, err := b.svc.CreateWebhook(ctx, live, service.WebhookInput{URL: "http://127.0.0.1:9/x", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	page := Prefix + "/webhooks/" + hook.ID
	const why = `5 deliveries in a row failed <"retries" & all>`
	changed, err := b.store.DisableWebhook(ctx, live, hook.ID, why, b.clock.Now())
	require.NoError(t, err)
	require.True(t, changed)

	resp, body := b.get(t, c, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	reason := element(body, "p", `id="disabled-reason"`)
	require.Contains(t, reason, "Why: <strong>"+html.EscapeString(why)+"</strong>.", "escaped, as html/template writes it")
	require.NotContains(t, body, why, "never unescaped")

	resp, _ = b.post(t, c, page+"/enable", nil)
	requireRedirect(t, resp, page)
	_, body = b.get(t, c, page)
	require.NotContains(t, body, `id="disabled-reason"`)
}

func TestDeliveryLogPages(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	ctx := context.Background()
	owner, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: owner.ID, Mode: service.ModeLive}
	hook, err := b.svc.CreateWebhook(ctx, live, service.WebhookInput{URL: "http://127.0.0.1:9/x", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	var sent []string
	for range webhookLogPage + 3 {
		d, err := b.svc.SendTestEvent(ctx, live, hook.ID)
		require.NoError(t, err)
		sent = append([]string{d.ID}, sent...)
	}
	_, body := b.get(t, c, Prefix+"/webhooks/"+hook.ID)
	require.Equal(t, sent[:webhookLogPage], rowIDs(body, "data-delivery-id"))
	older := regexp.MustCompile(`<a id="older" href="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, older, body)
	_, body = b.get(t, c, html.UnescapeString(older[1]))
	require.Equal(t, sent[webhookLogPage:], rowIDs(body, "data-delivery-id"))
	require.NotContains(t, body, `id="older"`)

	resp, _ := b.get(t, c, Prefix+"/webhooks/"+hook.ID+"?cursor=nonsense")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestDeletingAWebhookAsksFirst(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	ctx := context.Background()
	owner, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: owner.ID, Mode: service.ModeLive}
	hook, err := b.svc.CreateWebhook(ctx, live, service.WebhookInput{URL: "http://127.0.0.1:9/x", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)

	resp, body := b.get(t, c, Prefix+"/webhooks/"+hook.ID+"/delete")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="confirm"`)
	require.Contains(t, body, fmt.Sprintf(`action="%s/webhooks/%s/delete"`, Prefix, hook.ID))
	_, err = b.svc.GetWebhook(ctx, live, hook.ID)
	require.NoError(t, err, "asking deletes nothing")

	resp, _ = b.post(t, c, Prefix+"/webhooks/"+hook.ID+"/delete", nil)
	requireRedirect(t, resp, Prefix+"/webhooks")
	_, err = b.svc.GetWebhook(ctx, live, hook.ID)
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindNotFound, se.Kind)
	_, body = b.get(t, c, Prefix+"/webhooks")
	require.Contains(t, body, "deleted")
	require.Empty(t, rowIDs(body, "data-webhook-id"))
}

func TestANewSigningSecretIsShownOnce(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{service: service.Config{AllowPrivateWebhooks: true}})
	ctx := context.Background()
	owner, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: owner.ID, Mode: service.ModeTest}
	hook, err := b.svc.CreateWebhook(ctx, test, service.WebhookInput{URL: "http://127.0.0.1:9/x", Events: []service.WebhookEvent{"post.failed"}, IsActive: true})
	require.NoError(t, err)
	page := TestPrefix + "/webhooks/" + hook.ID
	_, body := b.get(t, c, page)
	require.Contains(t, body, `action="`+page+`/rotate"`)
	require.Equal(t, 24*time.Hour, service.WebhookSecretOverlap, "the page below says the service's overlap")
	require.Contains(t, body, "the current one keeps signing alongside it for 24 hours.")

	resp, body := b.post(t, c, page+"/rotate", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	m := newSecret.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	secret := html.UnescapeString(m[1])
	got, err := b.svc.GetWebhook(ctx, test, hook.ID)
	require.NoError(t, err)
	require.Equal(t, got.Secret, secret)
	require.NotEqual(t, hook.Secret, secret)
	require.Equal(t, hook.Secret, *got.PreviousSecret)
	require.Contains(t, body, "the previous secret keeps signing alongside it until <time")

	_, body = b.get(t, c, page)
	requireNoSecret(t, body, secret)
	require.Contains(t, body, template.HTMLEscapeString(service.MaskSecret(secret)))
}

// requireNoSecret checks that body shows secret neither as it is nor as html/template
// escapes it (a secret may hold '+', which a page writes as &#43;).
func requireNoSecret(t *testing.T, body, secret string) {
	t.Helper()
	require.NotContains(t, body, secret)
	require.NotContains(t, body, template.HTMLEscapeString(secret))
}
