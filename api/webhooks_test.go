package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func TestWebhookSecretIsShownOnlyOnCreateAndRotate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	created := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://hooks.example.com/octopost", "events": ["post.published", "post.failed"]}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	id := created.body["id"].(string)
	secret := created.body["secret"].(string)
	require.Regexp(t, `^wh_[0-9A-Z]{26}$`, id)
	require.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, secret)
	require.Equal(t, true, created.body["is_active"], "active by default")
	masked := "whsec_****" + secret[len(secret)-4:]

	got := b.do(t, http.MethodGet, "/v1/webhooks/"+id, live, "")
	require.Equal(t, http.StatusOK, got.status)
	require.Equal(t, masked, got.body["secret"])
	list := b.do(t, http.MethodGet, "/v1/webhooks", live, "")
	require.Equal(t, masked, list.body["webhooks"].([]any)[0].(map[string]any)["secret"])
	updated := b.do(t, http.MethodPut, "/v1/webhooks/"+id, live, `{"events": ["account.connected"], "is_active": false}`)
	require.Equal(t, http.StatusOK, updated.status, "body: %s", updated.raw)
	require.Equal(t, masked, updated.body["secret"])
	require.Equal(t, []any{"account.connected"}, updated.body["events"])
	require.Equal(t, false, updated.body["is_active"])
	require.NotContains(t, string(got.raw)+string(list.raw)+string(updated.raw), secret)

	rotated := b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", live, "")
	require.Equal(t, http.StatusOK, rotated.status, "body: %s", rotated.raw)
	newSecret := rotated.body["secret"].(string)
	require.Regexp(t, `^whsec_`, newSecret)
	require.NotEqual(t, secret, newSecret)
	require.Equal(t, "whsec_****"+newSecret[len(newSecret)-4:], b.do(t, http.MethodGet, "/v1/webhooks/"+id, live, "").body["secret"])

	requireError(t, b.do(t, http.MethodPost, "/v1/webhooks/wh_missing/rotate-secret", live, ""), 404, "not_found", "Webhook not found")
}

func TestWebhookURLMustBePublicHTTPS(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	for name, url := range map[string]string{
		"plain http":          "http://hooks.example.com/x",
		"loopback":            "https://127.0.0.1/x",
		"private address":     "https://10.1.2.3/x",
		"metadata endpoint":   "https://169.254.169.254/latest",
		"ipv6 loopback":       "https://[::1]/x",
		"resolves private":    "https://internal.example.com/x",
		"any address private": "https://mixed.example.com/x",
		"nat64 metadata":      "https://[64:ff9b::a9fe:a9fe]/x",
		"ipv4-compatible":     "https://[::127.0.0.1]/x",
		"6to4 private":        "https://[2002:a00:1::1]/x",
		"other port":          "https://hooks.example.com:8443/x",
		"credentials":         "https://user:pass@hooks.example.com/x",
		"relative":            "/just/a/path",
		"ftp":                 "ftp://hooks.example.com/x",
	} {
		t.Run(name, func(t *testing.T) {
			body := `{"url": "` + url + `", "events": ["post.published"]}`
			r := b.do(t, http.MethodPost, "/v1/webhooks", live, body)
			requireFields(t, r, "/url")
		})
	}

	id := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://hooks.example.com/x", "events": ["post.published"]}`).body["id"].(string)
	requireFields(t, b.do(t, http.MethodPut, "/v1/webhooks/"+id, live, `{"url": "https://127.0.0.1/x"}`), "/url")

	// A host that does not resolve now is checked when a delivery dials it.
	r := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://nowhere.example.com/x", "events": ["post.published"]}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
}

func TestWebhookPrivateTargetsForDevelopment(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{service: service.Config{AllowPrivateWebhooks: true}})
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "http://127.0.0.1:9000/hook", "events": ["post.published"]}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
}

func TestWebhookValidationAndNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	requireFields(t, b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://hooks.example.com/x", "events": []}`), "/events")
	requireFields(t, b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://hooks.example.com/x", "events": ["post.deleted"]}`), "/events/0")
	requireFields(t, b.do(t, http.MethodPost, "/v1/webhooks", live, `{"events": ["post.published"]}`), "/url")
	requireFields(t, b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://hooks.example.com/`+strings.Repeat("a", 2048)+`", "events": ["post.published"]}`), "/url")

	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		requireError(t, b.do(t, m, "/v1/webhooks/wh_missing", live, ""), 404, "not_found", "Webhook not found")
	}
	requireError(t, b.do(t, http.MethodPut, "/v1/webhooks/wh_missing", live, `{"is_active": true}`), 404, "not_found", "Webhook not found")

	id := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "https://hooks.example.com/x", "events": ["post.published"], "is_active": false}`).body["id"].(string)
	require.Equal(t, false, b.do(t, http.MethodGet, "/v1/webhooks/"+id, live, "").body["is_active"])
	requireError(t, b.do(t, http.MethodGet, "/v1/webhooks/"+id, b.key(t, service.ModeTest), ""), 404, "not_found", "Webhook not found")
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/v1/webhooks/"+id, live, "").status)
	requireError(t, b.do(t, http.MethodGet, "/v1/webhooks/"+id, live, ""), 404, "not_found", "Webhook not found")
}

// TestWebhookIsActiveRefusesNull: is_active defaults to true but is not nullable, so null
// is a 422 like on any other field (kin-openapi used to write the default over it).
func TestWebhookIsActiveRefusesNull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	requireFields(t, b.do(t, http.MethodPost, "/v1/webhooks", key,
		`{"url": "https://hooks.example.com/null", "events": ["post.published"], "is_active": null}`), "/is_active")
	created := b.do(t, http.MethodPost, "/v1/webhooks", key, `{"url": "https://hooks.example.com/null", "events": ["post.published"]}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	require.Equal(t, true, created.body["is_active"])
	requireFields(t, b.do(t, http.MethodPut, "/v1/webhooks/"+created.body["id"].(string), key, `{"is_active": null}`), "/is_active")
}

// TestWebhookDisabledAfterGoneSaysWhy: an endpoint that answers 410 Gone is disabled, and
// the webhook says why until it is enabled again; the responses are checked against
// openapi.yaml by the harness.
func TestWebhookDisabledAfterGoneSaysWhy(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{service: service.Config{AllowPrivateWebhooks: true}, runJobs: true})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusGone)
	}))
	t.Cleanup(receiver.Close)
	live := b.key(t, service.ModeLive)
	created := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "`+receiver.URL+`", "events": ["post.published"]}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	require.Nil(t, created.body["disabled_reason"])
	id := created.body["id"].(string)

	sent := b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/test", live, "")
	require.Equal(t, http.StatusAccepted, sent.status, "body: %s", sent.raw)
	var got response
	require.Eventually(t, func() bool {
		got = b.do(t, http.MethodGet, "/v1/webhooks/"+id, live, "")
		return got.body["is_active"] == false
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusOK, got.status, "body: %s", got.raw)
	require.Equal(t, "the endpoint answered 410 Gone", got.body["disabled_reason"])
	list := b.do(t, http.MethodGet, "/v1/webhooks", live, "")
	require.Equal(t, got.body, list.body["webhooks"].([]any)[0])

	on := b.do(t, http.MethodPut, "/v1/webhooks/"+id, live, `{"is_active": true}`)
	require.Equal(t, http.StatusOK, on.status, "body: %s", on.raw)
	require.Equal(t, true, on.body["is_active"])
	require.Nil(t, on.body["disabled_reason"])
}

