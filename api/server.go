// Package api is Octopost's HTTP layer: the middleware that enforces openapi.yaml, the
// handlers behind the generated strict server, and the mapping of service results to
// responses. It holds no business rules and writes no SQL.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// Options configures the HTTP layer.
type Options struct {
	Logger *slog.Logger
	// RefuseTestKeys makes the instance answer 401 to every test key.
	RefuseTestKeys bool
	// Spec overrides the embedded openapi.yaml; tests use it to exercise extensions no
	// operation uses yet.
	Spec *openapi3.T
	// RateLimiter counts the requests of authorized keys (ratelimit.go); nil: no limits.
	RateLimiter *service.RateLimiter
	// Readiness answers GET /readyz (health.go); nil: always ready.
	Readiness *service.Readiness
	// Observer is told of every request answered (observe.go); nil: nobody is.
	Observer Observer
	// Pages serves the paths it claims (the dashboard, under /dashboard) beside the API,
	// behind the same request id, access log and metrics, but not the API's validation:
	// they are pages, not operations of the contract. Nil: none.
	Pages Pages
}

// Pages is a handler of its own paths beside the API: the dashboard.
type Pages interface {
	http.Handler
	Serves(path string) bool
}

// Server implements the generated strict server interface over the service.
type Server struct {
	svc       *service.Service
	readiness *service.Readiness
}

var _ oapi.StrictServerInterface = (*Server)(nil)

// NewHandler returns the whole HTTP stack: request id, access log and panic recovery,
// contract validation and authorization (with the rate limits counted once the key is
// authorized), idempotency keys, then the handlers.
func NewHandler(svc *service.Service, opts Options) (http.Handler, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	spec := opts.Spec
	if spec == nil {
		var err error
		if spec, err = oapi.GetSpec(); err != nil {
			return nil, fmt.Errorf("load embedded spec: %w", err)
		}
	}
	v, err := newValidator(spec, svc, opts.RefuseTestKeys, logger)
	if err != nil {
		return nil, err
	}
	onError := func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, logger, err) }
	if opts.RateLimiter != nil {
		v.admit = (&rateLimits{limiter: opts.RateLimiter, write: onError}).admit
	}
	strict := oapi.NewStrictHandlerWithOptions(&Server{svc: svc, readiness: opts.Readiness}, nil, oapi.StrictHTTPServerOptions{
		// The validator has already checked the body against the schema, so a decoding
		// failure here means the body is not what the schema promised.
		RequestErrorHandlerFunc:  func(w http.ResponseWriter, r *http.Request, _ error) { onError(w, r, errInvalidJSON) },
		ResponseErrorHandlerFunc: onError,
	})
	handler := idempotent(svc, logger, oapi.HandlerWithOptions(strict, oapi.StdHTTPServerOptions{ErrorHandlerFunc: onError}))
	inner := withOAuthCallback(svc, logger, v.handler(spec, handler))
	if opts.Pages != nil {
		inner = withPages(opts.Pages, inner)
	}
	return withRequestID(accessLog(logger, opts.Observer, inner)), nil
}

// withPages sends the requests pages claims to it, counted as OperationPages, and the
// rest to the API.
func withPages(pages Pages, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pages.Serves(r.URL.Path) {
			noteOperation(w, OperationPages)
			pages.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the access log, and the
// operation the validator routed the request to, for the Observer (observe.go).
type statusRecorder struct {
	http.ResponseWriter
	status    int
	operation string
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// accessLog logs one line per request and turns a panic into a 500. It logs no headers and
// no query, and redacts anything shaped like a key in the path (a key pasted into a URL), so
// no key or secret can reach the logs. It also tells obs, when there is one, of each
// request answered (observe.go): here, because the access log already records the status
// and times the request, so observing costs no more than the observer's own work.
func accessLog(logger *slog.Logger, obs Observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				if rec.status == 0 {
					writeError(rec, r, logger, fmt.Errorf("panic: %v", p))
				} else {
					logger.ErrorContext(r.Context(), "panic after response started", "request_id", w.Header().Get(requestIDHeader), "panic", redactKeys(fmt.Sprint(p)))
				}
			}
			elapsed := time.Since(start)
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", redactKeys(r.URL.Path)), slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("request_id", w.Header().Get(requestIDHeader)))
			if obs != nil {
				observe(obs, r, rec, elapsed)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// redactKeys replaces the secret part of anything shaped like an Octopost key in s
// ("oct_live_" or "oct_test_" followed by base62 characters, of any length, since a
// truncated key is still most of a secret) with "[redacted]", keeping the prefix to say
// what was there. One pass: its cost is linear in len(s).
func redactKeys(s string) string {
	if !strings.Contains(s, "oct_") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		prefix := keyPrefixAt(s, i)
		if prefix == 0 {
			sb.WriteByte(s[i])
			i++
			continue
		}
		end := i + prefix
		for end < len(s) && isBase62(s[end]) {
			end++
		}
		sb.WriteString(s[i : i+prefix])
		if end > i+prefix {
			sb.WriteString("[redacted]")
		}
		i = end
	}
	return sb.String()
}

// keyPrefixAt returns the length of the key prefix at s[i:], or 0.
func keyPrefixAt(s string, i int) int {
	for _, prefix := range [...]string{"oct_live_", "oct_test_"} {
		if strings.HasPrefix(s[i:], prefix) {
			return len(prefix)
		}
	}
	return 0
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
