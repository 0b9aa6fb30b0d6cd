package apitest

// The second opinion on every response.
//
// kin-openapi, which the server itself uses to check requests, is lenient where OpenAPI 3.0
// is strict, and the same leniency on both sides of a test cannot catch a contract the
// server does not keep. Outside testers found exactly that: `nullable: true` beside an
// `allOf`/`$ref`, and a nullable enum whose values do not list null, both passed kin and
// failed a validating proxy and generated clients. So each response is also checked by
// libopenapi-validator, an independent implementation that also refuses undocumented
// status codes and checks formats.
//
// libopenapi-validator is lenient about `nullable` too, on purpose (v0.16.2,
// helpers/schema_compiler.go: it moves an `allOf` under a `oneOf` with null, and adds null
// to a nullable enum), so it is not given `nullable` at all. strictNullable first rewrites
// the spec by the rule OpenAPI 3.0.3 states: "A true value adds "null" to the allowed type
// specified by the type keyword, only if type is explicitly defined within the same Schema
// Object. Other Schema Object constraints retain their defined behavior, and therefore may
// disallow the use of null as a value." So `type: string, nullable: true` becomes
// `type: [string, "null"]`, an `enum` or `allOf` beside it still refuses null, and
// `nullable` without a `type` of its own changes nothing. That is what OpenAPI 3.1, JSON
// Schema and the generators mean by a nullable field.
//
// Its strict mode (undeclared properties) is not used: by design it reports every key of a
// map declared through `additionalProperties` (platform_results), which the contract allows.
//
// It reads the very bytes the server embeds (oapi.GetSpecJSON), not kin's model of them.
// Building the document and compiling its schemas costs tens of milliseconds, so it is
// done once per process; the validator is safe for concurrent use by parallel tests.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/octopost/octopost/gen/oapi"
)

var (
	strictOnce      sync.Once
	strictValidator validator.Validator
	strictErr       error
)

func strict() (validator.Validator, error) {
	strictOnce.Do(func() {
		raw, err := oapi.GetSpecJSON()
		if err != nil {
			strictErr = err
			return
		}
		strictValidator, strictErr = newStrictValidator(raw)
	})
	return strictValidator, strictErr
}

// newStrictValidator builds a libopenapi-validator for the JSON spec raw, with 3.0.3's
// nullable rule applied literally.
func newStrictValidator(raw []byte) (validator.Validator, error) {
	var spec any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, err
	}
	rewritten, err := json.Marshal(strictNullable(spec))
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(rewritten)
	if err != nil {
		return nil, fmt.Errorf("libopenapi: %w", err)
	}
	// date-time, uri and the other formats are part of the contract too.
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("libopenapi-validator: %w", errors.Join(errs...))
	}
	return v, nil
}

// strictNullable rewrites every schema object's `nullable` by OpenAPI 3.0.3's rule (see
// the top of this file). Examples are data, not schemas, and are left as they are.
func strictNullable(node any) any {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if k != "example" && k != "examples" {
				n[k] = strictNullable(v)
			}
		}
		if nullable, ok := n["nullable"].(bool); ok {
			delete(n, "nullable")
			if t, ok := n["type"].(string); ok && nullable {
				n["type"] = []any{t, "null"}
			}
		}
	case []any:
		for i, v := range n {
			n[i] = strictNullable(v)
		}
	}
	return node
}

// validateStrict checks one response with libopenapi-validator: its status is documented
// for the operation, and its headers and body match what the spec says for that status.
func validateStrict(req *http.Request, status int, header http.Header, body []byte) error {
	v, err := strict()
	if err != nil {
		return err
	}
	resp := &http.Response{
		StatusCode: status, Header: header, Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
	if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
		return strictFailure(errs)
	}
	return nil
}

// strictFailure lists each problem with the place in the body it is about.
func strictFailure(errs []*liberrors.ValidationError) error {
	var b strings.Builder
	b.WriteString("libopenapi-validator:")
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			loc := f.FieldPath
			if loc == "" {
				loc = "/" + strings.Join(f.InstancePath, "/")
			}
			fmt.Fprintf(&b, "\n    %s: %s (%s)", loc, f.Reason, f.KeywordLocation)
		}
	}
	return errors.New(b.String())
}
