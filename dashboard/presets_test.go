package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// ownPresets returns the scope's own presets, by name.
func ownPresets(t *testing.T, b *bench, scope service.Scope) map[string]service.Preset {
	t.Helper()
	list, err := b.svc.ListPresets(context.Background(), scope)
	require.NoError(t, err)
	byName := map[string]service.Preset{}
	for _, p := range list {
		if !p.IsSystem {
			byName[p.Name] = p
		}
	}
	return byName
}

// defaultRows returns the ids of the rows of the presets list marked default.
func defaultRows(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr data-preset-id="([^"]+)" data-default="true"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestPresetsAreCreatedEditedAndMadeDefault(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	user, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: user.ID, Mode: service.ModeLive}

	resp, body := b.get(t, c, Prefix+"/presets")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"preset_sys_all_platforms", "preset_sys_professional"}, rowIDs(body, "data-preset-id"))
	require.Contains(t, rowOf(body, "data-preset-id", "preset_sys_professional"), "read-only")
	require.NotContains(t, rowOf(body, "data-preset-id", "preset_sys_professional"), "make-default")
	require.Contains(t, body, `id="preset-form"`)
	require.Contains(t, body, `id="platform-mastodon"`)
	require.Empty(t, defaultRows(body))

	resp, _ = b.post(t, c, Prefix+"/presets", url.Values{
		"name": {"Fediverse"}, "platforms": {"mastodon", "bluesky"}, "primary_platform": {"bluesky"},
		"cross_link_enabled": {"true"}, "cross_link_template": {"More on {platform}: {link}"}, "is_default": {"true"},
	})
	requireRedirect(t, resp, Prefix+"/presets")
	resp, _ = b.post(t, c, Prefix+"/presets", url.Values{"name": {"Chat"}, "platforms": {"discord", "slack"}})
	requireRedirect(t, resp, Prefix+"/presets")

	own := ownPresets(t, b, live)
	fedi, chat := own["Fediverse"], own["Chat"]
	require.Equal(t, []service.Platform{"mastodon", "bluesky"}, fedi.Platforms)
	require.Equal(t, service.Platform("bluesky"), *fedi.PrimaryPlatform)
	require.True(t, fedi.CrossLinkEnabled)
	require.Equal(t, "More on {platform}: {link}", fedi.CrossLinkTemplate)
	require.True(t, fedi.IsDefault)
	require.Nil(t, chat.PrimaryPlatform)
	require.False(t, chat.CrossLinkEnabled)
	require.Equal(t, service.DefaultCrossLinkTemplate, chat.CrossLinkTemplate, "an empty template is the default one")
	require.False(t, chat.IsDefault)

	resp, body = b.get(t, c, Prefix+"/presets")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Preset Chat created.")
	require.Equal(t, []string{fedi.ID}, defaultRows(body))
	require.Contains(t, rowOf(body, "data-preset-id", fedi.ID), "default-marker")
	require.NotContains(t, rowOf(body, "data-preset-id", fedi.ID), "make-default")
	require.Contains(t, rowOf(body, "data-preset-id", chat.ID), "make-default")

	// The marker moves.
	resp, _ = b.post(t, c, Prefix+"/presets/"+chat.ID+"/default", nil)
	requireRedirect(t, resp, Prefix+"/presets")
	_, body = b.get(t, c, Prefix+"/presets")
	require.Equal(t, []string{chat.ID}, defaultRows(body))
	require.NotContains(t, rowOf(body, "data-preset-id", fedi.ID), "default-marker")
	require.Contains(t, body, "Chat is now the default preset.")

	// The edit page shows the preset as it is, and saves every field.
	resp, body = b.get(t, c, Prefix+"/presets/"+fedi.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="preset-form"`)
	require.Contains(t, body, `action="`+Prefix+`/presets/`+fedi.ID+`"`)
	require.Contains(t, body, `id="name" name="name" value="Fediverse"`)
	require.Contains(t, body, `id="platform-mastodon" name="platforms" value="mastodon" checked`)
	require.Contains(t, body, `id="platform-bluesky" name="platforms" value="bluesky" checked`)
	require.NotContains(t, body, `value="discord" checked`)
	require.Contains(t, body, `<option value="bluesky" selected>`)
	require.Contains(t, body, `id="cross_link_enabled" name="cross_link_enabled" value="true" checked`)
	require.Regexp(t, `id="is_default" name="is_default" value="true">`, body)

	resp, _ = b.post(t, c, Prefix+"/presets/"+fedi.ID, url.Values{
		"name": {"Fediverse and X"}, "platforms": {"mastodon", "twitter"}, "primary_platform": {""},
		"cross_link_template": {"Also at {link}"},
	})
	requireRedirect(t, resp, Prefix+"/presets")
	edited := ownPresets(t, b, live)["Fediverse and X"]
	require.Equal(t, fedi.ID, edited.ID)
	require.Equal(t, []service.Platform{"mastodon", "twitter"}, edited.Platforms)
	require.Nil(t, edited.PrimaryPlatform)
	require.False(t, edited.CrossLinkEnabled, "an unchecked box turns cross-linking off")
	require.Equal(t, "Also at {link}", edited.CrossLinkTemplate)
	require.False(t, edited.IsDefault)
	require.True(t, ownPresets(t, b, live)["Chat"].IsDefault, "editing another preset leaves the default alone")

	// Checking "default" on the edit page moves the marker too.
	resp, _ = b.post(t, c, Prefix+"/presets/"+fedi.ID, url.Values{
		"name": {"Fediverse and X"}, "platforms": {"mastodon", "twitter"}, "is_default": {"true"},
	})
	requireRedirect(t, resp, Prefix+"/presets")
	_, body = b.get(t, c, Prefix+"/presets")
	require.Equal(t, []string{fedi.ID}, defaultRows(body))
}

func TestPresetFormProblemsAre422AndKeepTheInput(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	user, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: user.ID, Mode: service.ModeTest}

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"primary not among platforms", url.Values{"name": {"Mine"}, "platforms": {"mastodon"}, "primary_platform": {"bluesky"}}, "primary_platform", "must be one of platforms"},
		{"unknown variable", url.Values{"name": {"Mine"}, "platforms": {"mastodon"}, "cross_link_template": {"See {url}"}}, "cross_link_template", "unknown variable {url}"},
		{"no platforms", url.Values{"name": {"Mine"}}, "platforms", "choose at least one platform"},
		{"unknown platform", url.Values{"name": {"Mine"}, "platforms": {"myspace"}}, "platforms", "is not a platform"},
		{"no name", url.Values{"name": {"  "}, "platforms": {"mastodon"}}, "name", "is required"},
		{"long name", url.Values{"name": {strings.Repeat("é", 100+1)}, "platforms": {"mastodon"}}, "name", "at most 100 characters"},
		{"long template", url.Values{"name": {"Mine"}, "platforms": {"mastodon"}, "cross_link_template": {strings.Repeat("x", 500+1)}}, "cross_link_template", "at most 500 characters"},
	} {
		resp, body := b.post(t, c, TestPrefix+"/presets", tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
		require.Regexp(t, `<p class="field-error" id="`+tc.field+`-error">[^<]*`+regexp.QuoteMeta(tc.msg), body, tc.name)
		require.Regexp(t, `id="`+tc.field+`"[^>]*aria-invalid="true"|<fieldset aria-describedby="`+tc.field+`-error"`, body, tc.name)
		// What was typed is kept.
		require.Contains(t, body, `id="name" name="name" value="`+tc.form.Get("name")+`"`, tc.name)
		for _, p := range tc.form["platforms"] {
			if p != "myspace" {
				require.Contains(t, body, `value="`+p+`" checked`, tc.name)
			}
		}
		if v := tc.form.Get("primary_platform"); v != "" {
			require.Contains(t, body, `<option value="`+v+`" selected>`, tc.name)
		}
	}
	require.Empty(t, ownPresets(t, b, test))

	// On the edit page too, with the preset unchanged.
	p, err := b.svc.CreatePreset(context.Background(), test, service.PresetInput{Name: "Mine", Platforms: []service.Platform{"mastodon"}})
	require.NoError(t, err)
	resp, body := b.post(t, c, TestPrefix+"/presets/"+p.ID, url.Values{"name": {"Renamed"}, "platforms": {"mastodon"}, "primary_platform": {"slack"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="primary_platform-error"`)
	require.Contains(t, body, `value="Renamed"`)
	require.Contains(t, body, `action="`+TestPrefix+`/presets/`+p.ID+`"`)
	require.Equal(t, "Mine", ownPresets(t, b, test)["Mine"].Name)
}

