package e2e

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// The webhook tests run the built server against receivers on 127.0.0.1
// (OCTOPOST_WEBHOOKS_ALLOW_PRIVATE, which also permits plain http) that verify every
// request with the Standard Webhooks reference library, timestamp tolerance included.
// They stay within the schedule's first retry (5 s); the later, longer ones are tested in
// the service with a fake clock (service/deliveries_test.go).

// deliveryTimeout bounds waiting for one delivery: the first retry is due 5 s after the
// first attempt, and River makes a snoozed job available within about 5 s more.
const deliveryTimeout = 30 * time.Second

// verifyingReceiver answers the statuses scripted, then 200, to requests whose signature
// the Standard Webhooks library accepts; it records the event id of each.
type verifyingReceiver struct {
	t       *testing.T
	mu      sync.Mutex
	wh      *standardwebhooks.Webhook
	script  []int
	ids     []string
	bodies  [][]byte
	invalid int
}

func (r *verifyingReceiver) setSecret(secret string) {
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(r.t, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wh = wh
}

func (r *verifyingReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wh == nil || r.wh.Verify(body, req.Header) != nil {
		r.invalid++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.ids = append(r.ids, req.Header.Get("webhook-id"))
	r.bodies = append(r.bodies, body)
	status := http.StatusOK
	if len(r.script) > 0 {
		status, r.script = r.script[0], r.script[1:]
	}
	w.WriteHeader(status)
}

func (r *verifyingReceiver) received() (ids []string, invalid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...), r.invalid
}

// webhookEnv is a live PostgreSQL configuration whose webhooks and platforms may be on
// 127.0.0.1.
func webhookEnv(t *testing.T) env {
	e := pgEnv(t)
	e["OCTOPOST_WEBHOOKS_ALLOW_PRIVATE"] = "true"
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	return e
}

// createHook registers url for account.connected and returns its id and secret.
func createHook(t *testing.T, srv *server, key, url string) (string, string) {
	t.Helper()
	r := send(t, srv, http.MethodPost, "/v1/webhooks", key, `{"url": "`+url+`", "events": ["account.connected"]}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
	return r.body["id"].(string), r.body["secret"].(string)
}

// onlyDelivery returns the webhook's one delivery, as the log shows it.
func onlyDelivery(t *testing.T, srv *server, key, webhookID string) map[string]any {
	t.Helper()
	r := get(t, srv, "/v1/webhooks/"+webhookID+"/deliveries", key)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	list := r.body["deliveries"].([]any)
	require.Len(t, list, 1)
	return list[0].(map[string]any)
}

// waitForDelivery waits until the webhook's one delivery is in state.
func waitForDelivery(t *testing.T, srv *server, key, webhookID, state string) map[string]any {
	t.Helper()
	var d map[string]any
	require.Eventually(t, func() bool {
		d = onlyDelivery(t, srv, key, webhookID)
		return d["state"] == state
	}, deliveryTimeout, 50*time.Millisecond, "the delivery never became %s: %v", state, d)
	return d
}

// TestWebhookRetriedUntilDelivered: the receiver answers 500, then 200. The event is
// delivered once, signed as any Standard Webhooks verifier expects, and the log shows
// the failed attempt, then the retry.
func TestWebhookRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := webhookEnv(t)
	srv := startServer(t, e)
	f.checkLogs(t, srv)
	key := liveKey(t, e)

	recv := &verifyingReceiver{t: t, script: []int{http.StatusInternalServerError}}
	hookSrv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = hookSrv.Serve(ln) }()
	t.Cleanup(func() { _ = hookSrv.Close() })
	hookID, secret := createHook(t, srv, key, "http://"+ln.Addr().String()+"/hook")
	recv.setSecret(secret)

	account := connectMastodon(t, client(t, srv, key), f.mastodon)

	var first map[string]any
	require.Eventually(t, func() bool {
		first = onlyDelivery(t, srv, key, hookID)
		return first["attempts"].(float64) >= 1
	}, deliveryTimeout, 20*time.Millisecond)
	if first["state"] == "pending" { // else the retry has already gone out
		require.EqualValues(t, 500, first["last_status_code"])
		require.Equal(t, "the endpoint answered HTTP 500", first["last_error"])
		require.NotNil(t, first["next_attempt_at"])
	}

	d := waitForDelivery(t, srv, key, hookID, "delivered")
	require.EqualValues(t, 2, d["attempts"])
	require.EqualValues(t, 200, d["last_status_code"])
	require.Nil(t, d["last_error"])
	require.Nil(t, d["next_attempt_at"])
	require.Equal(t, "account.connected", d["event_type"])

	ids, invalid := recv.received()
	require.Zero(t, invalid, "every request verified")
	require.Equal(t, []string{d["event_id"].(string), d["event_id"].(string)}, ids, "one event, retried once")
	recv.mu.Lock()
	require.Contains(t, string(recv.bodies[1]), account.Id)
	recv.mu.Unlock()
}

// TestWebhookDeliveredAfterARestart: the receiver is down when the event happens, the
// server restarts while it is down, and the event reaches it once it is back.
func TestWebhookDeliveredAfterARestart(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := webhookEnv(t)
	first := startServer(t, e)
	f.checkLogs(t, first)
	key := liveKey(t, e)

	// A port with nothing listening on it: the receiver is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	hookID, secret := createHook(t, first, key, "http://"+addr+"/hook")

	connectMastodon(t, client(t, first, key), f.mastodon)
	var d map[string]any
	require.Eventually(t, func() bool {
		d = onlyDelivery(t, first, key, hookID)
		return d["attempts"].(float64) >= 1
	}, deliveryTimeout, 20*time.Millisecond)
	require.Equal(t, "pending", d["state"])
	require.Nil(t, d["last_status_code"], "no answer")
	require.Equal(t, "the endpoint could not be reached", d["last_error"])
	first.stop(t)

	recv := &verifyingReceiver{t: t}
	recv.setSecret(secret)
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	hookSrv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hookSrv.Serve(ln) }()
	t.Cleanup(func() { _ = hookSrv.Close() })

	second := startServer(t, e)
	f.checkLogs(t, second)
	d = waitForDelivery(t, second, key, hookID, "delivered")
	require.EqualValues(t, 2, d["attempts"])
	ids, invalid := recv.received()
	require.Zero(t, invalid)
	require.Equal(t, []string{d["event_id"].(string)}, ids)
}
