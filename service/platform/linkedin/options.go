package linkedin

// A post's platform_options for LinkedIn: {"visibility": "public" | "connections"}, the
// audience of the post (LinkedIn's PUBLIC: anyone, on or off LinkedIn; CONNECTIONS: the
// member's first-degree network). Without it a post is public.

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/octopost/octopost/service/platform"
)

// Options is LinkedIn's entry of a post's platform_options.
type Options struct {
	Visibility string `json:"visibility,omitempty"`
}

// The values of Options.Visibility.
const (
	VisibilityPublic      = "public"
	VisibilityConnections = "connections"
)

// visibility is LinkedIn's name for each of Octopost's visibilities.
var visibility = map[string]string{
	VisibilityPublic:      "PUBLIC",
	VisibilityConnections: "CONNECTIONS",
}

// decodeOptions reads the options a post carries (none: the defaults). Fields LinkedIn
// does not know are refused rather than ignored: a typo must not publish to the wrong
// audience.
func decodeOptions(raw json.RawMessage) (Options, error) {
	var o Options
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return o, fmt.Errorf("platform_options for linkedin must be {\"visibility\": \"public\" | \"connections\"}")
	}
	return o, nil
}

// checkOptions is Spec.Options: the visibility must be one LinkedIn takes. Nothing in
// them depends on the post itself.
func checkOptions(raw json.RawMessage, _ platform.Post) []platform.OptionProblem {
	o, err := decodeOptions(raw)
	if err != nil {
		return []platform.OptionProblem{{Message: err.Error()}}
	}
	if _, ok := visibility[o.Visibility]; o.Visibility != "" && !ok {
		return []platform.OptionProblem{{Path: "/visibility", Message: `must be "public" or "connections"`}}
	}
	return nil
}

// postVisibility is the visibility to publish p with, LinkedIn's way.
func postVisibility(raw json.RawMessage) (string, error) {
	o, err := decodeOptions(raw)
	if err != nil {
		return "", platform.Errorf(platform.Permanent, 0, "LinkedIn: %s", err.Error())
	}
	if o.Visibility == "" {
		return "PUBLIC", nil
	}
	v, ok := visibility[o.Visibility]
	if !ok {
		return "", platform.Errorf(platform.Permanent, 0, `LinkedIn: visibility must be "public" or "connections", not %q`, o.Visibility)
	}
	return v, nil
}
