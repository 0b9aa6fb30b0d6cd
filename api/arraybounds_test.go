package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"
)

// boundsSpec exercises what openapi.yaml does not use today: allOf (the smallest maxItems
// wins, properties of every branch count), additionalProperties with a schema, and a
// schema that refers to itself.
const boundsSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Body:
      allOf:
        - $ref: '#/components/schemas/Tags'
        - type: object
          properties:
            tags: {type: array, maxItems: 3, items: {type: string}}
            labels:
              type: object
              additionalProperties: {type: array, maxItems: 2, items: {type: integer}}
            tree: {$ref: '#/components/schemas/Node'}
    Tags:
      type: object
      properties:
        tags: {type: array, maxItems: 5, items: {type: string}}
        name: {type: string}
    Node:
      type: object
      properties:
        children: {type: array, maxItems: 2, items: {$ref: '#/components/schemas/Node'}}
`

func TestArrayBoundsFollowTheSchema(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(boundsSpec))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	bounds := compileArrayBounds(doc.Components.Schemas["Body"])
	require.NotNil(t, bounds)
	require.Nil(t, compileArrayBounds(&openapi3.SchemaRef{Value: openapi3.NewStringSchema()}), "no array, nothing to walk")

	for body, want := range map[string][]string{
		`{"tags": ["a", "b", "c"], "name": "n"}`:                      nil,
		`{"tags": ["a", "b", "c", "d"]}`:                              {"/tags: must have at most 3 items"},
		`{"labels": {"b": [1, 2, 3], "a~/": [1, 2, 3], "c": [1]}}`:    {"/labels/a~0~1: must have at most 2 items", "/labels/b: must have at most 2 items"},
		`{"tree": {"children": [{"children": [{}, {}, {}]}, {}]}}`:    {"/tree/children/0/children: must have at most 2 items"},
		`{"tree": {"children": [{}, {}, {"children": [1, 2, 3]}]}}`:   {"/tree/children: must have at most 2 items"},
		`{"name": [1, 2, 3, 4, 5, 6], "other": [1, 2, 3, 4, 5, 6]}`:   nil,
		`[1, 2, 3, 4, 5, 6]`:                                          nil,
		`{"tags": "not an array", "labels": [1, 2, 3], "tree": null}`: nil,
		// Escaped names, repeated names (the last one counts, as for a decoder), brackets and
		// quotes inside strings, whitespace anywhere.
		`{"t\u0061gs": [1, 2, 3, 4]}`:                                                  {"/tags: must have at most 3 items"},
		`{"tags": [1, 2, 3, 4], "tags": []}`:                                           nil,
		`{"tags": [], "tags": [1, 2, 3, 4]}`:                                           {"/tags: must have at most 3 items"},
		"{\"name\": \"[\\\"{\" ,\"tags\"\t:\r\n[ \"a]\" , \"b\\\"]\" ,\"c\",\"d\" ] }": {"/tags: must have at most 3 items"},
		`{"labels": {"x": [[1, 2, 3]], "y": [{"a": [1, 2, 3]}, 1.5e3, true, null]}}`:   {"/labels/y: must have at most 2 items"},
	} {
		require.True(t, json.Valid([]byte(body)), body)
		var c problems
		found := bounds.tooLong([]byte(body), &c)
		var got []string
		for _, f := range c.fields {
			got = append(got, f.Field+": "+f.Message)
		}
		require.Equal(t, want, got, body)
		require.Equal(t, len(want) > 0, found, body)
	}

	// The walk stops once the 422 is full.
	var c problems
	labels := make([]string, 50)
	for i := range labels {
		labels[i] = `"l` + strings.Repeat("x", i) + `": [1, 2, 3]`
	}
	require.True(t, bounds.tooLong([]byte(`{"labels": {`+strings.Join(labels, ",")+`}}`), &c))
	require.Len(t, c.fields, maxProblems+1)
}

// TestArrayBoundsScanAgreesWithDecoding: on random bodies shaped like boundsSpec's, the
// scan over the bytes finds exactly what a walk over the decoded body finds.
func TestArrayBoundsScanAgreesWithDecoding(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(boundsSpec))
	require.NoError(t, err)
	bounds := compileArrayBounds(doc.Components.Schemas["Body"])
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"tags", "labels", "tree", "children", "name", "a~/", "x\"y"}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch k := rng.IntN(6); {
		case depth > 4 || k == 0:
			return []any{"s]\"{", 1.5, true, nil}[rng.IntN(4)]
		case k <= 2:
			list := make([]any, rng.IntN(6))
			for i := range list {
				list[i] = gen(depth + 1)
			}
			return list
		default:
			obj := map[string]any{}
			for range rng.IntN(5) {
				obj[names[rng.IntN(len(names))]] = gen(depth + 1)
			}
			return obj
		}
	}
	var found int
	for range 5000 {
		value := gen(0)
		body, err := json.Marshal(value)
		require.NoError(t, err)
		if rng.IntN(2) == 0 {
			body, err = json.MarshalIndent(value, " ", "\t")
			require.NoError(t, err)
		}
		var scanned, decoded problems
		bounds.tooLong(body, &scanned)
		var v any
		require.NoError(t, json.Unmarshal(body, &v))
		walkDecoded(bounds, v, nil, &decoded)
		require.Equal(t, decoded.fields, scanned.fields, "%s", body)
		found += len(scanned.fields)
	}
	require.Greater(t, found, 100, "the bodies have long arrays")
}

// walkDecoded is the walk over a decoded body: slower, and plainly right.
func walkDecoded(b *arrayBounds, value any, path []string, c *problems) {
	if b == nil || c.full() {
		return
	}
	switch v := value.(type) {
	case []any:
		if b.maxItems >= 0 && len(v) > b.maxItems {
			c.add(jsonPointer(path), fmt.Sprintf("must have at most %d items", b.maxItems))
			return
		}
		for i, item := range v {
			walkDecoded(b.items, item, append(slices.Clip(path), strconv.Itoa(i)), c)
		}
	case map[string]any:
		for _, name := range b.names {
			if item, ok := v[name]; ok {
				walkDecoded(b.props[name], item, append(slices.Clip(path), name), c)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(v)) {
			if b.additional != nil && !b.declared[name] {
				walkDecoded(b.additional, v[name], append(slices.Clip(path), name), c)
			}
		}
	}
}
