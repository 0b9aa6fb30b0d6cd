package fake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

// graphCall sends params (with token) to f and decodes the answer.
func graphCall(t *testing.T, base, method, path string, params url.Values) (int, map[string]any) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(base + path + "?" + params.Encode())
	} else {
		resp, err = http.PostForm(base+path, params)
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func graphCode(t *testing.T, body map[string]any) float64 {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "a Graph error body: %v", body)
	return e["code"].(float64)
}

func TestThreadsContainerRules(t *testing.T) {
	t.Parallel()
	f := fake.NewThreads(t)
	token := f.IssueToken()
	threads := "/v1.0/" + f.User.ID + "/threads"
	publish := "/v1.0/" + f.User.ID + "/threads_publish"

	// A container not published within 24 hours expires.
	status, body := graphCall(t, f.URL, http.MethodPost, threads, url.Values{"access_token": {token}, "media_type": {"TEXT"}, "text": {"hi"}})
	require.Equal(t, http.StatusOK, status)
	old := body["id"].(string)
	f.Advance(25 * time.Hour)
	_, body = graphCall(t, f.URL, http.MethodGet, "/v1.0/"+old, url.Values{"access_token": {token}, "fields": {"status"}})
	require.Equal(t, "EXPIRED", body["status"])
	status, body = graphCall(t, f.URL, http.MethodPost, publish, url.Values{"access_token": {token}, "creation_id": {old}})
	require.Equal(t, http.StatusBadRequest, status)
	require.EqualValues(t, 100, graphCode(t, body))

	// A media container still processing cannot be published, nor be a carousel's child.
	f.SetProcessing(5)
	_, body = graphCall(t, f.URL, http.MethodPost, threads, url.Values{
		"access_token": {token}, "media_type": {"IMAGE"}, "image_url": {"https://img.example/a.png"}, "is_carousel_item": {"true"},
	})
	item := body["id"].(string)
	status, _ = graphCall(t, f.URL, http.MethodPost, threads, url.Values{
		"access_token": {token}, "media_type": {"CAROUSEL"}, "children": {item + "," + item},
	})
	require.Equal(t, http.StatusBadRequest, status)
	_, body = graphCall(t, f.URL, http.MethodPost, threads, url.Values{
		"access_token": {token}, "media_type": {"IMAGE"}, "image_url": {"https://img.example/a.png"},
	})
	status, body = graphCall(t, f.URL, http.MethodPost, publish, url.Values{"access_token": {token}, "creation_id": {body["id"].(string)}})
	require.Equal(t, http.StatusBadRequest, status)
	require.EqualValues(t, 9007, graphCode(t, body))

	// Another user's path, a missing token, a media URL that is not one.
	status, body = graphCall(t, f.URL, http.MethodPost, "/v1.0/1234/threads", url.Values{"access_token": {token}, "media_type": {"TEXT"}, "text": {"x"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.EqualValues(t, 100, graphCode(t, body))
	status, body = graphCall(t, f.URL, http.MethodPost, threads, url.Values{"media_type": {"TEXT"}, "text": {"x"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.EqualValues(t, 2500, graphCode(t, body))
	status, _ = graphCall(t, f.URL, http.MethodPost, threads, url.Values{"access_token": {token}, "media_type": {"IMAGE"}, "image_url": {"/relative.png"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, f.Posts())
}
