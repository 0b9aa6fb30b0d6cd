package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/platforms"
)

// spec is a fresh copy of the embedded openapi.yaml, for a test to change.
func spec(t *testing.T) *openapi3.T {
	t.Helper()
	s, err := oapi.GetSpec()
	require.NoError(t, err)
	return s
}

func TestLimitsAreOpenAPIsOwn(t *testing.T) {
	t.Parallel()
	d, err := newWithSpec(nil, Options{Platforms: platforms.All}, spec(t))
	require.NoError(t, err)
	// The values openapi.yaml states today.
	require.Equal(t, bounds{min: 1, max: 10000}, d.limits.content)
	require.Equal(t, bounds{min: 1, max: 12}, d.limits.postPlatforms)
	require.Equal(t, bounds{min: 1, max: 100}, d.limits.presetName)
	require.Equal(t, 500, d.limits.presetTemplate)
	require.Equal(t, bounds{min: 1, max: 12}, d.limits.presetPlatforms)
	require.Equal(t, 2048, d.limits.webhookURL)
	require.Equal(t, bounds{min: 1, max: 5}, d.limits.webhookEvents)
	names := d.credentialNames()
	require.Contains(t, names, "access_token")
	require.Len(t, d.limits.credentials, len(names))
	for _, name := range names {
		require.Equal(t, 2048, d.limits.credentials[name], name)
	}

	n, err := d.limits.maxLength("credential.access_token")
	require.NoError(t, err)
	require.Equal(t, 2048, n)
	_, err = d.limits.maxLength("credential.password")
	require.Error(t, err, "an input the contract has no limit for fails the page")

	// The forms whose limit is a constant hold the most the contract lets them carry:
	// every field at its longest, four bytes a character, URL-encoded.
	require.GreaterOrEqual(t, int64(webhookFormLimit), int64(12*d.limits.webhookURL))
	require.GreaterOrEqual(t, int64(presetFormLimit), int64(12*(d.limits.presetName.max+d.limits.presetTemplate)))
}

func TestNewRefusesAContractWithoutALimitItChecks(t *testing.T) {
	t.Parallel()
	schema := func(s *openapi3.T, name string) *openapi3.Schema { return s.Components.Schemas[name].Value }
	for _, tc := range []struct {
		name   string
		change func(*openapi3.T)
		want   string
	}{
		{"content maxLength", func(s *openapi3.T) { schema(s, "CreatePostRequest").Properties["content"].Value.MaxLength = nil },
			"no maxLength on CreatePostRequest.content"},
		{"preset name", func(s *openapi3.T) { delete(schema(s, "CreatePresetRequest").Properties, "name") },
			"no property CreatePresetRequest.name"},
		{"events maxItems", func(s *openapi3.T) { schema(s, "CreateWebhookRequest").Properties["events"].Value.MaxItems = nil },
			"no maxItems on CreateWebhookRequest.events"},
		{"webhook schema", func(s *openapi3.T) { delete(s.Components.Schemas, "CreateWebhookRequest") },
			"no schema CreateWebhookRequest"},
		{"a credential", func(s *openapi3.T) { delete(schema(s, "ConnectAccountRequest").Properties, "bot_token") },
			"no property ConnectAccountRequest.bot_token"},
		{"a platform", func(s *openapi3.T) {
			p := schema(s, "Platform")
			p.Enum = slices.DeleteFunc(p.Enum, func(v any) bool { return v == "mastodon" })
		}, "the Platform enum is"},
		{"an event", func(s *openapi3.T) { p := schema(s, "WebhookEvent"); p.Enum = append(p.Enum, "post.deleted") },
			"the WebhookEvent enum is"},
	} {
		s := spec(t)
		tc.change(s)
		_, err := newWithSpec(nil, Options{Platforms: platforms.All}, s)
		require.ErrorContains(t, err, tc.want, tc.name)
		require.ErrorContains(t, err, "openapi.yaml lacks what the dashboard's forms check", tc.name)
	}
}

