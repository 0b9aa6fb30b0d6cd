package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// The two authentication bodies are fixed by the contract, word for word.
const (
	msgUnauthorized = "Invalid or expired API key"
	msgForbidden    = "API key does not have permission for this action"
)

// apiError is an error response before it is written: the one shape every failure takes
// on its way out, whichever layer it came from.
type apiError struct {
	status  int
	code    oapi.ErrorCode
	message string
	fields  []service.FieldError
	// truncated says there were more problems than fields lists.
	truncated bool
	// rate is the limit a 429 reports (ratelimit.go), in its details and Retry-After.
	rate *service.RateDecision
}

var (
	errUnauthorized = &apiError{status: http.StatusUnauthorized, code: "unauthorized", message: msgUnauthorized}
	errForbidden    = &apiError{status: http.StatusForbidden, code: "forbidden", message: msgForbidden}
	errInternal     = &apiError{status: http.StatusInternalServerError, code: "internal_error", message: "Internal server error"}
	errRouteMissing = &apiError{status: http.StatusNotFound, code: "not_found", message: "Not found"}
	errInvalidJSON  = &apiError{status: http.StatusBadRequest, code: "bad_request", message: "Request body must be valid JSON"}
	errContentType  = &apiError{status: http.StatusBadRequest, code: "bad_request", message: "Content-Type must be application/json"}
	errTooLarge     = &apiError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large", message: "Request body must not exceed 1048576 bytes"}
	errNotAllowed   = &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "Method not allowed"}

	// The idempotency key's answers (idempotency.go).
	errIdempotencyInUse  = &apiError{status: http.StatusConflict, code: "idempotency_key_in_use", message: "A request with this Idempotency-Key is still in progress"}
	errIdempotencyReused = &apiError{status: http.StatusUnprocessableEntity, code: "idempotency_key_reused",
		message: "This Idempotency-Key was already used with a different request",
		fields:  []service.FieldError{{Field: idempotencyKeyHeader, Message: "was already used with a different request"}}}
)

// rateLimited is the 429 for a request over d's limit, with the contract's message.
func rateLimited(d service.RateDecision) *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: "rate_limited",
		message: fmt.Sprintf("Rate limit exceeded. Try again in %d seconds.", d.RetryAfter), rate: &d}
}

func (e *apiError) Error() string { return e.message }

// validationError is a 422 listing at most maxProblems of fields, and saying so when
// there were more.
func validationError(fields []service.FieldError) *apiError {
	e := &apiError{status: http.StatusUnprocessableEntity, code: "validation_error", message: "Validation failed", fields: fields}
	if len(fields) > maxProblems {
		e.fields, e.truncated = fields[:maxProblems], true
	}
	return e
}

// fromServiceError maps a service failure to its response. Anything that is not a
// *service.Error is internal: it is logged with the request id and never shown.
func fromServiceError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var se *service.Error
	if !errors.As(err, &se) {
		return errInternal
	}
	switch se.Kind {
	case service.KindValidation:
		return validationError(se.Fields)
	case service.KindNotFound:
		return &apiError{status: http.StatusNotFound, code: "not_found", message: se.Message}
	case service.KindConflict:
		return &apiError{status: http.StatusConflict, code: "conflict", message: se.Message}
	case service.KindForbidden:
		return &apiError{status: http.StatusForbidden, code: "forbidden", message: se.Message}
	}
	return errInternal
}

// writeError is the one writer of error responses.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	e := fromServiceError(err)
	if e == errInternal {
		// The cause may quote the request (a path parameter, say): keys are redacted.
		logger.ErrorContext(r.Context(), "request failed", "request_id", w.Header().Get(requestIDHeader), "error", redactKeys(err.Error()))
	}
	body := oapi.Error{Error: e.message, Code: e.code}
	if len(e.fields) > 0 {
		fields := make([]oapi.FieldError, len(e.fields))
		for i, f := range e.fields {
			fields[i] = oapi.FieldError{Field: f.Field, Message: f.Message}
		}
		body.Details = &oapi.ErrorDetails{Errors: &fields}
		if e.truncated {
			body.Details.Truncated = &e.truncated
		}
	}
	h := w.Header()
	if d := e.rate; d != nil {
		remaining, reset := d.Remaining, d.Reset.UTC()
		body.Details = &oapi.ErrorDetails{Limit: &d.Limit, Remaining: &remaining, ResetAt: &reset, RetryAfter: &d.RetryAfter}
		h.Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
	h.Set("Content-Type", "application/json")
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="octopost"`)
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}
