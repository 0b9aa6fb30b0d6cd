package twitter

// X's accounts connect through OAuth 2.0's authorization-code flow with PKCE (S256),
// as a confidential client: the token endpoint takes the app's client id and secret as
// HTTP Basic auth. offline.access is what gets a refresh token; X rotates it on every
// refresh. Once the code is exchanged, GET /2/users/me with the user's token says who
// the account is.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

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

// maxProfileBody bounds what is read of a profile answer: a user object is well under it.
const maxProfileBody = 64 << 10

// Profile returns the X user whose access token this is: GET {api}/2/users/me.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimRight(apiURL, "/")+"/2/users/me?user.fields=profile_image_url", nil)
	if err != nil {
		return platform.Profile{}, platform.Errorf(platform.Permanent, 0, "X's API URL is not usable")
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := client.Do(req)
	if err != nil {
		return platform.Profile{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBody))
	if err != nil {
		return platform.Profile{}, err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return platform.Profile{}, platform.Errorf(platform.TokenRejected, resp.StatusCode, "X refused the access token")
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return platform.Profile{}, platform.Errorf(platform.Transient, resp.StatusCode, "X did not answer the profile request")
	case resp.StatusCode != http.StatusOK:
		return platform.Profile{}, platform.Errorf(platform.Permanent, resp.StatusCode, "X refused the profile request")
	}
	var out struct {
		Data struct {
			ID              string `json:"id"`
			Name            string `json:"name"`
			Username        string `json:"username"`
			ProfileImageURL string `json:"profile_image_url"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Data.ID == "" || out.Data.Username == "" {
		return platform.Profile{}, platform.Errorf(platform.Permanent, resp.StatusCode, "X answered the profile request with no user")
	}
	return platform.Profile{
		UserID: out.Data.ID, Username: out.Data.Username, DisplayName: out.Data.Name,
		AvatarURL: out.Data.ProfileImageURL,
	}, nil
}
