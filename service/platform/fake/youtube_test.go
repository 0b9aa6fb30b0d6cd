package fake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// startYouTubeUpload starts an upload session on f with token and returns its URI.
func startYouTubeUpload(t *testing.T, f *YouTube, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.URL+"/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
		strings.NewReader(`{"snippet":{"title":"t","description":"d"},"status":{"privacyStatus":"private"}}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Upload-Content-Type", "video/mp4")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Location"))
	return resp.Header.Get("Location")
}

// putYouTube sends n bytes to session with contentRange and returns the answer's status
// and Range header.
func putYouTube(t *testing.T, session, contentRange string, n int) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, session, strings.NewReader(strings.Repeat("v", n)))
	require.NoError(t, err)
	req.Header.Set("Content-Range", contentRange)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Range")
}

// The session is as strict as YouTube's: chunks in multiples of 256 KiB from where it
// stands, a total that does not change, and 308 with the Range it holds.
func TestYouTubeSessionRules(t *testing.T) {
	t.Parallel()
	f := NewYouTube(t)
	token, _ := f.IssueToken()
	session := startYouTubeUpload(t, f, token)
	const unit = 256 << 10

	status, rng := putYouTube(t, session, "bytes */*", 0)
	require.Equal(t, http.StatusPermanentRedirect, status)
	require.Empty(t, rng, "nothing held: no Range")

	status, _ = putYouTube(t, session, "bytes 0-999/*", 1000)
	require.Equal(t, http.StatusBadRequest, status, "not the last chunk, and not a multiple of 256 KiB")
	status, _ = putYouTube(t, session, "bytes 5-"+youtubeItoa(unit+4)+"/*", unit)
	require.Equal(t, http.StatusBadRequest, status, "not where the session stands")
	status, _ = putYouTube(t, session, "bytes 0-"+youtubeItoa(unit-1)+"/*", unit-1)
	require.Equal(t, http.StatusBadRequest, status, "Content-Length and Content-Range disagree")

	status, rng = putYouTube(t, session, "bytes 0-"+youtubeItoa(unit-1)+"/*", unit)
	require.Equal(t, http.StatusPermanentRedirect, status)
	require.Equal(t, "bytes=0-"+youtubeItoa(unit-1), rng)
	status, _ = putYouTube(t, session, "bytes "+youtubeItoa(unit)+"-"+youtubeItoa(unit+9)+"/"+youtubeItoa(unit+10), 10)
	require.Equal(t, http.StatusCreated, status, "the last chunk may be short")
	videos := f.Videos()
	require.Len(t, videos, 1)
	require.Equal(t, int64(unit+10), videos[0].Size)
	require.Equal(t, "private", videos[0].PrivacyStatus)

	// Asked again, the completed session names the same video.
	status, _ = putYouTube(t, session, "bytes */"+youtubeItoa(unit+10), 0)
	require.Equal(t, http.StatusCreated, status)
	require.Len(t, f.Videos(), 1)

	f.ExpireSessions()
	status, _ = putYouTube(t, session, "bytes */*", 0)
	require.Equal(t, http.StatusNotFound, status)
}

// The consent needs PKCE and both scopes, and only offline access gets a refresh token.
func TestYouTubeConsent(t *testing.T) {
	t.Parallel()
	f := NewYouTube(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{
		"client_id": {f.ClientID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"},
		"scope": {youtubeScopeUpload + " " + youtubeScopeReadonly}, "state": {"s"},
	}
	resp, err := noFollow.Get(f.URL + "/o/oauth2/v2/auth?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "no PKCE challenge")

	q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	q.Set("code_challenge_method", "S256")
	resp, err = noFollow.Get(f.URL + "/o/oauth2/v2/auth?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	// RFC 7636's example verifier for that challenge.
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {"https://app.example/cb"},
		"code_verifier": {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}, "client_id": {f.ClientID}, "client_secret": {f.ClientSecret},
	}
	tok, err := http.PostForm(f.URL+"/token", form)
	require.NoError(t, err)
	defer tok.Body.Close()
	require.Equal(t, http.StatusOK, tok.StatusCode)
	var body map[string]any
	require.NoError(t, json.NewDecoder(tok.Body).Decode(&body))
	require.NotEmpty(t, body["access_token"])
	require.NotContains(t, body, "refresh_token", "no access_type=offline, no refresh token")
}

func youtubeItoa(n int) string { return strconv.Itoa(n) }
