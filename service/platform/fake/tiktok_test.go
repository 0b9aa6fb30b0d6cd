package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tiktokCall sends a request to the fake TikTok and returns the status and decoded body.
func tiktokCall(t *testing.T, f *TikTok, method, path, token, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), string(data))
	return resp.StatusCode, out
}

func tiktokErrorCode(body map[string]any) string {
	if e, ok := body["error"].(map[string]any); ok {
		code, _ := e["code"].(string)
		return code
	}
	code, _ := body["error"].(string) // the token endpoint's flat shape
	return code
}

// The refusals the adapter never provokes, because it checks first: the fake must still
// make them, or a client that did not check would pass against it.
func TestTikTokFakeIsStrict(t *testing.T) {
	t.Parallel()
	f := NewTikTok(t)
	token, _ := f.IssueToken()
	const jsonType = "application/json; charset=UTF-8"
	initPost := func(postInfo string) (int, string) {
		status, body := tiktokCall(t, f, http.MethodPost, "/v2/post/publish/video/init/", token, jsonType,
			`{"post_info": `+postInfo+`, "source_info": {"source": "PULL_FROM_URL", "video_url": "https://videos.example.com/v.mp4"}}`)
		return status, tiktokErrorCode(body)
	}

	f.Configure(func(f *TikTok) { f.PrivacyOptions = []string{"SELF_ONLY"}; f.CommentDisabled = true })
	status, code := initPost(`{"title": "x", "privacy_level": "PUBLIC_TO_EVERYONE", "disable_comment": true}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "privacy_level_option_mismatch", code)
	status, code = initPost(`{"title": "x", "privacy_level": "SELF_ONLY"}`)
	require.Equal(t, http.StatusBadRequest, status, "comments the creator turned off cannot be turned on")
	require.Equal(t, "invalid_params", code)
	status, code = initPost(`{"title": "x", "privacy_level": "SELF_ONLY", "disable_comment": true, "privacy": 1}`)
	require.Equal(t, http.StatusBadRequest, status, "unknown fields are refused")
	require.Equal(t, "invalid_params", code)
	status, code = initPost(`{"title": "x", "privacy_level": "SELF_ONLY", "disable_comment": true}`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", code)

	status, body := tiktokCall(t, f, http.MethodPost, "/v2/post/publish/video/init/", token, "text/plain", `{}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_params", tiktokErrorCode(body))
	status, body = tiktokCall(t, f, http.MethodPost, "/v2/post/publish/status/fetch/", token, jsonType, `{"publish_id": "nope"}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_publish_id", tiktokErrorCode(body))
	status, body = tiktokCall(t, f, http.MethodPost, "/v2/post/publish/creator_info/query/", "act.wrong", jsonType, ``)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "access_token_invalid", tiktokErrorCode(body))

	// username needs user.info.profile, which is not granted.
	status, body = tiktokCall(t, f, http.MethodGet, "/v2/user/info/?fields=open_id,username", token, "", "")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "scope_not_authorized", tiktokErrorCode(body))
	status, body = tiktokCall(t, f, http.MethodGet, "/v2/user/info/?fields=open_id,display_name", token, "", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"user": map[string]any{"open_id": f.OpenID, "display_name": f.DisplayName}}, body["data"])

	// The token endpoint takes a form with client_key, not client_id.
	form := url.Values{"client_id": {f.ClientKey}, "client_secret": {f.ClientSecret}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}}
	status, body = tiktokCall(t, f, http.MethodPost, "/v2/oauth/token/", "", "application/x-www-form-urlencoded", form.Encode())
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "invalid_client", tiktokErrorCode(body))
	form.Set("client_key", f.ClientKey)
	status, body = tiktokCall(t, f, http.MethodPost, "/v2/oauth/token/", "", "application/json", form.Encode())
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_request", tiktokErrorCode(body))
}
