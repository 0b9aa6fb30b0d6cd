package api

// Idempotency keys at the HTTP layer (the rules: service/idempotency.go).
//
// idempotent wraps the handlers, so it sees a request the validator has authorized,
// counted and checked: the Idempotency-Key header is at most 255 characters (openapi.yaml
// says so, and a longer one is a 422 naming the header), and the body is in memory, at
// most 1 MiB. What the validator refuses (400, 413, 422 for the schema) is refused again
// on a retry without running anything, so it is neither kept nor replayed.
//
// For a POST with a key, the request's fingerprint is the SHA-256 of its method, path with
// query, and body bytes: a retry must send the same bytes (a re-encoded body with its
// fields in another order is a different request). The first request runs with its
// response captured as it is written (status, the headers the handler set, the body up to
// service.MaxIdempotentResponse); once it has run, the response is kept or the claim
// released by the service's rule (2xx and 4xx kept, 5xx not). A replay writes the kept
// status, headers and body, with Idempotent-Replayed: true; the request id and the
// rate-limit headers are the replaying request's own.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/octopost/octopost/service"
)

const (
	idempotencyKeyHeader = "Idempotency-Key"
	replayedHeader       = "Idempotent-Replayed"
)

// idempotencySweepEvery is how often an instance deletes expired keys.
const idempotencySweepEvery = time.Minute

type idempotency struct {
	svc       *service.Service
	logger    *slog.Logger
	next      http.Handler
	lastSweep atomic.Int64
}

func idempotent(svc *service.Service, logger *slog.Logger, next http.Handler) http.Handler {
	return &idempotency{svc: svc, logger: logger, next: next}
}

func (h *idempotency) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(idempotencyKeyHeader)
	if r.Method != http.MethodPost || key == "" {
		h.next.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	// The validator's in-memory copy: reading it costs no I/O, and it is put back for the
	// handler.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, r, h.logger, errInvalidJSON)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	h.maybeSweep()
	claim, err := h.svc.ClaimIdempotencyKey(ctx, scopeFrom(ctx), key, fingerprint(r, body))
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	switch claim.Outcome {
	case service.IdempotencyInUse:
		writeError(w, r, h.logger, errIdempotencyInUse)
		return
	case service.IdempotencyReused:
		writeError(w, r, h.logger, errIdempotencyReused)
		return
	case service.IdempotencyReplay:
		h.replay(w, r, claim.Record)
		return
	}

	c := &captureWriter{ResponseWriter: w}
	// However the handler ends, the claim is completed or released; a panic releases it
	// (the access log turns the panic into a 500), and so does a client gone away, since
	// the work may not have finished: the completion runs without the request's context.
	done := context.WithoutCancel(ctx)
	defer func() {
		if p := recover(); p != nil {
			h.release(done, r, claim.Record)
			panic(p)
		}
	}()
	h.next.ServeHTTP(c, r)
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	if c.over {
		// Too large to keep.
		h.release(done, r, claim.Record)
		return
	}
	h.settle(done, r, claim.Record, status, c.header, c.body.Bytes())
}

// settle keeps the response or releases the claim; the response has been sent, so a
// failure is only logged (the claim then lapses with its lease).
func (h *idempotency) settle(ctx context.Context, r *http.Request, rec service.IdempotencyRecord, status int, header http.Header, body []byte) {
	encoded, err := json.Marshal(header)
	if err == nil {
		err = h.svc.CompleteIdempotencyKey(ctx, rec, status, encoded, body)
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "keeping an idempotent response failed", "error", err.Error(),
			"request_id", r.Header.Get(requestIDHeader))
	}
}

// release gives the claim up, so that a retry runs afresh.
func (h *idempotency) release(ctx context.Context, r *http.Request, rec service.IdempotencyRecord) {
	if err := h.svc.ReleaseIdempotencyKey(ctx, rec); err != nil {
		h.logger.ErrorContext(ctx, "releasing an idempotency key failed", "error", err.Error(),
			"request_id", r.Header.Get(requestIDHeader))
	}
}

// replay writes a kept response.
func (h *idempotency) replay(w http.ResponseWriter, r *http.Request, rec service.IdempotencyRecord) {
	var header http.Header
	if len(rec.Header) > 0 {
		if err := json.Unmarshal(rec.Header, &header); err != nil {
			writeError(w, r, h.logger, err)
			return
		}
	}
	out := w.Header()
	for name, values := range header {
		out[name] = values
	}
	out.Set(replayedHeader, "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// maybeSweep deletes expired keys at most once per idempotencySweepEvery, off the
// request's path.
func (h *idempotency) maybeSweep() {
	now := time.Now().Unix()
	last := h.lastSweep.Load()
	if now-last < int64(idempotencySweepEvery/time.Second) || !h.lastSweep.CompareAndSwap(last, now) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.svc.DeleteExpiredIdempotencyKeys(ctx); err != nil {
			h.logger.Warn("deleting expired idempotency keys failed", "error", err.Error())
		}
	}()
}

// fingerprint identifies a request: method, path and query, body.
func fingerprint(r *http.Request, body []byte) string {
	sum := sha256.New()
	io.WriteString(sum, r.Method)
	sum.Write([]byte{0})
	io.WriteString(sum, r.URL.RequestURI())
	sum.Write([]byte{0})
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil))
}

// captureWriter passes a response through while keeping a copy of it: its status, the
// headers the handler set (not the request id and rate-limit headers, which belong to
// each request), and its body while it is within the bound.
type captureWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
	over   bool
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
		c.header = http.Header{}
		for name, values := range c.ResponseWriter.Header() {
			if name == requestIDHeader || strings.HasPrefix(name, "X-Ratelimit-") || name == "Retry-After" {
				continue
			}
			c.header[name] = append([]string(nil), values...)
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if !c.over {
		if c.body.Len()+len(b) > service.MaxIdempotentResponse {
			c.over = true
			c.body = bytes.Buffer{}
		} else {
			c.body.Write(b)
		}
	}
	return c.ResponseWriter.Write(b)
}
