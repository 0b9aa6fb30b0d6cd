package dashboard

// Settings > API Keys, as the authentication page describes it, through the handler
// `octopost serve` mounts: keys made and revoked in the page are called on the API beside
// it (harness_test.go).

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

var (
	newKey  = regexp.MustCompile(`<code id="new-key"[^>]*>([^<]*)</code>`)
	keyRow  = regexp.MustCompile(`<tr data-key-id="(key_[^"]+)">`)
	checked = regexp.MustCompile(`<input type="(?:radio|checkbox)" id="([a-z-]+)"[^>]* checked>`)
)

// createKeyInPage sends the Create API Key form to base's page and returns the answer
// and the key shown once.
func (b *bench) createKeyInPage(t *testing.T, c *http.Client, base, name, mode string, perms ...string) (*http.Response, string, string) {
	t.Helper()
	form := url.Values{"name": {name}, "permissions": perms}
	if mode != "" {
		form.Set("mode", mode)
	}
	resp, body := b.post(t, c, base+"/settings/api-keys", form)
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	m := newKey.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	return resp, body, html.UnescapeString(m[1])
}

// callAPI calls the API beside the dashboard with key and returns the status.
func (b *bench) callAPI(t *testing.T, method, path, key string) int {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	return resp.StatusCode
}

func TestKeysPageHasTheCreateForm(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, testEmail)

	for base, mode := range map[string]string{Prefix: "mode-live", TestPrefix: "mode-test"} {
		resp, body := b.get(t, c, base+"/settings/api-keys")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, `<form id="create-key"`)
		require.Contains(t, body, `id="name"`)
		require.Contains(t, body, "Leave every box unchecked for full access: the key can call every operation.")
		for _, p := range service.Permissions {
			require.Contains(t, body, `id="perm-`+strings.ReplaceAll(string(p), ":", "-")+`" name="permissions" value="`+string(p)+`"`)
			require.Contains(t, body, permissionDescriptions[p])
		}
		// The mode on screen is the one chosen, and nothing else is.
		require.Equal(t, []string{mode}, checkedInputs(body), base)
		require.Contains(t, body, "No keys yet.")
	}
}

func checkedInputs(body string) []string {
	var ids []string
	for _, m := range checked.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestCreatedKeyHasExactlyItsPermissionsAndIsShownOnce(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, testEmail)
	ctx := context.Background()

	// Made on the test pages without choosing a mode: a test key.
	resp, body, key := b.createKeyInPage(t, c, TestPrefix, "CI/CD Pipeline", "", "posts:read", "accounts:write")
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	require.True(t, strings.HasPrefix(key, "oct_test_"), key)
	require.Contains(t, body, `<button id="copy-key" type="button" class="btn btn-primary" data-copy="#new-key">`)
	require.Contains(t, body, "It will not be shown again")

	k, err := b.svc.Authenticate(ctx, key)
	require.NoError(t, err)
	require.Equal(t, "CI/CD Pipeline", k.Name)
	require.Equal(t, service.ModeTest, k.Mode)
	require.ElementsMatch(t, []service.Permission{"posts:read", "accounts:write"}, k.Permissions)
	// The API agrees: a permitted operation passes, another is forbidden.
	require.Equal(t, http.StatusOK, b.callAPI(t, http.MethodGet, "/v1/posts", key))
	require.Equal(t, http.StatusForbidden, b.callAPI(t, http.MethodGet, "/v1/webhooks", key))

	// The list shows the key, its permissions and hint, and never the key itself, in
	// either mode.
	for _, base := range []string{Prefix, TestPrefix} {
		resp, list := b.get(t, c, base+"/settings/api-keys")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotContains(t, list, key)
		require.NotContains(t, list, key[len(key)-12:])
		require.Equal(t, [][]string{{`<tr data-key-id="` + k.ID + `">`, k.ID}}, keyRow.FindAllStringSubmatch(list, -1))
		require.Contains(t, list, html.EscapeString(k.Hint))
		require.Contains(t, list, "<code>posts:read</code>, <code>accounts:write</code>")
		require.Contains(t, list, `class="badge badge-test"`)
		require.NotContains(t, list, "Full access")
	}
	// Nor on the revoke page.
	_, page := b.get(t, c, Prefix+"/settings/api-keys/"+k.ID+"/revoke")
	require.NotContains(t, page, key)
}

