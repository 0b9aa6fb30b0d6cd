package api

import (
	"context"
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
	} {
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
