package linkedin

// LinkedIn's members connect through OAuth 2.0's authorization-code flow ("Sign In with
// LinkedIn using OpenID Connect" and "Share on LinkedIn" products): the consent screen
// at www.linkedin.com/oauth/v2/authorization asks for openid, profile and
// w_member_social (space-separated), and the token endpoint takes the code with the
// app's client id and secret in the form body. LinkedIn takes no PKCE from web apps, so
// none is sent; both steps are the standard ones (package platform/oauth).
//
// An access token lasts 60 days. LinkedIn grants refresh tokens (a year, counted from
// the first consent, not renewed by a refresh) only to apps it has approved for them;
// when the token answer carries refresh_token, the standard refresh grant renews the
// access token before it expires, and LinkedIn's invalid_grant for a refresh token that
// expired or was revoked disconnects the account. Without a refresh token the account
// publishes until LinkedIn answers 401; that TokenRejected marks it inactive, and the
// member connects it again.
//
// Who the token belongs to is OpenID Connect's userinfo (GET {api}/v2/userinfo):
// {sub, name, given_name, family_name, picture, email?}. sub is the member's id, the
// {id} of the author URN urn:li:person:{id} that every post names. LinkedIn has no public
// handle, so an account's username is that URN: stable, unique, and what LinkedIn's own
// API calls the member; its display name is name and its avatar picture. The id is kept
// with the tokens (KeyPersonID), so publishing needs no profile read.

import (
	"context"
	"net/http"

	"github.com/octopost/octopost/service/platform"
)

const (
	env             = "OCTOPOST_LINKEDIN"
	defaultAuthURL  = "https://www.linkedin.com/oauth/v2/authorization"
	defaultTokenURL = "https://www.linkedin.com/oauth/v2/accessToken"
	defaultAPIURL   = "https://api.linkedin.com"

	// SettingAPIURL is LinkedIn's API base, without a path (/v2/userinfo, /rest/posts
	// are appended).
	SettingAPIURL = env + platform.SettingAPIURL
)

var oauthFlow = &platform.OAuth{
	Env:      env,
	Scopes:   []string{"openid", "profile", "w_member_social"},
	Profile:  Profile,
	Accounts: accounts,
}

// Profile returns the LinkedIn member whose access token this is: the adapter's own
// check of a token (GET {api}/v2/userinfo), so both ways of connecting read and classify
// it alike.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	p, _, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: accessToken})
	return p, err
}

// accounts is the one account a consent connects, with the member's id kept next to the
// tokens: the author URN of every post it publishes.
func accounts(ctx context.Context, client *http.Client, apiURL string, g platform.Grant) ([]platform.Connected, error) {
	p, creds, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: g.Access})
	if err != nil {
		return nil, err
	}
	extra := platform.Credentials{}
	for k, v := range g.Extra {
		extra[k] = v
	}
	extra[KeyPersonID] = creds[KeyPersonID]
	g.Extra = extra
	return []platform.Connected{{Profile: p, Grant: g}}, nil
}
