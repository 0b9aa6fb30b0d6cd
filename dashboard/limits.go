package dashboard

// The contract's limits, read from openapi.yaml.
//
// The API's request validator checks every request against openapi.yaml before the
// service sees it. The dashboard calls the service directly, so it checks the same
// schema rules itself, for the fields its forms send: lengths, counts, and the platforms
// and events there are. Written here as numbers, they could drift from the contract; so
// they are read from the embedded spec, once, in New. A schema, property or bound the
// dashboard needs that is missing from the spec stops the server at start-up, with the
// name of what is missing, rather than leaving a form that checks nothing: the contract
// is enforced at start-up, as the API's validator is built at start-up from the same spec.
//
// The lists of platforms and events the forms offer are the service's (service.Platforms,
// service.WebhookEvents); New refuses to start when they are not the contract's enums,
// so a checkbox the API would refuse cannot appear.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/octopost/octopost/service"
)

// bounds are a string's lengths (characters) or an array's counts, as a schema states them.
type bounds struct{ min, max int }

// limits are the contract's rules the dashboard's forms check.
type limits struct {
	content         bounds // CreatePostRequest.content, characters
	postPlatforms   bounds // CreatePostRequest.platforms, items
	presetName      bounds // CreatePresetRequest.name, characters
	presetTemplate  int    // CreatePresetRequest.cross_link_template's maxLength
	presetPlatforms bounds // CreatePresetRequest.platforms, items
	webhookURL      int    // CreateWebhookRequest.url's maxLength
	webhookEvents   bounds // CreateWebhookRequest.events, items
	// credentials are the maxLength of each credential field of ConnectAccountRequest,
	// by name.
	credentials map[string]int
}

// readLimits reads the limits from spec. credentials are the credential fields the
// platforms' connect forms take: each must be a property of ConnectAccountRequest with a
// maxLength, else the API would refuse it anyway.
func readLimits(spec *openapi3.T, credentials []string) (limits, error) {
	s := schemaReader{spec: spec}
	l := limits{
		content:         s.length("CreatePostRequest", "content"),
		postPlatforms:   s.items("CreatePostRequest", "platforms"),
		presetName:      s.length("CreatePresetRequest", "name"),
		presetTemplate:  s.length("CreatePresetRequest", "cross_link_template").max,
		presetPlatforms: s.items("CreatePresetRequest", "platforms"),
		webhookURL:      s.length("CreateWebhookRequest", "url").max,
		webhookEvents:   s.items("CreateWebhookRequest", "events"),
		credentials:     map[string]int{},
	}
	for _, name := range credentials {
		l.credentials[name] = s.length("ConnectAccountRequest", name).max
	}
	sameEnum(&s, "Platform", service.Platforms)
	sameEnum(&s, "WebhookEvent", service.WebhookEvents)
	if err := errors.Join(s.errs...); err != nil {
		return limits{}, fmt.Errorf("dashboard: openapi.yaml lacks what the dashboard's forms check: %w", err)
	}
	return l, nil
}

// schemaReader reads components' schemas, collecting what is missing.
type schemaReader struct {
	spec *openapi3.T
	errs []error
}

func (s *schemaReader) schema(name string) *openapi3.Schema {
	if s.spec.Components != nil {
		if ref := s.spec.Components.Schemas[name]; ref != nil && ref.Value != nil {
			return ref.Value
		}
	}
	s.errs = append(s.errs, fmt.Errorf("no schema %s", name))
	return nil
}

func (s *schemaReader) property(schema, name string) *openapi3.Schema {
	sch := s.schema(schema)
	if sch == nil {
		return nil
	}
	if ref := sch.Properties[name]; ref != nil && ref.Value != nil {
		return ref.Value
	}
	s.errs = append(s.errs, fmt.Errorf("no property %s.%s", schema, name))
	return nil
}

// length is a string property's minLength (0 when none) and maxLength (required).
func (s *schemaReader) length(schema, name string) bounds {
	p := s.property(schema, name)
	if p == nil {
		return bounds{}
	}
	if p.MaxLength == nil {
		s.errs = append(s.errs, fmt.Errorf("no maxLength on %s.%s", schema, name))
		return bounds{}
	}
	return bounds{min: int(p.MinLength), max: int(*p.MaxLength)}
}

// items is an array property's minItems (0 when none) and maxItems (required).
func (s *schemaReader) items(schema, name string) bounds {
	p := s.property(schema, name)
	if p == nil {
		return bounds{}
	}
	if p.MaxItems == nil {
		s.errs = append(s.errs, fmt.Errorf("no maxItems on %s.%s", schema, name))
		return bounds{}
	}
	return bounds{min: int(p.MinItems), max: int(*p.MaxItems)}
}

// sameEnum checks that schema's enum has exactly the values of want, in any order.
func sameEnum[T ~string](s *schemaReader, schema string, want []T) {
	sch := s.schema(schema)
	if sch == nil {
		return
	}
	var got []string
	for _, v := range sch.Enum {
		if str, ok := v.(string); ok {
			got = append(got, str)
		}
	}
	var exp []string
	for _, v := range want {
		exp = append(exp, string(v))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		s.errs = append(s.errs, fmt.Errorf("the %s enum is %v, the service's list %v", schema, got, exp))
	}
}

// maxLength is the contract's maxLength of a form's input, for its maxlength attribute
// ({{maxLength "post.content"}}): post.content, preset.name, preset.cross_link_template,
// webhook.url, or credential.<field>; and key.name, a rule of the service's own (keys are
// not made through the API). An input it does not know fails the page's render.
func (l limits) maxLength(input string) (int, error) {
	switch input {
	case "key.name":
		return service.APIKeyNameMaxLength, nil
	case "post.content":
		return l.content.max, nil
	case "preset.name":
		return l.presetName.max, nil
	case "preset.cross_link_template":
		return l.presetTemplate, nil
	case "webhook.url":
		return l.webhookURL, nil
	}
	if name, ok := strings.CutPrefix(input, "credential."); ok {
		if n, ok := l.credentials[name]; ok {
			return n, nil
		}
	}
	return 0, fmt.Errorf("dashboard: no contract limit for the input %q", input)
}
