package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
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
// kin-openapi never visits its items. The walk reads the body's bytes (boundsScan), a
// few passes at most over each, allocating only for the properties it descends into; a
// body without a '[' costs one byte search.
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
	index map[string]int // the position of each name in names
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
	if len(b.names) > 0 {
		b.index = make(map[string]int, len(b.names))
		for i, name := range b.names {
			b.index[name] = i
		}
	}
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
// by index). It reports whether it found any. body is one well-formed JSON document
// (readBody has checked it).
func (b *arrayBounds) tooLong(body []byte, c *problems) bool {
	if b == nil || bytes.IndexByte(body, '[') < 0 {
		return false
	}
	before := len(c.fields)
	s := boundsScan{data: body, problems: c}
	s.value(b, 0, make([]string, 0, 8))
	return len(c.fields) > before
}

// boundsScan walks the body's bytes rather than a decoded copy: the only things it keeps
// are the names of the properties it descends into, so a long array of anything costs a
// scan of its bytes and no allocation. Where the schema has no array below, a value is
// skipped. An array is scanned once to count its items, and once more to descend into
// them when it is within its bound; an object once to find the last occurrence of each
// property (the one a decoder keeps), and once more into the properties with arrays
// below: the passes over any byte are bounded by the schema's depth.
type boundsScan struct {
	data     []byte
	problems *problems
}

// value walks the JSON value at or after i against b, and returns the index after it.
func (s *boundsScan) value(b *arrayBounds, i int, path []string) int {
	i = s.space(i)
	if b == nil || s.problems.full() || i >= len(s.data) {
		return s.skip(i)
	}
	switch s.data[i] {
	case '[':
		if b.maxItems >= 0 {
			if n, end := s.count(i); n > b.maxItems {
				s.problems.add(jsonPointer(path), fmt.Sprintf("must have at most %d items", b.maxItems))
				return end
			}
		}
		if b.items == nil {
			return s.skip(i)
		}
		i = s.space(i + 1)
		for n := 0; i < len(s.data) && s.data[i] != ']'; n++ {
			// Each call appends at its own depth, so path's array is shared safely.
			i = s.space(s.value(b.items, i, append(path, strconv.Itoa(n))))
			if i < len(s.data) && s.data[i] == ',' {
				i = s.space(i + 1)
			}
		}
		return i + 1
	case '{':
		if b.props == nil && b.additional == nil {
			return s.skip(i)
		}
		declared := make([]int, len(b.names)) // where each property's value starts, +1
		var others map[string]int
		i = s.space(i + 1)
		for i < len(s.data) && s.data[i] == '"' {
			keyEnd := s.skipString(i)
			key := s.data[i:keyEnd]
			i = s.space(keyEnd)
			i = s.space(i + 1) // the ':'
			at := i
			i = s.space(s.skip(i))
			if i < len(s.data) && s.data[i] == ',' {
				i = s.space(i + 1)
			}
			name := key[1 : len(key)-1]
			if bytes.IndexByte(name, '\\') >= 0 {
				var unquoted string
				if json.Unmarshal(key, &unquoted) != nil {
					continue
				}
				name = []byte(unquoted)
			}
			if n, ok := b.index[string(name)]; ok {
				declared[n] = at + 1
			} else if b.additional != nil && !b.declared[string(name)] {
				if others == nil {
					others = map[string]int{}
				}
				others[string(name)] = at
			}
		}
		for n, at := range declared {
			if at > 0 {
				s.value(b.props[b.names[n]], at-1, append(path, b.names[n]))
			}
		}
		for _, name := range slices.Sorted(maps.Keys(others)) {
			s.value(b.additional, others[name], append(path, name))
		}
		return i + 1
	}
	return s.skip(i)
}

// count counts the items of the array at i, and returns the index after it.
func (s *boundsScan) count(i int) (n, end int) {
	i = s.space(i + 1)
	for i < len(s.data) && s.data[i] != ']' {
		n++
		i = s.space(s.skip(i))
		if i < len(s.data) && s.data[i] == ',' {
			i = s.space(i + 1)
		}
	}
	return n, i + 1
}

// skip returns the index after the JSON value at or after i.
func (s *boundsScan) skip(i int) int {
	i = s.space(i)
	if i >= len(s.data) {
		return i
	}
	switch s.data[i] {
	case '"':
		return s.skipString(i)
	case '{', '[':
		depth := 0
		for ; i < len(s.data); i++ {
			switch s.data[i] {
			case '"':
				i = s.skipString(i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	// A number, true, false or null.
	for i < len(s.data) && !strings.ContainsRune(",]} \t\r\n", rune(s.data[i])) {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at i.
func (s *boundsScan) skipString(i int) int {
	for i++; i < len(s.data); i++ {
		switch s.data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// space returns the index of the first byte at or after i that is not JSON whitespace.
func (s *boundsScan) space(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}
