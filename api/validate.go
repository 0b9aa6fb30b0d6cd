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
	"slices"
	"strings"
	"time"

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
	// extPublic marks an operation that needs no key (the health probes): it must also
	// say `security: []` and name no permission.
	extPublic = "x-octopost-public"
)

// requirement is what an operation's extensions ask of the caller's key.
type requirement struct {
	permission service.Permission
	liveOnly   bool
	// public: no key, no permission, no rate limit (health.go).
	public bool
}

// validator enforces the contract on every request before a handler runs, in this order:
//
//  1. the route exists (else 404 or 405);
//  2. the key is valid and allowed: kin-openapi's ValidateSecurityRequirements with the
//     AuthenticationFunc, given the request without its body, so a caller without a valid
//     key gets 401 or 403 and nothing it sent beyond the headers is read;
//  3. the body, for operations that take one: at most MaxBodyBytes (413), present when
//     required, of a media type the operation takes, one well-formed JSON document (400);
//     all of this is checked here, from typed results (mime, encoding/json), so that no
//     status depends on the wording of kin-openapi's messages;
//  4. query parameters that take one value are given at most once (kin-openapi checks only
//     the first, and the generated binder would fail on the second);
//  5. no array of the body is longer than its schema's maxItems (arraybounds.go): one walk
//     over the body, and when one is, a 422 listing those arrays and the parameters'
//     problems, without the body's items ever being checked one by one;
//  6. parameters and body match their schemas (kin-openapi, security excluded): one 422
//     listing at most maxProblems problems, each named by the parameter or a JSON pointer.
//
// The cost of a request is bounded by its size: kin-openapi finds every problem in one
// pass, with details left out of its messages, and requestFailure reads no more of them
// than it reports, naming each from the errors' structured fields, never their text. The
// one cost kin-openapi cannot bound, an error for each of an array's many bad items, is
// kept from it by step 5.
//
// It is the only place authorization happens.
type validator struct {
	mux            *http.ServeMux
	requirements   map[*openapi3.Operation]requirement
	svc            *service.Service
	refuseTestKeys bool
	logger         *slog.Logger
	// authOptions check the key alone; options check parameters and body, once the
	// key has passed.
	authOptions openapi3filter.Options
	options     openapi3filter.Options
	// admit, when set, runs once the key is authorized and before the body is read: the
	// rate limits (ratelimit.go). It answers the request itself when it returns false.
	admit func(w http.ResponseWriter, r *http.Request, op *openapi3.Operation) bool
}

