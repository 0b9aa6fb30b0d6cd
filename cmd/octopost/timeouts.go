package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// How serve's timeouts fit together
//
// Every timeout is derived from two choices, the time one call to a platform may take
// and the time the publishing queue lets running jobs finish when it stops, plus a
// margin at each step, so that no timeout can cut short the work another one bounds:
//
//   - platformCall: one HTTP request to a platform, when connecting or publishing;
//   - connect = platformCall + margin: verifying an account on POST /v1/accounts, which
//     may take more than one call. A single call that hangs fails on its own timeout;
//   - request = connect + margin: every request's context, so a handler (a connect, with
//     its account saved after the verification) is done before
//   - write = request + margin: the HTTP write timeout, counted from the end of the
//     request's headers. A handler that returns has time to write its answer, so a
//     platform that hangs during a connect gives the documented 422, not a dropped
//     connection. Reading the body (ReadTimeout) fits inside it too;
//   - drain = write + margin: shutting the HTTP server down waits for the requests in
//     flight, which all end within write (a connection still reading its first headers
//     after 5 s is closed at once by net/http);
//   - queueStop: running jobs get this long to finish when the queue stops, and then
//     are cancelled; they record what they know promptly, within a margin;
//   - shutdown = drain + queueStop + margin: the HTTP server is drained first (no request
//     can enqueue a job any more), then the queue is stopped, each in its own share.
//
// TestProductionTimeoutsAreOrdered checks the production values; the hanging-platform
// test runs serve with the same derivation at a smaller scale.

type timeouts struct {
	margin       time.Duration
	platformCall time.Duration
	connect      time.Duration
	request      time.Duration
	readHeader   time.Duration
	read         time.Duration
	write        time.Duration
	idle         time.Duration
	drain        time.Duration
	queueStop    time.Duration
	shutdown     time.Duration
}

// deriveTimeouts returns the timeouts that follow from one platform call, the queue's
// stop timeout and the margin between steps. Reading a request's headers takes at most a
// third of a platform call, and its body at most a platform call.
func deriveTimeouts(platformCall, queueStop, margin time.Duration) timeouts {
	t := timeouts{margin: margin, platformCall: platformCall, queueStop: queueStop}
	t.connect = t.platformCall + margin
	t.request = t.connect + margin
	t.write = t.request + margin
	t.readHeader = platformCall / 3
	t.read = platformCall
	t.idle = 4 * platformCall
	t.drain = t.write + margin
	t.shutdown = t.drain + t.queueStop + margin
	return t
}

// productionTimeouts are serve's: 30 s per platform call (the same bound as before for
// publishing, media uploads included), 30 s for running jobs to finish at a stop, 5 s
// margins. That makes connect 35 s, the write timeout 45 s and the whole shutdown 85 s,
// within systemd's default 90 s stop timeout.
var productionTimeouts = deriveTimeouts(30*time.Second, 30*time.Second, 5*time.Second)

// check reports a timeout that would cut short the work another one bounds. The
// derivation cannot produce one; check guards hand-made values (tests) and edits.
func (t timeouts) check() error {
	for _, step := range []struct {
		inner, outer         time.Duration
		innerName, outerName string
	}{
		{t.platformCall, t.connect, "platform call", "connect verification"},
		{t.connect, t.request, "connect verification", "request deadline"},
		{t.request, t.write, "request deadline", "HTTP write timeout"},
		{t.read, t.write, "HTTP read timeout", "HTTP write timeout"},
		{t.write, t.drain, "HTTP write timeout", "HTTP drain"},
		{t.drain + t.queueStop, t.shutdown, "HTTP drain + queue stop", "shutdown grace"},
	} {
		if step.inner+t.margin > step.outer {
			return fmt.Errorf("timeouts: %s (%s) leaves less than %s within %s (%s)",
				step.innerName, step.inner, t.margin, step.outerName, step.outer)
		}
	}
	return nil
}

// server returns the HTTP server for handler, with the request deadline and the
// server's timeouts.
func (t timeouts) server(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           withDeadline(handler, t.request),
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
	}
}

// withDeadline gives every request's context a deadline d after its handler starts, so
// whatever the handler waits on (the database, a platform) gives up while the answer can
// still be written.
func withDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
