package platforms_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/platforms"
)

// TestEveryConsentCanBeRefused: for each OAuth platform, the consent screen its fake
// serves, reached with the authorization URL Octopost builds from the platform's Spec,
// sends a user who refuses back to the callback with the platform's own error code and
// the state, and no code (the service's handling of that answer is tested once, in
// service/oauth_test.go).
func TestEveryConsentCanBeRefused(t *testing.T) {
	t.Parallel()
	x, li, th, ig := fake.NewTwitterOAuth(t), fake.NewLinkedIn(t), fake.NewThreads(t), fake.NewInstagram(t)
	fb, tt, yt := fake.NewFacebook(t), fake.NewTikTok(t), fake.NewYouTube(t)
	for _, tc := range []struct {
		platform, clientID, authURL, code string
		deny                              func()
	}{
		{"twitter", x.ClientID, x.URL + "/i/oauth2/authorize", "access_denied", x.Deny},
		{"linkedin", li.ClientID, li.URL + "/oauth/v2/authorization", "user_cancelled_authorize", li.Deny},
		{"threads", th.ClientID, th.URL + "/oauth/authorize", "access_denied", th.Deny},
		{"instagram", ig.ClientID, ig.URL + "/oauth/authorize", "access_denied", ig.Deny},
		{"facebook", fb.ClientID, fb.URL + "/v21.0/dialog/oauth", "access_denied", fb.Deny},
		{"tiktok", tt.ClientKey, tt.URL + "/v2/auth/authorize/", "access_denied", tt.Deny},
		{"youtube", yt.ClientID, yt.URL + "/o/oauth2/v2/auth", "access_denied", yt.Deny},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			spec, ok := platforms.All.Lookup(tc.platform)
			require.True(t, ok)
			settings := map[string]string{
				spec.OAuth.Env + platform.SettingClientID: tc.clientID,
				spec.OAuth.Env + platform.SettingAuthURL:  tc.authURL,
			}
			c, err := oauth.New(spec, func(name string) string { return settings[name] }, http.DefaultClient, "https://octopost.example.com")
			require.NoError(t, err)
			tc.deny()

			browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := browser.Get(c.AuthorizationURL("the-state", oauth.NewVerifier()))
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusFound, resp.StatusCode)
			back, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, "/oauth/"+tc.platform+"/callback", back.Path)
			require.Equal(t, tc.code, back.Query().Get("error"))
			require.Equal(t, "the-state", back.Query().Get("state"))
			require.False(t, back.Query().Has("code"))
		})
	}
}