func TestSystemPresetsAreReadOnly(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")

	resp, body := b.get(t, c, Prefix+"/presets/preset_sys_professional")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="preset-readonly"`)
	require.Contains(t, body, "Professional")
	require.NotContains(t, body, `id="preset-form"`)
	require.NotContains(t, body, "<input")

	resp, _ = b.post(t, c, Prefix+"/presets/preset_sys_professional", url.Values{"name": {"Mine"}, "platforms": {"mastodon"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = b.post(t, c, Prefix+"/presets/preset_sys_professional/default", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	_, body = b.get(t, c, Prefix+"/presets")
	require.Empty(t, defaultRows(body))
}

func TestPresetsOfAnotherUserOrModeAreNotFound(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	ctx := context.Background()
	owner, ownerBrowser := b.user(t, "owner@example.com")
	_, other := b.user(t, "other@example.com")
	live := service.Scope{UserID: owner.ID, Mode: service.ModeLive}
	p, err := b.svc.CreatePreset(ctx, live, service.PresetInput{Name: "Owner's", Platforms: []service.Platform{"mastodon"}})
	require.NoError(t, err)

	_, body := b.get(t, ownerBrowser, Prefix+"/presets")
	require.Contains(t, rowIDs(body, "data-preset-id"), p.ID)
	_, body = b.get(t, ownerBrowser, TestPrefix+"/presets")
	require.NotContains(t, rowIDs(body, "data-preset-id"), p.ID)
	_, body = b.get(t, other, Prefix+"/presets")
	require.NotContains(t, rowIDs(body, "data-preset-id"), p.ID)

	for _, a := range []struct {
		c    *http.Client
		base string
	}{{other, Prefix}, {other, TestPrefix}, {ownerBrowser, TestPrefix}} {
		path := a.base + "/presets/" + p.ID
		resp, _ := b.get(t, a.c, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		resp, _ = b.post(t, a.c, path, url.Values{"name": {"Taken"}, "platforms": {"slack"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		resp, _ = b.post(t, a.c, path+"/default", nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	got, err := b.svc.GetPreset(ctx, live, p.ID)
	require.NoError(t, err)
	require.Equal(t, "Owner's", got.Name)
	require.False(t, got.IsDefault)
}
