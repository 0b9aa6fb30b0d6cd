package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
)

// MaxBodyBytes is the largest request body accepted (1 MiB).
const MaxBodyBytes = 1 << 20

// The extensions through which openapi.yaml states what each operation requires.
const (
	extPermission = "x-octopost-permission"
	extLiveOnly   = "x-octopost-live-only"
)

// requirement is what an operation's extensions ask of the caller's key.
type requirement struct {
	permission service.Permission
	liveOnly   bool
}

// validator enforces the contract on every request before a handler runs: the route
// exists, the key is valid and allowed (the kin-openapi AuthenticationFunc), and the
// parameters and body match their schemas. It is the only place authorization happens.
type validator struct {
	mux            *http.ServeMux
	requirements   map[*openapi3.Operation]requirement
	svc            *service.Service
	refuseTestKeys bool
	logger         *slog.Logger
	options        openapi3filter.Options
}

func newValidator(spec *openapi3.T, svc *service.Service, refuseTestKeys bool, logger *slog.Logger) (*validator, error) {
	requirements, err := readRequirements(spec)
	if err != nil {
		return nil, err
	}
	v := &validator{requirements: requirements, svc: svc, refuseTestKeys: refuseTestKeys, logger: logger}
	v.options = openapi3filter.Options{AuthenticationFunc: v.authenticate, MultiError: true}
	return v, nil
}

// handler routes each request to its operation in the spec. openapi.yaml's path templates
// are valid net/http patterns, so the standard mux finds the operation (and its path
// parameters) faster than a general OpenAPI router; anything it does not match is a 404
// or a 405.
func (v *validator) handler(spec *openapi3.T, next http.Handler) http.Handler {
	v.mux = http.NewServeMux()
	for path, item := range spec.Paths.Map() {
		params := pathParam.FindAllStringSubmatch(path, -1)
		for method, op := range item.Operations() {
			route := &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
			names := make([]string, len(params))
			for i, p := range params {
				names[i] = p[1]
			}
			v.mux.Handle(method+" "+path, v.validate(route, names, next))
		}
	}
	v.mux.HandleFunc("/", v.unrouted)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux would answer an unclean path ("/v1//posts") with a bare redirect; no
		// operation lives there, so it is a 404 like any other unknown path.
		if clean := path.Clean(r.URL.Path); clean != strings.TrimSuffix(r.URL.Path, "/") && clean != r.URL.Path {
			writeError(w, r, v.logger, errRouteMissing)
			return
		}
		v.mux.ServeHTTP(w, r)
	})
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// unrouted answers requests that match no operation: 405 with Allow when the path exists
// with other methods, else 404.
func (v *validator) unrouted(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := v.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		writeError(w, r, v.logger, errRouteMissing)
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, r, v.logger, errNotAllowed)
}

// readRequirements reads every operation's permission from the spec, and refuses to start
// when one is missing or unknown: an operation without a stated permission is a hole.
func readRequirements(spec *openapi3.T) (map[*openapi3.Operation]requirement, error) {
	out := map[*openapi3.Operation]requirement{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			perm, _ := op.Extensions[extPermission].(string)
			if !service.Permission(perm).Valid() {
				return nil, fmt.Errorf("%s %s: %s is %q, want one of %v", method, path, extPermission, perm, service.Permissions)
			}
			liveOnly, _ := op.Extensions[extLiveOnly].(bool)
			out[op] = requirement{permission: service.Permission(perm), liveOnly: liveOnly}
		}
	}
	return out, nil
}

// principalSlot carries the authenticated key out of the AuthenticationFunc, which cannot
// change the request's context itself.
type principalSlot struct{ key service.APIKey }

type principalKey struct{}

// keyFrom returns the key that authenticated the request.
func keyFrom(ctx context.Context) service.APIKey {
	slot, _ := ctx.Value(principalKey{}).(*principalSlot)
	if slot == nil {
		return service.APIKey{}
	}
	return slot.key
}

// scopeFrom returns the user and mode every read and write of the request is limited to.
func scopeFrom(ctx context.Context) service.Scope {
	k := keyFrom(ctx)
	return service.Scope{UserID: k.UserID, Mode: k.Mode}
}

// authenticate is the kin-openapi AuthenticationFunc: it checks the bearer key and the
// permission and mode the operation's extensions demand.
func (v *validator) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	secret, err := apikey.FromAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return errUnauthorized
	}
	key, err := v.svc.Authenticate(ctx, secret)
	if errors.Is(err, service.ErrUnauthenticated) {
		return errUnauthorized
	}
	if err != nil {
		return err
	}
	req := v.requirements[in.RequestValidationInput.Route.Operation]
	if key.Mode == service.ModeTest && (req.liveOnly || v.refuseTestKeys) {
		return errUnauthorized
	}
	if !key.Allows(req.permission) {
		return errForbidden
	}
	if slot, ok := ctx.Value(principalKey{}).(*principalSlot); ok {
		slot.key = key
	}
	return nil
}

