package api

// Rate limits at the HTTP layer (the limits themselves: service/ratelimit.go).
//
// The validator calls admit right after a request's key passed authorization and before
// it reads the body, so every answer to an authorized request (2xx, and the 400, 404, 409,
// 413 and 422 that follow) counts, and carries X-RateLimit-Limit, X-RateLimit-Remaining
// and X-RateLimit-Reset (unix seconds), unless the user's tier is unlimited. A request
// over the limit is a 429 with Retry-After and the contract's body, written by
// writeError. Answers given before authorization passed (401, 403, and 404 or 405 for a
// path no operation has) carry no rate-limit headers and count against nothing: without
// an authorized key there is no one to count them for. A 500 may lack them too, when the
// count itself failed.
//
// Which operations also count against the hourly publishing limit is said by openapi.yaml:
// those with `x-octopost-rate-limit: publish`.

import (
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/octopost/octopost/service"
)

// extRateLimit names the extra limit an operation counts against.
const extRateLimit = "x-octopost-rate-limit"

// The rate-limit response headers.
const (
	headerLimit     = "X-RateLimit-Limit"
	headerRemaining = "X-RateLimit-Remaining"
	headerReset     = "X-RateLimit-Reset"
)

// rateLimits applies a limiter to authorized requests.
type rateLimits struct {
	limiter *service.RateLimiter
	write   func(w http.ResponseWriter, r *http.Request, err error)
}

// admit counts the request and sets its headers; it answers the request itself (429, or
// 500 when counting failed) and reports false when the handler must not run.
func (rl *rateLimits) admit(w http.ResponseWriter, r *http.Request, op *openapi3.Operation) bool {
	publish := op.Extensions[extRateLimit] == "publish"
	d, err := rl.limiter.Allow(r.Context(), keyFrom(r.Context()), publish)
	if err != nil {
		rl.write(w, r, err)
		return false
	}
	if !d.Limited {
		return true
	}
	h := w.Header()
	h.Set(headerLimit, strconv.Itoa(d.Limit))
	h.Set(headerRemaining, strconv.Itoa(d.Remaining))
	h.Set(headerReset, strconv.FormatInt(d.Reset.Unix(), 10))
	if !d.Allowed {
		rl.write(w, r, rateLimited(d))
		return false
	}
	return true
}
