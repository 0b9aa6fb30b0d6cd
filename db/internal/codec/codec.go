// Package codec turns the service's values into the column values both database engines
// store and back: JSON for lists, media, thread segments, platform options, content and results, and the
// upper bound of a keyset page. Both stores use it, so a post written by one engine's
// store has the same JSON as the other's.
package codec

import (
	"encoding/json"
	"fmt"

	"github.com/octopost/octopost/service"
)

// FirstPage is the keyset bound for a first page: ids are ASCII letters, digits and '_',
// all of which sort below '~', so "id < FirstPage" matches every id and still lets the
// database walk its index backwards from the top.
const FirstPage = "~"

// BeforeID returns the keyset bound for a page that ends just before the id before.
func BeforeID(before string) string {
	if before == "" {
		return FirstPage
	}
	return before
}

// emptyMedia is how Media with nothing attached is stored; read back, it is Media{}.
// PostgreSQL's jsonb prints it back as emptyMediaJSONB.
const (
	emptyMedia      = `{"images":[],"video":null}`
	emptyMediaJSONB = `{"video": null, "images": []}`
)

// List encodes a list column; nil and empty both become [].
func List[T any](v []T) []byte {
	if len(v) == 0 {
		return []byte("[]")
	}
	return mustMarshal(v)
}

// ParseList decodes a list column into dst; [] becomes nil.
func ParseList[T any, B ~string | ~[]byte](b B, dst *[]T) error {
	if string(b) == "[]" {
		*dst = nil
		return nil
	}
	return unmarshal(b, dst)
}

// Media encodes a post's or a segment's media; no images is [], never null.
func Media(m service.Media) []byte {
	if len(m.Images) == 0 && m.Video == nil {
		return []byte(emptyMedia)
	}
	return mustMarshal(storedMedia(m))
}

// ParseMedia decodes a media column into dst; no images reads back as a nil slice.
func ParseMedia[B ~string | ~[]byte](b B, dst *service.Media) error {
	if s := string(b); s == emptyMedia || s == emptyMediaJSONB {
		*dst = service.Media{}
		return nil
	}
	if err := unmarshal(b, dst); err != nil {
		return err
	}
	*dst = loadedMedia(*dst)
	return nil
}

// Segments encodes a post's thread; nil (no thread) is SQL NULL, which a nil slice is for
// both drivers' JSON parameters.
func Segments(s []service.Segment) []byte {
	if s == nil {
		return nil
	}
	stored := make([]service.Segment, len(s))
	for i, seg := range s {
		stored[i] = service.Segment{Content: seg.Content, Media: storedMedia(seg.Media)}
	}
	return mustMarshal(stored)
}

// ParseSegments decodes a segments column into dst; NULL (nil b) is a nil slice, and an
// empty non-nil list stays empty and non-nil.
func ParseSegments(b []byte, dst *[]service.Segment) error {
	if b == nil {
		*dst = nil
		return nil
	}
	segs := []service.Segment{}
	if err := unmarshal(b, &segs); err != nil {
		return err
	}
	for i := range segs {
		segs[i].Media = loadedMedia(segs[i].Media)
	}
	*dst = segs
	return nil
}

// PlatformResults encodes a post's results; nil and empty both become {}.
func PlatformResults(r map[service.Platform]service.PlatformResult) []byte {
	if len(r) == 0 {
		return []byte("{}")
	}
	return mustMarshal(r)
}

// ParsePlatformResults decodes a platform_results column into dst; {} becomes nil.
func ParsePlatformResults[B ~string | ~[]byte](b B, dst *map[service.Platform]service.PlatformResult) error {
	if string(b) == "{}" {
		*dst = nil
		return nil
	}
	*dst = nil
	return unmarshal(b, dst)
}

// PlatformOptions encodes a post's platform_options as the text both engines store (a
// text column, so each entry is kept as the caller gave it); none (nil or empty) is NULL.
func PlatformOptions(o map[service.Platform]json.RawMessage) *string {
	if len(o) == 0 {
		return nil
	}
	text := string(mustMarshal(o))
	return &text
}

// ParsePlatformOptions decodes a platform_options column into dst; NULL is none, a nil map.
func ParsePlatformOptions(text *string, dst *map[service.Platform]json.RawMessage) error {
	*dst = nil
	if text == nil {
		return nil
	}
	return unmarshal(*text, dst)
}

// PlatformContent encodes a post's platform_content; none (nil or empty) is {}. Each
// entry's media is stored as Media stores it, so that it reads back the same.
func PlatformContent(c map[service.Platform]service.PlatformContent) []byte {
	if len(c) == 0 {
		return []byte("{}")
	}
	stored := make(map[service.Platform]service.PlatformContent, len(c))
	for pl, entry := range c {
		if entry.Media != nil {
			m := storedMedia(*entry.Media)
			entry.Media = &m
		}
		stored[pl] = entry
	}
	return mustMarshal(stored)
}

// ParsePlatformContent decodes a platform_content column into dst; {} is none, a nil map.
func ParsePlatformContent[B ~string | ~[]byte](b B, dst *map[service.Platform]service.PlatformContent) error {
	*dst = nil
	if string(b) == "{}" {
		return nil
	}
	if err := unmarshal(b, dst); err != nil {
		return err
	}
	for pl, entry := range *dst {
		if entry.Media != nil {
			m := loadedMedia(*entry.Media)
			entry.Media = &m
		}
		(*dst)[pl] = entry
	}
	if len(*dst) == 0 {
		*dst = nil
	}
	return nil
}

// storedMedia makes a nil image list encode as [] rather than null.
func storedMedia(m service.Media) service.Media {
	if m.Images == nil {
		m.Images = []service.Image{}
	}
	return m
}

// loadedMedia makes an empty image list read back as nil, as the service builds it.
func loadedMedia(m service.Media) service.Media {
	if len(m.Images) == 0 {
		m.Images = nil
	}
	return m
}

// mustMarshal encodes v, one of the service's JSON-tagged types. Those hold only strings,
// bools, slices, maps with string keys and pointers to them, which encoding/json always
// encodes, so an error here is a programming error.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("codec: encoding %T: %v", v, err))
	}
	return b
}

func unmarshal[B ~string | ~[]byte](b B, dst any) error {
	if err := json.Unmarshal([]byte(b), dst); err != nil {
		return fmt.Errorf("decoding stored %T: %w", dst, err)
	}
	return nil
}