func newValidator(spec *openapi3.T, svc *service.Service, refuseTestKeys bool, logger *slog.Logger) (*validator, error) {
	requirements, err := readRequirements(spec)
	if err != nil {
		return nil, err
	}
	v := &validator{requirements: requirements, svc: svc, refuseTestKeys: refuseTestKeys, logger: logger}
	v.authOptions = openapi3filter.Options{AuthenticationFunc: v.authenticate}
	v.options = openapi3filter.Options{
		MultiError: true,
		// kin-openapi writes a property's default over an explicit null as well as into a
		// missing property, which let null through for non-nullable fields with a default
		// (is_default, cross_link_enabled, is_active). The handlers apply the defaults.
		SkipSettingDefaults: true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			// Messages without the schema and the value in them: kin-openapi formats the
			// errors under an allOf eagerly, and with both embedded that work grows with the
			// square of the body. It also keeps values out of the logs.
			openapi3.DisableSchemaErrorDetails(),
			openapi3.WithStringFormatValidator("date-time", dateTimeFormat{}),
		},
	}
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
// when one is missing or unknown: an operation without a stated permission is a hole. The
// one exception is an operation marked x-octopost-public with `security: []` (health.go);
// either without the other is refused too.
func readRequirements(spec *openapi3.T) (map[*openapi3.Operation]requirement, error) {
	out := map[*openapi3.Operation]requirement{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if public, _ := op.Extensions[extPublic].(bool); public {
				// Keyless only when the spec says so twice, so that neither a stray marker
				// nor a dropped security list opens an operation on its own.
				if op.Security == nil || len(*op.Security) != 0 {
					return nil, fmt.Errorf("%s %s: %s needs security: []", method, path, extPublic)
				}
				if _, ok := op.Extensions[extPermission]; ok {
					return nil, fmt.Errorf("%s %s: %s cannot have %s", method, path, extPublic, extPermission)
				}
				out[op] = requirement{public: true}
				continue
			}
			if op.Security != nil && len(*op.Security) == 0 {
				return nil, fmt.Errorf("%s %s: security: [] without %s: true", method, path, extPublic)
			}
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

// validate checks one request against its operation, in the order the validator's
// comment gives.
func (v *validator) validate(route *routers.Route, paramNames []string, next http.Handler) http.Handler {
	security := route.Operation.Security
	if security == nil {
		security = &route.Spec.Security
	}
	// Parameters and body are checked against the operation with its security already
	// satisfied, so kin-openapi neither runs the AuthenticationFunc again nor copies the body
	// for it.
	checkedOp := *route.Operation
	checkedOp.Security = &openapi3.SecurityRequirements{}
	checked := *route
	checked.Operation = &checkedOp
	// A body with an array over its maxItems leaves only the parameters to kin-openapi.
	paramsOp := checkedOp
	paramsOp.RequestBody = nil
	paramsOnly := *route
	paramsOnly.Operation = &paramsOp

	var requestBody *openapi3.RequestBody
	var bounds *arrayBounds
	if route.Operation.RequestBody != nil {
		requestBody = route.Operation.RequestBody.Value
		for mediaType, content := range requestBody.Content {
			if isJSON(mediaType) {
				bounds = compileArrayBounds(content.Schema)
			}
		}
	}
	public := v.requirements[route.Operation].public
	var singleQuery []string
	for _, p := range route.Operation.Parameters {
		if p.Value.In == openapi3.ParameterInQuery && (p.Value.Schema == nil || !p.Value.Schema.Value.Type.Is(openapi3.TypeArray)) {
			singleQuery = append(singleQuery, p.Value.Name)
		}
	}

	operationID := specOperationID(route.Operation.OperationID)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noteOperation(w, operationID)
		pathParams := make(map[string]string, len(paramNames))
		for _, name := range paramNames {
			pathParams[name] = r.PathValue(name)
		}
		slot := &principalSlot{}
		ctx := context.WithValue(r.Context(), principalKey{}, slot)
		r = r.WithContext(ctx)

		// kin-openapi reads the whole body before calling the AuthenticationFunc (which
		// may want it); ours reads headers only, so it gets a request without one.
		headersOnly := r.WithContext(ctx) // a shallow copy: the headers are only read
		headersOnly.Body = http.NoBody
		headersOnly.ContentLength = 0
		err := openapi3filter.ValidateSecurityRequirements(ctx, &openapi3filter.RequestValidationInput{
			Request: headersOnly, PathParams: pathParams, Route: route, Options: &v.authOptions,
		}, *security)
		if err != nil {
			writeError(w, r, v.logger, securityFailure(err))
			return
		}
		if v.admit != nil && !public && !v.admit(w, r, route.Operation) {
			return
		}

		// Only operations that take a body read one, so only they can answer 400 or 413
		// for it, as openapi.yaml says; any other ignores what was sent.
		var body []byte
		if requestBody == nil {
			r.Body = http.NoBody
		} else if body, err = readBody(r, requestBody); err != nil {
			writeError(w, r, v.logger, err)
			return
		}
		if fields := repeatedParameters(r, singleQuery); len(fields) > 0 {
			writeError(w, r, v.logger, validationError(fields))
			return
		}
		// Arrays over their maxItems, found in one walk, are the body's problems: kin-openapi
		// checks the parameters alone and never visits those arrays' items.
		var long problems
		if bounds.tooLong(body, &long) {
			c := problems{unknown: map[objectAt][]string{}}
			err = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
				Request: r, PathParams: pathParams, Route: &paramsOnly, Options: &v.options,
			})
			if err != nil {
				if err := c.request(err); err != nil {
					writeError(w, r, v.logger, err)
					return
				}
			}
			for _, f := range long.fields {
				c.add(f.Field, f.Message)
			}
			writeError(w, r, v.logger, validationError(c.fields))
			return
		}
		err = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
			Request: r, PathParams: pathParams, Route: &checked, Options: &v.options,
		})
		if err != nil {
			writeError(w, r, v.logger, requestFailure(err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// securityFailure is the answer to a failed key check. There is one scheme, so one cause:
// errUnauthorized, errForbidden, or a store failure that writeError reports as internal.
func securityFailure(err error) error {
	var sec *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sec) {
		if len(sec.Errors) > 0 {
			return sec.Errors[0]
		}
		return errUnauthorized
	}
	return err
}

// readBody reads the body of an authenticated request, refusing before anything parses
// it a body that is too large (413), missing when required, of a media type the operation
// does not take, or not one JSON document (400); then replays it to the validator and
// the handler. It returns the body when it is JSON.
func readBody(r *http.Request, rb *openapi3.RequestBody) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
			return nil, errInvalidJSON
		}
		if len(body) > MaxBodyBytes {
			return nil, errTooLarge
		}
	}
	if len(body) == 0 {
		if rb.Required {
			return nil, errInvalidJSON
		}
		r.Body, r.ContentLength = http.NoBody, 0
		return nil, nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || rb.Content.Get(mediaType) == nil {
		return nil, errContentType
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if !isJSON(mediaType) {
		return nil, nil
	}
	// Decoders stop after the first JSON value; a body with anything after it is not
	// one JSON document, and must not half-succeed.
	if !json.Valid(body) {
		return nil, errInvalidJSON
	}
	return body, nil
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// repeatedParameters names the query parameters given more than once that take one value.
func repeatedParameters(r *http.Request, single []string) []service.FieldError {
	if len(single) == 0 || r.URL.RawQuery == "" {
		return nil
	}
	query := r.URL.Query()
	var fields []service.FieldError
	for _, name := range single {
		if len(query[name]) > 1 {
			fields = append(fields, service.FieldError{Field: name, Message: "must be given at most once"})
		}
	}
	return fields
}

// dateTimeFormat accepts exactly the date-times the handlers can decode: RFC 3339 by
// kin-openapi's pattern, and by Go's parser (which refuses, for instance, a leap second),
// so that a timestamp the generated server cannot decode is a 422 on its field rather than
// a 400 for the whole body.
type dateTimeFormat struct{}

var errDateTime = errors.New("not an RFC 3339 date-time")

func (dateTimeFormat) Validate(value string) error {
	var t time.Time
	if t.UnmarshalText([]byte(value)) != nil {
		return errDateTime
	}
	if pattern := openapi3.SchemaStringFormats["date-time"]; pattern != nil && pattern.Validate(value) != nil {
		return errDateTime
	}
	return nil
}

// maxProblems is how many problems a 422 lists at most (the contract's maxItems).
const maxProblems = 20

// requestFailure turns kin-openapi's findings on parameters and body into the contract's
// answer: 400 for a body it could not parse, else one 422 listing the problems. Anything
// it cannot classify by type is internal (500, logged).
func requestFailure(err error) error {
	c := problems{unknown: map[objectAt][]string{}}
	if err := c.request(err); err != nil {
		return err
	}
	return validationError(c.fields)
}

// request adds kin-openapi's findings on parameters and body to c. It returns the answer
// instead when they are not all problems a 422 can list.
func (c *problems) request(err error) error {
	all, ok := err.(openapi3.MultiError)
	if !ok {
		all = openapi3.MultiError{err}
	}
	for _, e := range all {
		re, ok := e.(*openapi3filter.RequestError)
		if !ok {
			return e
		}
		switch {
		case re.Parameter != nil:
			c.parameter(re)
		case re.RequestBody != nil:
			if !c.schema(re.Err) {
				var pe *openapi3filter.ParseError
				if errors.As(re.Err, &pe) || errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
					return errInvalidJSON
				}
				return e
			}
		default:
			return e
		}
		if c.full() {
			break
		}
	}
	return nil
}

// problems collects the field errors of one request, stopping one past maxProblems: enough
// to know that the answer is truncated.
type problems struct {
	fields []service.FieldError
	// unknown holds the undeclared properties of each object reported on so far, in the
	// order kin-openapi reports them (sorted).
	unknown map[objectAt][]string
	seen    map[objectAt]int
}

// objectAt is one object of the body, under one schema.
type objectAt struct {
	pointer string
	schema  *openapi3.Schema
}

func (c *problems) full() bool { return len(c.fields) > maxProblems }

func (c *problems) add(field, message string) {
	if !c.full() {
		c.fields = append(c.fields, service.FieldError{Field: field, Message: message})
	}
}

// parameter reports one parameter's problem, named by the parameter, with the message of
// its first schema error or of the typed cause.
func (c *problems) parameter(re *openapi3filter.RequestError) {
	name := re.Parameter.Name
	var se *openapi3.SchemaError
	var pe *openapi3filter.ParseError
	switch {
	case errors.As(re.Err, &se) && se.Reason != "":
		c.add(name, se.Reason)
	case errors.As(re.Err, &pe) && pe.Reason != "":
		c.add(name, "is "+pe.Reason)
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		c.add(name, "is required")
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		c.add(name, "must not be empty")
	default:
		c.add(name, "is not valid")
	}
}

// schema reports the schema errors in err, descending through allOf into the errors of the
// subschemas, so that each problem is named at its own field. It reports false when err
// holds anything but schema errors.
func (c *problems) schema(err error) bool {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, inner := range e {
			if c.full() {
				return true
			}
			if !c.schema(inner) {
				return false
			}
		}
		return len(e) > 0
	case *openapi3.SchemaError:
		var inner openapi3.MultiError
		if e.SchemaField == "allOf" && errors.As(e.Origin, &inner) && len(inner) > 0 {
			return c.schema(inner)
		}
		c.leaf(e)
		return true
	}
	return false
}

