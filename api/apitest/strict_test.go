package apitest

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// nullableSpec has one field for each way of writing `nullable` that OpenAPI 3.0.3 treats
// differently.
const nullableSpec = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {"/things": {"get": {"responses": {"200": {"description": "ok", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
  "components": {"schemas": {
    "Inner": {"type": "object", "properties": {"url": {"type": "string"}}},
    "Thing": {"type": "object", "properties": {
      "typed": {"type": "string", "nullable": true, "maxLength": 3},
      "enum_without_null": {"type": "string", "nullable": true, "enum": ["a", "b"]},
      "enum_with_null": {"type": "string", "nullable": true, "enum": ["a", "b", null]},
      "all_of": {"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/Inner"}]},
      "untyped": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Inner"}]},
      "not_nullable": {"type": "boolean"},
      "when": {"type": "string", "format": "date-time", "nullable": true}
    }}
  }}
}`

func TestStrictValidatorAppliesNullableAsOpenAPI303Says(t *testing.T) {
	t.Parallel()
	v, err := newStrictValidator([]byte(nullableSpec))
	require.NoError(t, err)
	check := func(status int, body string) bool {
		req, err := http.NewRequest(http.MethodGet, "http://localhost:8080/things", nil)
		require.NoError(t, err)
		resp := &http.Response{
			StatusCode: status, Request: req, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader([]byte(body))),
		}
		ok, _ := v.ValidateHttpResponse(req, resp)
		return ok
	}
	for body, want := range map[string]bool{
		`{"typed": null}`:                  true,
		`{"typed": "abc"}`:                 true,
		`{"typed": "abcd"}`:                false, // the other constraints still hold
		`{"enum_without_null": "a"}`:       true,
		`{"enum_without_null": null}`:      false, // kin-openapi and libopenapi alone accept it
		`{"enum_with_null": null}`:         true,
		`{"all_of": {"url": "x"}}`:         true,
		`{"all_of": null}`:                 false, // null is not an Inner; kin accepts it
		`{"untyped": null}`:                false, // no type of its own: nullable changes nothing
		`{"not_nullable": null}`:           false,
		`{"not_nullable": true}`:           true,
		`{"when": null}`:                   true,
		`{"when": "2026-01-02T03:04:05Z"}`: true,
		`{"when": "tomorrow"}`:             false, // formats are checked
	} {
		require.Equal(t, want, check(http.StatusOK, body), "%s", body)
	}
	require.False(t, check(http.StatusUnprocessableEntity, `{}`), "an undocumented status is refused")
}
