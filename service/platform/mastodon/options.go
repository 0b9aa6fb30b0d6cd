package mastodon

// A post's platform_options for Mastodon: {"visibility": …, "spoiler_text": …}, sent with
// every status of the post (a thread's replies keep its audience and its warning).
//
//   - visibility is Mastodon's own: public, unlisted (public but kept out of the public
//     timelines), private (followers only), direct (the mentioned accounts only). Without
//     it a status is public, as Octopost has always posted them (not the account's own
//     default, which the API cannot be asked for without another call).
//   - spoiler_text is a content warning: the instance shows it in place of the text until
//     the reader opens the status, and marks the status sensitive. It counts toward the
//     instance's character limit together with the text; the instance refuses a status
//     whose two together are too long (a 422, a permanent failure).

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/octopost/octopost/service/platform"
)

// Options is Mastodon's entry of a post's platform_options.
type Options struct {
	Visibility  string `json:"visibility,omitempty"`
	SpoilerText string `json:"spoiler_text,omitempty"`
}

// Visibilities are Mastodon's visibilities, in the contract's order.
var Visibilities = []string{"public", "unlisted", "private", "direct"}

// maxSpoilerText is the contract's limit of a content warning, in characters.
const maxSpoilerText = 500

// decodeOptions reads raw (nil or null: no options, the defaults). Fields Mastodon does not
// take are refused rather than ignored: a misspelt visibility must not go out public.
func decodeOptions(raw json.RawMessage) (Options, error) {
	var o Options
	if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || string(trimmed) == "null" {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&o)
	return o, err
}

// checkOptions is Spec.Options. The contract's schema has already shaped the entry; this
// is the same rule for callers that reach the service otherwise, and nothing in it depends
// on the post.
func checkOptions(raw json.RawMessage, _ platform.Post) []platform.OptionProblem {
	o, err := decodeOptions(raw)
	if err != nil {
		return []platform.OptionProblem{{Message: "must be an object with visibility and spoiler_text"}}
	}
	var problems []platform.OptionProblem
	if o.Visibility != "" && !slices.Contains(Visibilities, o.Visibility) {
		problems = append(problems, platform.OptionProblem{Path: "/visibility", Message: "must be one of " + strings.Join(Visibilities, ", ")})
	}
	if utf8.RuneCountInString(o.SpoilerText) > maxSpoilerText {
		problems = append(problems, platform.OptionProblem{Path: "/spoiler_text", Message: "must be at most 500 characters"})
	}
	return problems
}
