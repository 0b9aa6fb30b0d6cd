package api

import (
	"encoding/json"
	"fmt"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// platform_content's generated type has one field per platform, named as the contract
// names the platform; its JSON is an object keyed by platform. Both conversions go through
// that JSON, so a platform added to the contract needs no change here.

// fromPlatformContent returns c's entries by platform, as the service takes them: an
// entry's media, when given, replaces the post's (empty media sends none).
func fromPlatformContent(c oapi.PlatformContent) (map[service.Platform]service.PlatformContent, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding platform_content: %w", err)
	}
	var entries map[service.Platform]oapi.PlatformContentEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("decoding platform_content: %w", err)
	}
	out := make(map[service.Platform]service.PlatformContent, len(entries))
	for pl, e := range entries {
		var entry service.PlatformContent
		entry.Content = e.Content
		if e.Media != nil {
			m := fromMedia(e.Media)
			entry.Media = &m
		}
		out[pl] = entry
	}
	return out, nil
}

// toPlatformContent returns a post's platform_content for its response: nil, the field
// left out, when it has none. Its JSON round trip cannot fail (strings, lists and
// nullable values, keyed by platform; a key the contract does not know is left out), so an
// error is a programming error.
func toPlatformContent(content map[service.Platform]service.PlatformContent) *oapi.PlatformContent {
	if len(content) == 0 {
		return nil
	}
	entries := make(map[service.Platform]oapi.PlatformContentEntry, len(content))
	for pl, c := range content {
		e := oapi.PlatformContentEntry{Content: c.Content}
		if c.Media != nil {
			m := toMedia(*c.Media)
			e.Media = &m
		}
		entries[pl] = e
	}
	raw, err := json.Marshal(entries)
	if err == nil {
		var out oapi.PlatformContent
		if err = json.Unmarshal(raw, &out); err == nil {
			return &out
		}
	}
	panic(fmt.Sprintf("api: platform_content's JSON: %v", err))
}
