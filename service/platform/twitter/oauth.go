package twitter

// X's accounts connect through OAuth 2.0's authorization-code flow with PKCE (S256),
// as a confidential client: the token endpoint takes the app's client id and secret as
// HTTP Basic auth. offline.access is what gets a refresh token; X rotates it on every
// refresh. Once the code is exchanged, GET /2/users/me with the user's token says who
// the account is.

import (
	"context"
	"net/http"

	"github.com/octopost/octopost/service/platform"
)

const (
	env             = "OCTOPOST_TWITTER"
	defaultAuthURL  = "https://x.com/i/oauth2/authorize"
	defaultTokenURL = "https://api.x.com/2/oauth2/token"
	defaultAPIURL   = "https://api.x.com"

	// SettingAPIURL is X's API base, without a version path (/2/… is appended).
	SettingAPIURL = env + platform.SettingAPIURL
)

var oauthFlow = &platform.OAuth{
	Env:       env,
	Scopes:    []string{"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"},
	PKCE:      true,
	BasicAuth: true,
	Profile:   Profile,
}

// Profile returns the X user whose access token this is: the adapter's own check of a
// token (GET {api}/2/users/me), so both ways of connecting read and classify it alike.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	p, _, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: accessToken})
	return p, err
}