func TestKeyWithoutPermissionsHasFullAccess(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, testEmail)

	_, _, key := b.createKeyInPage(t, c, TestPrefix, "Production Server", "live")
	require.True(t, strings.HasPrefix(key, "oct_live_"), "the form's choice wins over the mode on screen")
	k, err := b.svc.Authenticate(context.Background(), key)
	require.NoError(t, err)
	require.Empty(t, k.Permissions)
	require.Equal(t, http.StatusOK, b.callAPI(t, http.MethodGet, "/v1/webhooks", key))
	_, list := b.get(t, c, Prefix+"/settings/api-keys")
	require.Contains(t, list, "Full access")
	require.Contains(t, list, `class="badge badge-live"`)
}

func TestKeyFormMistakesKeepWhatWasTyped(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, testEmail)

	resp, body := b.post(t, c, Prefix+"/settings/api-keys", url.Values{"name": {"  "}, "mode": {"test"}, "permissions": {"posts:read", "webhooks:write"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="name-error"`)
	require.Equal(t, []string{"mode-test", "perm-posts-read", "perm-webhooks-write"}, checkedInputs(body))

	resp, body = b.post(t, c, Prefix+"/settings/api-keys", url.Values{"name": {"x"}, "permissions": {"posts:admin"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="permissions-error"`)
	resp, body = b.post(t, c, Prefix+"/settings/api-keys", url.Values{"name": {"x"}, "mode": {"staging"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="mode-error"`)
	require.NotContains(t, body, `id="new-key"`)

	keys, err := b.svc.ListUserAPIKeys(context.Background(), u.ID)
	require.NoError(t, err)
	require.Empty(t, keys)
}

func TestRevokingInThePageIsImmediateForTheAPI(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, testEmail)

	_, _, key := b.createKeyInPage(t, c, Prefix, "Old server", "live", "posts:read")
	k, err := b.svc.Authenticate(context.Background(), key)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.callAPI(t, http.MethodGet, "/v1/posts", key))

	// The list links to a confirmation page; only its form revokes.
	_, list := b.get(t, c, Prefix+"/settings/api-keys")
	require.Contains(t, list, `<a class="revoke" href="/dashboard/settings/api-keys/`+k.ID+`/revoke"`)
	resp, confirm := b.get(t, c, Prefix+"/settings/api-keys/"+k.ID+"/revoke")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, confirm, `id="confirm"`)
	require.Contains(t, confirm, `action="/dashboard/settings/api-keys/`+k.ID+`/revoke"`)
	require.Equal(t, http.StatusOK, b.callAPI(t, http.MethodGet, "/v1/posts", key), "showing the confirmation revokes nothing")

	resp, _ = b.post(t, c, Prefix+"/settings/api-keys/"+k.ID+"/revoke", nil)
	requireRedirect(t, resp, Prefix+"/settings/api-keys")
	require.Equal(t, http.StatusUnauthorized, b.callAPI(t, http.MethodGet, "/v1/posts", key))
	_, err = b.svc.Authenticate(context.Background(), key)
	require.ErrorIs(t, err, service.ErrUnauthenticated)

	_, list = b.get(t, c, Prefix+"/settings/api-keys")
	require.Contains(t, list, "is revoked")
	// Sent again (the back button), the form changes nothing and still answers.
	resp, _ = b.post(t, c, Prefix+"/settings/api-keys/"+k.ID+"/revoke", nil)
	requireRedirect(t, resp, Prefix+"/settings/api-keys")
	resp, confirm = b.get(t, c, Prefix+"/settings/api-keys/"+k.ID+"/revoke")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, confirm, `id="confirm"`, "nothing left to confirm")
	require.Contains(t, confirm, "was revoked")
	require.Contains(t, list, `class="badge badge-revoked"`)
	require.NotContains(t, list, `class="revoke"`)
}

func TestAnotherUsersKeyIsNotFound(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, testEmail)
	ctx := context.Background()

	other, err := b.svc.CreateUser(ctx, "other@example.com", "")
	require.NoError(t, err)
	theirs, key, err := b.svc.CreateUserAPIKey(ctx, other.ID, "theirs", service.ModeLive, nil)
	require.NoError(t, err)

	for _, base := range []string{Prefix, TestPrefix} {
		resp, _ := b.get(t, c, base+"/settings/api-keys/"+theirs.ID+"/revoke")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		resp, _ = b.post(t, c, base+"/settings/api-keys/"+theirs.ID+"/revoke", nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		_, list := b.get(t, c, base+"/settings/api-keys")
		require.NotContains(t, list, theirs.ID)
		require.NotContains(t, list, "theirs")
	}
	require.Equal(t, http.StatusOK, b.callAPI(t, http.MethodGet, "/v1/posts", key), "their key still works")
}

// TestRotatingAKeyAsTheAuthenticationPageSays: Rotate fills the form in with the key's
// name, mode and permissions; the new key works beside the old one, whose revocation the
// new key's page links to; live keys 90 days old are marked for rotation.
func TestRotatingAKeyAsTheAuthenticationPageSays(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, testEmail)

	_, _, oldKey := b.createKeyInPage(t, c, Prefix, "Production Server", "live", "posts:read", "posts:write")
	keys, err := b.svc.ListAPIKeys(context.Background(), testEmail)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	old := keys[0]

	_, body := b.get(t, c, Prefix+"/settings/api-keys")
	require.NotContains(t, body, "rotation-due", "a new key is not due")
	require.Contains(t, body, `href="/dashboard/settings/api-keys?rotate=`+old.ID+`#create-heading"`)

	resp, body := b.get(t, c, TestPrefix+"/settings/api-keys?rotate="+old.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `id="rotating"`)
	require.Contains(t, body, `value="Production Server"`)
	var ticks []string
	for _, m := range checked.FindAllStringSubmatch(body, -1) {
		ticks = append(ticks, m[1])
	}
	require.ElementsMatch(t, []string{"mode-live", "perm-posts-read", "perm-posts-write"}, ticks,
		"the old key's mode, not the page's, and its permissions")

	form := url.Values{"name": {"Production Server"}, "mode": {"live"}, "permissions": {"posts:read", "posts:write"}, "replaces": {old.ID}}
	resp, body = b.post(t, c, Prefix+"/settings/api-keys", form)
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	require.Contains(t, body, `id="revoke-replaced" href="/dashboard/settings/api-keys/`+old.ID+`/revoke"`)
	newSecret := html.UnescapeString(newKey.FindStringSubmatch(body)[1])
	require.Equal(t, http.StatusOK, b.callAPI(t, "GET", "/v1/posts", newSecret))
	require.Equal(t, http.StatusOK, b.callAPI(t, "GET", "/v1/posts", oldKey), "the old key works until it is revoked")

	// Another user's key cannot be the one rotated.
	_, other := b.user(t, "other@example.com")
	resp, _ = b.get(t, other, Prefix+"/settings/api-keys?rotate="+old.ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.post(t, other, Prefix+"/settings/api-keys", form)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	b.clock.Advance(rotateAfter)
	c = b.browser(t) // the old session has long ended
	b.signInInPage(t, c, testEmail, testPassword)
	_, body = b.get(t, c, Prefix+"/settings/api-keys")
	require.Equal(t, 2, strings.Count(body, "rotation-due"), "both active keys are 90 days old")
}
