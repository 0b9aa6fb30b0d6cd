package youtube

// YouTube's accounts connect through Google's OAuth 2.0 authorization-code flow, which is
// standard enough for the generic flow (package platform/oauth) to run unchanged: no hook.
//
//   - The consent screen (accounts.google.com/o/oauth2/v2/auth) takes PKCE (S256), the
//     scopes youtube.upload (to publish) and youtube.readonly (to read the channel), and
//     access_type=offline&prompt=consent (OAuth.AuthParams): without offline access Google
//     grants no refresh token, and without prompt=consent a user who consented before
//     gets none on a reconnect.
//   - The token endpoint (POST oauth2.googleapis.com/token) takes the app's client id and
//     secret in the form body. Access tokens live an hour. Google usually does not rotate
//     the refresh token: a refresh answers without one, and the old one is kept (the
//     standard path does so). A revoked or expired refresh token is refused with
//     invalid_grant: TokenRejected, and only that; invalid_client is the operator's app.
//
// The profile is the user's channel: GET {api}/youtube/v3/channels?part=snippet&mine=true
// → {items: [{id, snippet: {title, customUrl, thumbnails: {default: {url}}}}]}. The
// platform user id is the channel id (UC…), the username its handle (customUrl without
// the @, or the id for a channel without one), the display name its title. A Google
// account without a channel has no items: it cannot upload, and connecting it is refused
// with a message that says to create the channel first.

import (
	"context"
	"net/http"

	"github.com/octopost/octopost/service/platform"
)

const (
	env             = "OCTOPOST_YOUTUBE"
	defaultAuthURL  = "https://accounts.google.com/o/oauth2/v2/auth"
	defaultTokenURL = "https://oauth2.googleapis.com/token"
	defaultAPIURL   = "https://www.googleapis.com"

	// SettingAPIURL is Google's API base, without a path: /youtube/v3/… and
	// /upload/youtube/v3/… are appended.
	SettingAPIURL = env + platform.SettingAPIURL
)

var oauthFlow = &platform.OAuth{
	Env:        env,
	Scopes:     []string{"https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.readonly"},
	PKCE:       true,
	AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	Profile:    Profile,
}

// Profile returns the YouTube channel whose access token this is: the adapter's own check
// of a token, so both ways of connecting read and classify it alike.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	p, _, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: accessToken})
	return p, err
}
