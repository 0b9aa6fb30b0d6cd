package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func TestSystemPresets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	own := b.do(t, http.MethodPost, "/v1/presets", live, `{"name": "Mine", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusCreated, own.status, "body: %s", own.raw)

	list := b.do(t, http.MethodGet, "/v1/presets", live, "")
	require.Equal(t, http.StatusOK, list.status)
	presets := list.body["presets"].([]any)
	require.Len(t, presets, 3)
	all, pro := presets[0].(map[string]any), presets[1].(map[string]any)
	require.Equal(t, "preset_sys_all_platforms", all["id"])
	require.Equal(t, "All Platforms", all["name"])
	require.Len(t, all["platforms"], 12)
	require.Equal(t, true, all["is_system"])
	require.Equal(t, "Professional", pro["name"])
	require.Equal(t, []any{"linkedin", "twitter"}, pro["platforms"])
	require.Equal(t, "linkedin", pro["primary_platform"])
	require.Equal(t, true, pro["cross_link_enabled"])
	require.Equal(t, own.body["id"], presets[2].(map[string]any)["id"], "the user's own come after the system presets")

	got := b.do(t, http.MethodGet, "/v1/presets/preset_sys_professional", live, "")
	require.Equal(t, http.StatusOK, got.status)
	require.Equal(t, pro, got.body)

	requireError(t, b.do(t, http.MethodPut, "/v1/presets/preset_sys_professional", live, `{"name": "Mine now"}`), 403, "forbidden", "System presets cannot be modified")
	requireError(t, b.do(t, http.MethodDelete, "/v1/presets/preset_sys_all_platforms", live, ""), 403, "forbidden", "System presets cannot be deleted")

	// Test mode sees the same system presets, but not live presets.
	testList := b.do(t, http.MethodGet, "/v1/presets", b.key(t, service.ModeTest), "")
	require.Len(t, testList.body["presets"], 2)
}

func TestPresetCRUD(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/presets", live, `{"name": "Dev", "platforms": ["bluesky", "mastodon"], "primary_platform": "bluesky", "cross_link_enabled": true, "cross_link_template": "More on {platform}: {link} ({title}, {excerpt})"}`)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
	id := r.body["id"].(string)
	require.Regexp(t, `^preset_[0-9A-Z]{26}$`, id)
	require.Equal(t, false, r.body["is_default"])
	require.Equal(t, false, r.body["is_system"])

	r = b.do(t, http.MethodPost, "/v1/presets", live, `{"name": "Plain", "platforms": ["slack"]}`)
	require.Equal(t, "Also on {platform}: {link}", r.body["cross_link_template"], "a default template")
	require.Nil(t, r.body["primary_platform"])
	require.Equal(t, false, r.body["cross_link_enabled"])

	r = b.do(t, http.MethodPut, "/v1/presets/"+id, live, `{"name": "Renamed", "primary_platform": null}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, "Renamed", r.body["name"])
	require.Nil(t, r.body["primary_platform"])
	require.Equal(t, []any{"bluesky", "mastodon"}, r.body["platforms"])

	requireFields(t, b.do(t, http.MethodPut, "/v1/presets/"+id, live, `{"primary_platform": "twitter"}`), "/primary_platform")
	requireFields(t, b.do(t, http.MethodPut, "/v1/presets/"+id, live, `{"cross_link_template": "{url}"}`), "/cross_link_template")
	requireError(t, b.do(t, http.MethodGet, "/v1/presets/preset_missing", live, ""), 404, "not_found", "Preset not found")
	requireError(t, b.do(t, http.MethodPut, "/v1/presets/preset_missing", live, `{"name": "x"}`), 404, "not_found", "Preset not found")

	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/v1/presets/"+id, live, "").status)
	requireError(t, b.do(t, http.MethodDelete, "/v1/presets/"+id, live, ""), 404, "not_found", "Preset not found")
}

func TestPresetValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	for name, c := range map[string]struct {
		body   string
		fields []string
	}{
		"name missing":             {`{"platforms": ["slack"]}`, []string{"/name"}},
		"name too long":            {`{"name": "` + strings.Repeat("x", 101) + `", "platforms": ["slack"]}`, []string{"/name"}},
		"platforms missing":        {`{"name": "n"}`, []string{"/platforms"}},
		"primary not in platforms": {`{"name": "n", "platforms": ["slack"], "primary_platform": "discord"}`, []string{"/primary_platform"}},
		"unknown variable":         {`{"name": "n", "platforms": ["slack"], "cross_link_template": "see {url} on {platform}"}`, []string{"/cross_link_template"}},
		"unknown field":            {`{"name": "n", "platforms": ["slack"], "is_system": true}`, []string{"/is_system"}},
	} {
		t.Run(name, func(t *testing.T) {
			requireFields(t, b.do(t, http.MethodPost, "/v1/presets", live, c.body), c.fields...)
		})
	}
}

func TestDefaultPreset(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live, test := b.key(t, service.ModeLive), b.key(t, service.ModeTest)
	first := b.do(t, http.MethodPost, "/v1/presets", live, `{"name": "First", "platforms": ["slack"], "is_default": true}`)
	require.Equal(t, true, first.body["is_default"])
	testDefault := b.do(t, http.MethodPost, "/v1/presets", test, `{"name": "Sandbox", "platforms": ["slack"], "is_default": true}`)
	require.Equal(t, true, testDefault.body["is_default"])

	second := b.do(t, http.MethodPost, "/v1/presets", live, `{"name": "Second", "platforms": ["discord"], "is_default": true}`)
	require.Equal(t, true, second.body["is_default"])
	firstID, secondID := first.body["id"].(string), second.body["id"].(string)

	require.Equal(t, false, b.do(t, http.MethodGet, "/v1/presets/"+firstID, live, "").body["is_default"], "the previous default is cleared")
	require.Equal(t, true, b.do(t, http.MethodGet, "/v1/presets/"+testDefault.body["id"].(string), test, "").body["is_default"], "the other mode keeps its own default")

	requireError(t, b.do(t, http.MethodDelete, "/v1/presets/"+secondID, live, ""), 409, "conflict",
		"The default preset cannot be deleted; make another preset the default first")

	r := b.do(t, http.MethodPut, "/v1/presets/"+firstID, live, `{"is_default": true}`)
	require.Equal(t, true, r.body["is_default"])
	require.Equal(t, false, b.do(t, http.MethodGet, "/v1/presets/"+secondID, live, "").body["is_default"])
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/v1/presets/"+secondID, live, "").status)

	defaults := 0
	for _, p := range b.do(t, http.MethodGet, "/v1/presets", live, "").body["presets"].([]any) {
		if p.(map[string]any)["is_default"] == true {
			defaults++
		}
	}
	require.Equal(t, 1, defaults)
}

// TestPresetBooleansRefuseNull: is_default and cross_link_enabled have a default but are
// not nullable, so null is a 422 like on any other field (kin-openapi used to write the
// default over it); left out, they default to false.
func TestPresetBooleansRefuseNull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	for _, field := range []string{"is_default", "cross_link_enabled"} {
		body := `{"name": "Nulls", "platforms": ["bluesky"], "` + field + `": null}`
		requireFields(t, b.do(t, http.MethodPost, "/v1/presets", key, body), "/"+field)
	}
	created := b.do(t, http.MethodPost, "/v1/presets", key, `{"name": "Defaults", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	require.Equal(t, false, created.body["is_default"])
	require.Equal(t, false, created.body["cross_link_enabled"])
	id := created.body["id"].(string)
	for _, field := range []string{"is_default", "cross_link_enabled"} {
		requireFields(t, b.do(t, http.MethodPut, "/v1/presets/"+id, key, `{"`+field+`": null}`), "/"+field)
	}
}