// validate checks one request against its operation: the AuthenticationFunc first, then
// parameters and body.
func (v *validator) validate(route *routers.Route, paramNames []string, next http.Handler) http.Handler {
	hasBody := route.Operation.RequestBody != nil
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only operations that take a body read one, so only they can answer 400 or 413
		// for it, as openapi.yaml says; any other ignores what was sent.
		if !hasBody {
			r.Body = http.NoBody
		} else if err := limitBody(r); err != nil {
			writeError(w, r, v.logger, err)
			return
		}
		pathParams := make(map[string]string, len(paramNames))
		for _, name := range paramNames {
			pathParams[name] = r.PathValue(name)
		}
		slot := &principalSlot{}
		ctx := context.WithValue(r.Context(), principalKey{}, slot)
		r = r.WithContext(ctx)
		err := openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
			Request: r, PathParams: pathParams, Route: route, Options: &v.options,
		})
		if err != nil {
			writeError(w, r, v.logger, requestFailure(err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody reads the body up front so that an oversized one is refused with 413 before
// anything parses it, and replays it to the validator and the handler.
func limitBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return errInvalidJSON
	}
	if len(body) > MaxBodyBytes {
		return errTooLarge
	}
	// Decoders stop after the first JSON value; a body with anything after it is not
	// one JSON document, and must not half-succeed.
	if len(body) > 0 && isJSON(r.Header.Get("Content-Type")) && !json.Valid(body) {
		return errInvalidJSON
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return nil
}

func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json"
}

// requestFailure turns the validator's errors into the contract's: authentication first
// (a caller without a valid key learns nothing about its request), then malformed bodies,
// then every schema problem as one 422 listing each field.
func requestFailure(err error) error {
	var all []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		all = me
	} else {
		all = []error{err}
	}
	for _, e := range all {
		var sec *openapi3filter.SecurityRequirementsError
		if errors.As(e, &sec) {
			// One scheme, so one cause: errUnauthorized, errForbidden, or a store failure
			// that writeError reports as internal.
			if len(sec.Errors) > 0 {
				return sec.Errors[0]
			}
			return errUnauthorized
		}
	}
	var fields []service.FieldError
	for _, e := range all {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			return e
		}
		if re.RequestBody != nil {
			if malformed := bodyFailure(re); malformed != nil {
				return malformed
			}
		}
		fields = append(fields, fieldErrors(re)...)
	}
	return validationError(fields)
}

// bodyFailure reports a body that is not JSON at all, as opposed to JSON that breaks the schema.
func bodyFailure(re *openapi3filter.RequestError) error {
	var pe *openapi3filter.ParseError
	if errors.As(re.Err, &pe) {
		return errInvalidJSON
	}
	if strings.Contains(re.Reason, "Content-Type") || strings.Contains(re.Error(), "header Content-Type") {
		return errContentType
	}
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || re.Reason == "value is required but missing" {
		return errInvalidJSON
	}
	return nil
}

var propertyReason = regexp.MustCompile(`^property "([^"]+)" is (?:missing|unsupported)$`)

// fieldErrors names each field a RequestError is about: a JSON pointer into the body, or
// the parameter's name.
func fieldErrors(re *openapi3filter.RequestError) []service.FieldError {
	var schemaErrs []*openapi3.SchemaError
	var me openapi3.MultiError
	if errors.As(re.Err, &me) {
		for _, e := range me {
			var se *openapi3.SchemaError
			if errors.As(e, &se) {
				schemaErrs = append(schemaErrs, se)
			}
		}
	} else {
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			schemaErrs = append(schemaErrs, se)
		}
	}
	if re.Parameter != nil {
		msg := re.Reason
		if len(schemaErrs) > 0 {
			msg = schemaErrs[0].Reason
		} else if msg == "" && re.Err != nil {
			msg = re.Err.Error()
		}
		return []service.FieldError{{Field: re.Parameter.Name, Message: msg}}
	}
	if len(schemaErrs) == 0 {
		return []service.FieldError{{Field: "/", Message: re.Error()}}
	}
	out := make([]service.FieldError, 0, len(schemaErrs))
	for _, se := range schemaErrs {
		pointer := "/" + strings.Join(se.JSONPointer(), "/")
		// kin-openapi points at the object for an unsupported property, and at the
		// property itself for a missing one; either way, name the property.
		if m := propertyReason.FindStringSubmatch(se.Reason); m != nil && !strings.HasSuffix(pointer, "/"+m[1]) {
			pointer = strings.TrimSuffix(pointer, "/") + "/" + m[1]
		}
		out = append(out, service.FieldError{Field: pointer, Message: se.Reason})
	}
	return out
}
