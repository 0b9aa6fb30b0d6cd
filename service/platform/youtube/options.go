package youtube

// platform_options.youtube: {title, privacy_status}. title replaces the video's default
// title (the post's first line, cut to 100 characters) and must be 1–100 characters
// without < or > (YouTube refuses both in titles). privacy_status is who may watch:
// public (the default), unlisted or private. Every part of a thread carries the options,
// so a thread's videos share the title when one is given.

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/octopost/octopost/service/platform"
)

// YouTube's privacy statuses.
const (
	PrivacyPublic   = "public"
	PrivacyUnlisted = "unlisted"
	PrivacyPrivate  = "private"
)

// PrivacyStatuses are YouTube's privacy statuses, in the contract's order.
var PrivacyStatuses = []string{PrivacyPublic, PrivacyUnlisted, PrivacyPrivate}

// maxTitle is YouTube's limit on a title, in characters.
const maxTitle = 100

// Options is a post's platform_options.youtube.
type Options struct {
	Title         *string `json:"title,omitempty"`
	PrivacyStatus string  `json:"privacy_status,omitempty"`
}

// decodeOptions reads raw (nil or null: no options), refusing fields YouTube's entry has not.
func decodeOptions(raw json.RawMessage) (Options, error) {
	var o Options
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Options{}, err
	}
	return o, nil
}

// checkOptions is Spec.Options.
func checkOptions(raw json.RawMessage, _ platform.Post) []platform.OptionProblem {
	o, err := decodeOptions(raw)
	if err != nil {
		return []platform.OptionProblem{{Message: "must be an object with title and privacy_status"}}
	}
	var problems []platform.OptionProblem
	if o.Title != nil {
		if msg := titleProblem(*o.Title); msg != "" {
			problems = append(problems, platform.OptionProblem{Path: "/title", Message: msg})
		}
	}
	if o.PrivacyStatus != "" && !slices.Contains(PrivacyStatuses, o.PrivacyStatus) {
		problems = append(problems, platform.OptionProblem{Path: "/privacy_status", Message: "must be one of " + strings.Join(PrivacyStatuses, ", ")})
	}
	return problems
}

// titleProblem says what is wrong with a title YouTube would refuse, "" when nothing is.
func titleProblem(title string) string {
	switch n := utf8.RuneCountInString(title); {
	case strings.TrimSpace(title) == "":
		return "must not be empty"
	case n > maxTitle:
		return "must be at most 100 characters"
	case strings.ContainsAny(title, "<>"):
		return "must not contain < or >"
	case strings.ContainsAny(title, "\r\n"):
		return "must be a single line"
	}
	return ""
}
