package tiktok

// platform_options.tiktok: {privacy_level, disable_comment, disable_duet, disable_stitch}.
// privacy_level is who may see the video; without it the adapter posts publicly where the
// account allows it (a private account does not, and must say). Whether a level is allowed
// depends on the account (creator_info, read at publish time); what Options checks here is
// only that it is one of TikTok's four. The booleans turn interactions off; an interaction
// the creator has turned off in the app stays off whatever they say.

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/octopost/octopost/service/platform"
)

// TikTok's privacy levels.
const (
	PrivacyPublic    = "PUBLIC_TO_EVERYONE"
	PrivacyFriends   = "MUTUAL_FOLLOW_FRIENDS"
	PrivacyFollowers = "FOLLOWER_OF_CREATOR"
	PrivacySelfOnly  = "SELF_ONLY"
)

// PrivacyLevels are TikTok's privacy levels, in the contract's order.
var PrivacyLevels = []string{PrivacyPublic, PrivacyFriends, PrivacyFollowers, PrivacySelfOnly}

// Options is a post's platform_options.tiktok.
type Options struct {
	PrivacyLevel   string `json:"privacy_level,omitempty"`
	DisableComment bool   `json:"disable_comment,omitempty"`
	DisableDuet    bool   `json:"disable_duet,omitempty"`
	DisableStitch  bool   `json:"disable_stitch,omitempty"`
}

// decodeOptions reads raw (nil or null: no options), refusing fields TikTok has not.
func decodeOptions(raw json.RawMessage) (Options, error) {
	var o Options
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Options{}, err
	}
	return o, nil
}

// checkOptions is Spec.Options: the entry must be TikTok's shape, with a known privacy
// level. The account's own allowed levels are checked when publishing.
func checkOptions(raw json.RawMessage, _ platform.Post) []platform.OptionProblem {
	o, err := decodeOptions(raw)
	if err != nil {
		return []platform.OptionProblem{{Message: "must be an object with privacy_level, disable_comment, disable_duet and disable_stitch"}}
	}
	if o.PrivacyLevel != "" && !slices.Contains(PrivacyLevels, o.PrivacyLevel) {
		return []platform.OptionProblem{{Path: "/privacy_level", Message: "must be one of " + strings.Join(PrivacyLevels, ", ")}}
	}
	return nil
}
