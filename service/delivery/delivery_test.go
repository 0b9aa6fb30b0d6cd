package delivery_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/delivery"
	"github.com/octopost/octopost/service/netpolicy"
)

func newSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// receiver is a webhook endpoint on 127.0.0.1 that verifies each request with the
// Standard Webhooks reference library, with the secret it was given, and answers status.
type receiver struct {
	*httptest.Server
	verified, refused atomic.Int64
	status            atomic.Int64
	bodies            chan []byte
}

func newReceiver(t *testing.T, secret string) *receiver {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	r := &receiver{bodies: make(chan []byte, 16)}
	r.status.Store(http.StatusNoContent)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := wh.Verify(body, req.Header); err != nil {
			r.refused.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.verified.Add(1)
		r.bodies <- body
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.Close)
	return r
}

var client = netpolicy.Client(true, delivery.Timeout)

func message() delivery.Message {
	return delivery.Message{ID: "evt_01JABCDEF", Timestamp: time.Now(), Body: []byte(`{"id":"evt_01JABCDEF","type":"post.published","data":{}}`)}
}

// TestSignatureVerifiesWithTheReferenceLibrary: what Octopost signs, the Standard
// Webhooks library accepts; with both secrets after a rotation, a receiver holding either
// accepts it; one holding another secret refuses it.
func TestSignatureVerifiesWithTheReferenceLibrary(t *testing.T) {
	t.Parallel()
	current, previous := newSecret(t), newSecret(t)
	msg := message()
	for _, secrets := range [][]string{{current}, {current, previous}} {
		for _, holder := range secrets {
			r := newReceiver(t, holder)
			res := delivery.Send(context.Background(), client, r.URL, msg, secrets...)
			require.Equal(t, delivery.Result{Outcome: delivery.Delivered, Status: http.StatusNoContent}, res)
			require.EqualValues(t, 1, r.verified.Load())
			require.Equal(t, msg.Body, <-r.bodies)
		}
	}
	stranger := newReceiver(t, newSecret(t))
	res := delivery.Send(context.Background(), client, stranger.URL, msg, current, previous)
	require.Equal(t, delivery.Failed, res.Outcome)
	require.Equal(t, http.StatusUnauthorized, res.Status)
	require.EqualValues(t, 1, stranger.refused.Load())

	sig, err := delivery.Signature(msg, current, previous)
	require.NoError(t, err)
	parts := strings.Split(sig, " ")
	require.Len(t, parts, 2)
	for _, p := range parts {
		require.True(t, strings.HasPrefix(p, "v1,"), p)
	}
	_, err = delivery.Signature(msg, "not-a-secret!")
	require.Error(t, err)
}

// TestSendClassifiesTheAnswer: 2xx delivered, 410 gone, everything else (another status,
// a redirect, which is not followed, no answer, a private address) failed, with the status
// and a message that quotes neither the answer nor the URL.
func TestSendClassifiesTheAnswer(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	r := newReceiver(t, secret)
	followed := atomic.Int64{}
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	t.Cleanup(elsewhere.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, elsewhere.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)

	for status, want := range map[int]delivery.Outcome{
		200: delivery.Delivered, 202: delivery.Delivered, 410: delivery.Gone,
		400: delivery.Failed, 404: delivery.Failed, 500: delivery.Failed, 503: delivery.Failed,
	} {
		r.status.Store(int64(status))
		res := delivery.Send(context.Background(), client, r.URL, message(), secret)
		require.Equal(t, want, res.Outcome, "HTTP %d", status)
		require.Equal(t, status, res.Status)
		if want != delivery.Delivered {
			require.Contains(t, res.Error, strconv.Itoa(status))
			require.NotContains(t, res.Error, r.URL)
		}
	}

	res := delivery.Send(context.Background(), client, redirect.URL, message(), secret)
	require.Equal(t, delivery.Failed, res.Outcome)
	require.Equal(t, http.StatusTemporaryRedirect, res.Status)
	require.Zero(t, followed.Load(), "a redirect is not followed")

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	res = delivery.Send(context.Background(), client, closed.URL, message(), secret)
	require.Equal(t, delivery.Result{Outcome: delivery.Failed, Error: "the endpoint could not be reached"}, res)

	guarded := netpolicy.Client(false, delivery.Timeout) // the production guard: 127.0.0.1 is refused at dial time
	res = delivery.Send(context.Background(), guarded, r.URL, message(), secret)
	require.Equal(t, delivery.Result{Outcome: delivery.Failed, Error: "the endpoint's address is not public"}, res)
}

// TestSendGivesUpOnASlowEndpoint: an endpoint that never answers fails the attempt when
// the caller's context (or the 15 s timeout) ends, as a timeout.
func TestSendGivesUpOnASlowEndpoint(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(func() { close(release); slow.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res := delivery.Send(ctx, client, slow.URL, message(), newSecret(t))
	require.Equal(t, delivery.Failed, res.Outcome)
	require.Contains(t, res.Error, "did not answer within")
}

// TestScheduleLastsAboutThreeDays: the first retry comes within 10 s, the waits grow, and
// the retries end about three days after the first attempt.
func TestScheduleLastsAboutThreeDays(t *testing.T) {
	t.Parallel()
	first, ok := delivery.NextAttempt(1)
	require.True(t, ok)
	require.LessOrEqual(t, first, 10*time.Second)
	var total time.Duration
	prev := time.Duration(0)
	n := 1
	for ; ; n++ {
		d, ok := delivery.NextAttempt(n)
		if !ok {
			break
		}
		require.GreaterOrEqual(t, d, prev, "the waits never shrink")
		prev = d
		total += d
	}
	require.InDelta(t, (72 * time.Hour).Hours(), total.Hours(), 8, "about three days of retries")
	_, ok = delivery.NextAttempt(0)
	require.False(t, ok)
}
