// Package delivery sends webhook events to their endpoints the Standard Webhooks way
// (standardwebhooks.com): one POST of the event's JSON per attempt, signed, with the
// answer classified for the delivery log and the retry schedule.
//
// Signing. Every request carries webhook-id (the event's id: a receiver deduplicates on
// it, since delivery is at least once), webhook-timestamp (Unix seconds) and
// webhook-signature: "v1," and the base64 HMAC-SHA256, keyed by the secret's bytes (a
// whsec_ secret is base64 after its prefix), of "{id}.{timestamp}.{body}". After a
// rotation the previous secret signs too, for a day: the header then holds both
// signatures, space-separated, and a receiver with either secret accepts the request.
// Any Standard Webhooks library verifies it; the tests use the reference Go library.
//
// Sending. The client is the caller's: the SSRF-safe one (netpolicy), whose dialer
// refuses private addresses at connect time, with the 15 s timeout. Redirects are never
// followed: a 3xx is a failed attempt, as the endpoint did not take the event. The
// answer's body is drained up to a bound and never stored: an endpoint's answer is its
// own business, and the log keeps its status code only.
//
// Outcomes. A 2xx delivered the event. A 410 Gone says the endpoint is gone for good: it
// is disabled. Anything else (another status, a timeout, a refused or failed connection)
// is a failed attempt, retried on Schedule.
package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
)

// Timeout bounds one attempt, from dialing to the answer's headers and drained body.
const Timeout = 15 * time.Second

// Schedule is how long after each failed attempt the next one is made: the Standard
// Webhooks schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), continued at 10 h so that
// retries go on for about three days (2 days 22 h after the first attempt). After the
// last, the delivery has failed for good.
var Schedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// NextAttempt returns how long after the given number of failed attempts the next one is
// due, and false once the schedule is spent.
func NextAttempt(failed int) (time.Duration, bool) {
	if failed < 1 || failed > len(Schedule) {
		return 0, false
	}
	return Schedule[failed-1], true
}

// Message is one event as sent: its id, when it is signed, and its JSON body.
type Message struct {
	ID        string
	Timestamp time.Time
	Body      []byte
}

// Signature returns the webhook-signature header for msg: one "v1,<base64>" per
// secret (the current one first), space-separated.
func Signature(msg Message, secrets ...string) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("delivery: no secret to sign with")
	}
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil || len(key) == 0 {
			return "", errors.New("delivery: a signing secret is not a whsec_ secret")
		}
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%d.", msg.ID, msg.Timestamp.Unix())
		mac.Write(msg.Body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// Outcome is what an attempt came to.
type Outcome int

const (
	// Delivered: the endpoint answered 2xx.
	Delivered Outcome = iota + 1
	// Gone: the endpoint answered 410; it is to be disabled.
	Gone
	// Failed: any other answer or none; the attempt is retried on Schedule.
	Failed
)

// Result is one attempt's outcome for the delivery log. Status is the HTTP status (0 when
// there was no answer); Error says why a failed attempt failed, in words safe to show the
// endpoint's owner (never the endpoint's answer, never a secret).
type Result struct {
	Outcome Outcome
	Status  int
	Error   string
}

// drainLimit is how much of an answer's body is read (and dropped) so that the
// connection can be reused; a longer body closes it instead.
const drainLimit = 64 << 10

// Send makes one attempt to deliver msg to url, signed with secrets (the current one
// first), through client (the SSRF-safe client; its redirects are not followed here).
func Send(ctx context.Context, client *http.Client, url string, msg Message, secrets ...string) Result {
	sig, err := Signature(msg, secrets...)
	if err != nil {
		return Result{Outcome: Failed, Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(msg.Body))
	if err != nil {
		return Result{Outcome: Failed, Error: "the endpoint's URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Octopost-Webhooks/1")
	req.Header.Set("webhook-id", msg.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(msg.Timestamp.Unix(), 10))
	req.Header.Set("webhook-signature", sig)

	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return Result{Outcome: Failed, Error: transportError(ctx, err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return Result{Outcome: Delivered, Status: resp.StatusCode}
	case resp.StatusCode == http.StatusGone:
		return Result{Outcome: Gone, Status: resp.StatusCode, Error: "the endpoint answered 410 Gone: it is disabled"}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return Result{Outcome: Failed, Status: resp.StatusCode,
			Error: fmt.Sprintf("the endpoint answered HTTP %d: redirects are not followed", resp.StatusCode)}
	}
	return Result{Outcome: Failed, Status: resp.StatusCode, Error: fmt.Sprintf("the endpoint answered HTTP %d", resp.StatusCode)}
}

// transportError describes a request that got no answer, by the error's type, never by
// its text (which quotes the URL).
func transportError(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, netpolicy.ErrNotPublic):
		return "the endpoint's address is not public"
	case errors.Is(err, netpolicy.ErrPortNotAllowed):
		return "the endpoint's port is not allowed for webhooks"
	case ctx.Err() != nil || isTimeout(err):
		return fmt.Sprintf("the endpoint did not answer within %s", Timeout)
	}
	return "the endpoint could not be reached"
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
