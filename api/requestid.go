package api

import (
	"context"
	"net/http"

	"github.com/octopost/octopost/service/id"
)

const requestIDHeader = "X-Request-Id"

// saneRequestID accepts what a caller may reasonably send as a request id: short, and
// nothing that could forge a log line or a header.
func saneRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

type requestIDKey struct{}

// withRequestID gives every request an id, echoing the caller's when it is sane, and sets
// it on the response before anything else can write, so errors carry it too.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := r.Header.Get(requestIDHeader)
		if !saneRequestID(rid) {
			rid = id.New("req")
		}
		w.Header().Set(requestIDHeader, rid)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, rid)))
	})
}

// RequestID returns the id of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	rid, _ := ctx.Value(requestIDKey{}).(string)
	return rid
}
