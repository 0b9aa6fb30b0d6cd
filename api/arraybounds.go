package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Arrays longer than their schema's maxItems are refused before kin-openapi sees the body.
//
// kin-openapi checks every item of an array whatever its length, and creates an error for
// each bad one that it cannot stop making after the maxProblems a 422 reports: a 1 MiB
// body of some 260,000 bad platforms cost 0.6 s and 200 MB. Every array of a request body
// has a maxItems (the contract test TestRequestArraysAreBounded keeps it so), so one walk
// over the decoded body, against the operation's schema, finds every array that is too
// long; a request with one is answered from that walk (and the parameters' checks), and
// kin-openapi never visits its items. The walk's cost is one decode and one pass over the
// parts of the body where the schema has arrays; a body without a '[' costs a byte scan.
//
// The walk follows the schema as kin-openapi's loaded model has it: $refs are resolved,
// and the subschemas of an allOf apply together (the smallest maxItems wins). anyOf and
// oneOf are not followed, since which branch applies is not known before validation; the
// contract test refuses an array under them in a request body.

// arrayBounds is the part of a request body's schema that bounds arrays: a maxItems
// where there is one, and the ways down to the arrays below. A nil *arrayBounds has no
// array anywhere below it.
type arrayBounds struct {
	maxItems int // -1 when unbounded
	items    *arrayBounds
	// props holds the declared properties that lead to an array, names them sorted.
	props map[string]*arrayBounds
	names []string
	// additional applies to the properties the schemas do not declare.
	additional *arrayBounds
	declared   map[string]bool
}

// compileArrayBounds reads the array bounds of a request body schema, once, at startup.
func compileArrayBounds(schema *openapi3.SchemaRef) *arrayBounds {
	if schema == nil {
		return nil
	}
	c := boundsCompiler{memo: map[string]*arrayBounds{}}
	return c.compile([]*openapi3.Schema{schema.Value})
}

type boundsCompiler struct {
	// memo maps a set of schemas to its bounds; an entry is made before its children are
	// compiled, so that a schema that refers to itself ends.
	memo map[string]*arrayBounds
}

// compile reads the bounds of the schemas that all apply to one value.
func (c *boundsCompiler) compile(schemas []*openapi3.Schema) *arrayBounds {
	all := conjunction(schemas)
	if len(all) == 0 {
		return nil
	}
	var key strings.Builder
	for _, s := range all {
		fmt.Fprintf(&key, "%p,", s)
	}
	if b, ok := c.memo[key.String()]; ok {
		return b
	}
	b := &arrayBounds{maxItems: -1}
	c.memo[key.String()] = b

	var items, additional []*openapi3.Schema
	props := map[string][]*openapi3.Schema{}
	for _, s := range all {
		if s.MaxItems != nil {
			n := int(min(*s.MaxItems, math.MaxInt))
			if b.maxItems < 0 || n < b.maxItems {
				b.maxItems = n
			}
		}
		if s.Items != nil {
			items = append(items, s.Items.Value)
		}
		for name, p := range s.Properties {
			if p != nil {
				props[name] = append(props[name], p.Value)
			}
		}
		if s.AdditionalProperties.Schema != nil {
			additional = append(additional, s.AdditionalProperties.Schema.Value)
		}
	}
	b.items = c.compile(items)
	for name, ps := range props {
		if pb := c.compile(ps); pb != nil {
			if b.props == nil {
				b.props = map[string]*arrayBounds{}
			}
			b.props[name] = pb
			b.names = append(b.names, name)
		}
	}
	slices.Sort(b.names)
	if b.additional = c.compile(additional); b.additional != nil {
		b.declared = map[string]bool{}
		for name := range props {
			b.declared[name] = true
		}
	}
	if b.maxItems < 0 && b.items == nil && b.props == nil && b.additional == nil {
		c.memo[key.String()] = nil
		return nil
	}
	return b
}

// conjunction is the schemas with their allOf subschemas, recursively, each once: all of
// them apply to the same value.
func conjunction(schemas []*openapi3.Schema) []*openapi3.Schema {
	var out []*openapi3.Schema
	var add func(*openapi3.Schema)
	add = func(s *openapi3.Schema) {
		if s == nil || slices.Contains(out, s) {
			return
		}
		out = append(out, s)
		for _, ref := range s.AllOf {
			if ref != nil {
				add(ref.Value)
			}
		}
	}
	for _, s := range schemas {
		add(s)
	}
	return out
}

// tooLong adds to c a problem for each array of the JSON body longer than its maxItems,
// until c is full, in the order of the body's schema (properties sorted by name, items
// by index). It reports whether it found any.
func (b *arrayBounds) tooLong(body []byte, c *problems) bool {
	if b == nil || bytes.IndexByte(body, '[') < 0 {
		return false
	}
	var value any
	if json.Unmarshal(body, &value) != nil {
		return false // not JSON: not this walk's to report
	}
	before := len(c.fields)
	b.check(value, make([]string, 0, 8), c)
	return len(c.fields) > before
}

// check walks value, at path, against b.
func (b *arrayBounds) check(value any, path []string, c *problems) {
	if b == nil || c.full() {
		return
	}
	switch v := value.(type) {
	case []any:
		if b.maxItems >= 0 && len(v) > b.maxItems {
			c.add(jsonPointer(path), fmt.Sprintf("must have at most %d items", b.maxItems))
			return
		}
		if b.items == nil {
			return
		}
		for i, item := range v {
			if c.full() {
				return
			}
			// Each call appends at its own depth, so path's array is shared safely.
			b.items.check(item, append(path, strconv.Itoa(i)), c)
		}
	case map[string]any:
		for _, name := range b.names {
			if item, ok := v[name]; ok {
				b.props[name].check(item, append(path, name), c)
			}
		}
		if b.additional == nil {
			return
		}
		var others []string
		for name := range v {
			if !b.declared[name] {
				others = append(others, name)
			}
		}
		slices.Sort(others)
		for _, name := range others {
			b.additional.check(v[name], append(path, name), c)
		}
	}
}