func TestFormsCheckTheLimitsTheContractStates(t *testing.T) {
	t.Parallel()
	s := spec(t)
	short := uint64(20)
	s.Components.Schemas["CreatePostRequest"].Value.Properties["content"].Value.MaxLength = &short
	s.Components.Schemas["CreatePresetRequest"].Value.Properties["name"].Value.MaxLength = &short
	s.Components.Schemas["CreateWebhookRequest"].Value.Properties["url"].Value.MaxLength = &short
	two := uint64(2)
	s.Components.Schemas["CreateWebhookRequest"].Value.Properties["events"].Value.MaxItems = &two
	s.Components.Schemas["CreatePresetRequest"].Value.Properties["platforms"].Value.MinItems = 2
	b := newBench(t, benchOptions{spec: s})
	_, c := b.user(t, "owner@example.com")

	// The inputs say so too, so that a browser stops there.
	_, body := b.get(t, c, TestPrefix+"/posts/new")
	require.Contains(t, body, `<textarea id="content" name="content" required maxlength="20"`)
	_, body = b.get(t, c, TestPrefix+"/presets")
	require.Contains(t, body, `id="name" name="name" value="" required maxlength="20"`)
	_, body = b.get(t, c, TestPrefix+"/webhooks")
	require.Contains(t, body, `id="url" name="url" value="" required maxlength="20"`)

	for _, tc := range []struct {
		name, path string
		form       url.Values
		field      string
		want       string
	}{
		{"content", "/posts", url.Values{"content": {strings.Repeat("é", 21)}, "platforms": {"twitter"}, "action": {"draft"}},
			"content", "must be at most 20 characters, not 21"},
		{"preset name", "/presets", url.Values{"name": {strings.Repeat("é", 21)}, "platforms": {"mastodon", "bluesky"}},
			"name", "must be at most 20 characters"},
		{"preset platforms", "/presets", url.Values{"name": {"Mine"}, "platforms": {"mastodon"}},
			"platforms", "choose at least 2 platforms"},
		{"webhook url", "/webhooks", url.Values{"url": {"https://example.com/" + strings.Repeat("x", 10)}, "events": {"post.published"}},
			"url", "must be at most 20 characters"},
		{"webhook events", "/webhooks", url.Values{"url": {"https://a.example/"}, "events": {"post.published", "post.failed", "post.scheduled"}},
			"events", "choose at most 2 events"},
	} {
		resp, body := b.post(t, c, TestPrefix+tc.path, tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
		require.Regexp(t, `<p class="field-error" id="`+tc.field+`-error">[^<]*`+tc.want, body, tc.name)
	}

	// Within the contract's limits the same forms are accepted.
	resp, _ := b.post(t, c, TestPrefix+"/posts", url.Values{"content": {strings.Repeat("é", 20)}, "platforms": {"twitter"}, "action": {"draft"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.post(t, c, TestPrefix+"/presets", url.Values{"name": {strings.Repeat("é", 20)}, "platforms": {"mastodon", "bluesky"}})
	requireRedirect(t, resp, TestPrefix+"/presets")
}

// TestCredentialLengthIsCountedInCharacters: the contract's maxLength counts characters,
// as the API's validator does; a token of 2048 two-byte characters is the platform's to
// judge, one of 2049 is refused here.
func TestCredentialLengthIsCountedInCharacters(t *testing.T) {
	t.Parallel()
	b, m := mastodonBench(t)
	_, c := b.user(t, "owner@example.com")

	resp, body := b.post(t, c, Prefix+"/accounts", url.Values{
		"platform": {"mastodon"}, "instance_url": {m.URL}, "access_token": {strings.Repeat("é", 2048)},
	})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Regexp(t, `<p class="field-error" id="mastodon-access_token-error">was refused by mastodon: `, body)

	resp, body = b.post(t, c, Prefix+"/accounts", url.Values{
		"platform": {"mastodon"}, "instance_url": {m.URL}, "access_token": {strings.Repeat("é", 2049)},
	})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `<p class="field-error" id="mastodon-access_token-error">must be at most 2048 characters</p>`)
	require.Equal(t, 1, m.Calls("/api/v1/accounts/verify_credentials"), "a credential over the contract's length is never sent")
}