// leaf reports one schema error at its JSON pointer. An undeclared property is reported
// on its object (SchemaField "properties", the object as Value); which property it is comes
// from the object and the schema: kin-openapi reports them one by one, in sorted order.
func (c *problems) leaf(se *openapi3.SchemaError) {
	pointer := jsonPointer(se.JSONPointer())
	obj, isObject := se.Value.(map[string]any)
	if se.SchemaField == "properties" && isObject && se.Schema != nil {
		at := objectAt{pointer: pointer, schema: se.Schema}
		names, ok := c.unknown[at]
		if !ok {
			names = undeclared(se.Schema, obj)
			c.unknown[at] = names
		}
		if c.seen == nil {
			c.seen = map[objectAt]int{}
		}
		if i := c.seen[at]; i < len(names) {
			c.seen[at] = i + 1
			pointer = strings.TrimSuffix(pointer, "/") + "/" + escapePointer(names[i])
		}
	}
	message := se.Reason
	if message == "" {
		message = "does not match the schema's " + se.SchemaField
	}
	c.add(pointer, message)
}

// undeclared lists the first properties of obj, in sorted order, that schema does not
// declare: no more than a 422 can report, so that an object of many thousands costs one
// pass over its keys and no sort.
func undeclared(schema *openapi3.Schema, obj map[string]any) []string {
	names := make([]string, 0, maxProblems+1)
	for k := range obj {
		if _, ok := schema.Properties[k]; ok {
			continue
		}
		if len(names) == cap(names) {
			if k >= names[len(names)-1] {
				continue
			}
			names = names[:len(names)-1]
		}
		i, _ := slices.BinarySearch(names, k)
		names = slices.Insert(names, i, k)
	}
	return names
}

// jsonPointer renders a path as an RFC 6901 pointer; the root is "/".
func jsonPointer(path []string) string {
	if len(path) == 0 {
		return "/"
	}
	var sb strings.Builder
	for _, p := range path {
		sb.WriteByte('/')
		sb.WriteString(escapePointer(p))
	}
	return sb.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(s string) string { return pointerEscaper.Replace(s) }