// TestWebhookDeliveryLogTestAndResend drives the delivery operations through the server,
// with the queue running and a receiver on 127.0.0.1; every response is checked against
// openapi.yaml by the harness.
func TestWebhookDeliveryLogTestAndResend(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{service: service.Config{AllowPrivateWebhooks: true}, runJobs: true})
	var mu sync.Mutex
	var got []string
	receiver := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Header.Get("webhook-id"))
	}))
	t.Cleanup(receiver.Close)
	live := b.key(t, service.ModeLive)
	created := b.do(t, http.MethodPost, "/v1/webhooks", live, `{"url": "`+receiver.URL+`", "events": ["post.published"]}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	id := created.body["id"].(string)

	sent := b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/test", live, "")
	require.Equal(t, http.StatusAccepted, sent.status, "body: %s", sent.raw)
	require.Equal(t, "pending", sent.body["state"])
	require.Equal(t, "webhook.test", sent.body["event_type"])
	require.EqualValues(t, 0, sent.body["attempts"])
	require.Nil(t, sent.body["last_status_code"])
	deliveryID := sent.body["id"].(string)

	require.Eventually(t, func() bool {
		list := b.do(t, http.MethodGet, "/v1/webhooks/"+id+"/deliveries", live, "")
		require.Equal(t, http.StatusOK, list.status, "body: %s", list.raw)
		d := list.body["deliveries"].([]any)[0].(map[string]any)
		return d["state"] == "delivered"
	}, 10*time.Second, 20*time.Millisecond)

	again := b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/deliveries/"+deliveryID+"/resend", live, "")
	require.Equal(t, http.StatusAccepted, again.status, "body: %s", again.raw)
	require.Equal(t, sent.body["event_id"], again.body["event_id"])
	require.NotEqual(t, deliveryID, again.body["id"])
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	}, 10*time.Second, 20*time.Millisecond)
	mu.Lock()
	require.Equal(t, []string{sent.body["event_id"].(string), sent.body["event_id"].(string)}, got)
	mu.Unlock()

	first := b.do(t, http.MethodGet, "/v1/webhooks/"+id+"/deliveries?limit=1", live, "")
	require.Equal(t, http.StatusOK, first.status, "body: %s", first.raw)
	require.Equal(t, true, first.body["has_more"])
	require.Equal(t, again.body["id"], first.body["deliveries"].([]any)[0].(map[string]any)["id"])
	second := b.do(t, http.MethodGet, "/v1/webhooks/"+id+"/deliveries?limit=1&cursor="+first.body["next_cursor"].(string), live, "")
	require.Equal(t, http.StatusOK, second.status, "body: %s", second.raw)
	require.Equal(t, false, second.body["has_more"])
	require.Nil(t, second.body["next_cursor"])
	d := second.body["deliveries"].([]any)[0].(map[string]any)
	require.Equal(t, deliveryID, d["id"])
	require.EqualValues(t, 1, d["attempts"])
	require.EqualValues(t, 200, d["last_status_code"])
	require.Nil(t, d["next_attempt_at"])

	requireError(t, b.do(t, http.MethodGet, "/v1/webhooks/"+id+"/deliveries?cursor=bm9wZQ", live, ""), 422, "validation_error", "Validation failed")
	requireError(t, b.do(t, http.MethodGet, "/v1/webhooks/wh_missing/deliveries", live, ""), 404, "not_found", "Webhook not found")
	requireError(t, b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/deliveries/del_missing/resend", live, ""), 404, "not_found", "Delivery not found")
	requireError(t, b.do(t, http.MethodPost, "/v1/webhooks/wh_missing/test", live, ""), 404, "not_found", "Webhook not found")
	test := b.key(t, service.ModeTest)
	requireError(t, b.do(t, http.MethodGet, "/v1/webhooks/"+id+"/deliveries", test, ""), 404, "not_found", "Webhook not found")

	require.Nil(t, created.body["disabled_reason"])
	off := b.do(t, http.MethodPut, "/v1/webhooks/"+id, live, `{"is_active": false}`)
	require.Equal(t, http.StatusOK, off.status, "body: %s", off.raw)
	require.Equal(t, service.DisabledByOwner, off.body["disabled_reason"])
	requireError(t, b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/test", live, ""), 409, "conflict", "Webhook is not active: set is_active to true first")
	requireError(t, b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/deliveries/"+deliveryID+"/resend", live, ""), 409, "conflict", "Webhook is not active: set is_active to true first")

	readOnly := b.key(t, service.ModeLive, "webhooks:read")
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/webhooks/"+id+"/deliveries", readOnly, "").status)
	require.Equal(t, http.StatusForbidden, b.do(t, http.MethodPost, "/v1/webhooks/"+id+"/test", readOnly, "").status)
}
