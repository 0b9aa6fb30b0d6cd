package metagraph

// Threads and Instagram tokens work alike (each platform's oauth.go says where they
// differ): the code is traded for a short-lived token, that at once for a long-lived one
// (GET {api}/access_token?grant_type=<exchange grant>&client_secret&access_token), and the
// long-lived one refreshes itself while it is valid (GET {api}/refresh_access_token?
// grant_type=<refresh grant>&access_token). On these Graph token endpoints a 5xx, 429, 408,
// a rate-limit code or no answer is Transient; code 101 or a 401 the operator's app
// (InvalidCredentials); on a refresh code 190 is the account's token dying (TokenRejected);
// anything else Permanent, naming Graph's code.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// Token is what the token endpoints grant. Data is Instagram's code exchange as Meta's docs
// show it: the grant in a list.
type Token struct {
	AccessToken string  `json:"access_token"`
	UserID      ID      `json:"user_id"`
	TokenType   string  `json:"token_type"`
	ExpiresIn   int64   `json:"expires_in"`
	Data        []Token `json:"data"`
}

// TokenCall is one call to a Graph token endpoint.
type TokenCall struct {
	Method, URL string
	Params      url.Values
	// Refresh says a code 190 is the account's token dying.
	Refresh bool
	// Refused completes "<Name> refused …" for any other refusal ("the authorization code").
	Refused string
	// Secrets are kept out of every message.
	Secrets []string
}

// Token makes c and classifies its refusal (see the top).
func (g Graph) Token(ctx context.Context, c TokenCall) (Token, error) {
	r := g.Rules
	resp, data, err := g.Send(ctx, c.Method, c.URL, c.Params, c.Secrets)
	if err != nil {
		return Token{}, err
	}
	status := resp.StatusCode
	e, _ := Decode(data)
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || r.RateLimited(e.Code):
		return Token{}, platform.Errorf(platform.Transient, status, "%s' token endpoint failed", r.Name)
	case e.Code == 101 || status == http.StatusUnauthorized:
		return Token{}, platform.Errorf(platform.InvalidCredentials, status, "%s refused this server's app credentials (%s)", r.Name, r.Env+platform.SettingClientID)
	case c.Refresh && e.Code == CodeTokenInvalid:
		return Token{}, platform.Errorf(platform.TokenRejected, status, "%s refused the account's token (expired or revoked): connect the account again", r.Name)
	case status < 200 || status > 299:
		return Token{}, platform.Errorf(platform.Permanent, status, "%s refused %s (Graph error code %d)", r.Name, c.Refused, e.Code)
	}
	var out Token
	if err := json.Unmarshal(data, &out); err != nil {
		return Token{}, platform.Errorf(platform.Transient, status, "%s' token endpoint sent an unreadable answer", r.Name)
	}
	return out, nil
}

// LongLived trades a short-lived token for a long-lived one with grantType
// (th_exchange_token, ig_exchange_token) on the API's host; refused completes the refusal.
func (g Graph) LongLived(ctx context.Context, app platform.OAuthApp, grantType, short, refused string) (Token, error) {
	return g.Token(ctx, TokenCall{
		Method: http.MethodGet, URL: strings.TrimSuffix(app.APIURL, "/") + "/access_token",
		Params:  url.Values{"grant_type": {grantType}, "client_secret": {app.ClientSecret}, "access_token": {short}},
		Refused: refused, Secrets: []string{short, app.ClientSecret},
	})
}

// Refresh renews a long-lived token with itself and grantType (th_refresh_token,
// ig_refresh_token).
func (g Graph) Refresh(ctx context.Context, app platform.OAuthApp, grantType, token string) (Token, error) {
	if token == "" {
		return Token{}, platform.Errorf(platform.TokenRejected, 0, "%s: the account has no access token: connect it again", g.Rules.Name)
	}
	return g.Token(ctx, TokenCall{
		Method: http.MethodGet, URL: strings.TrimSuffix(app.APIURL, "/") + "/refresh_access_token",
		Params:  url.Values{"grant_type": {grantType}, "access_token": {token}},
		Refresh: true, Refused: "to refresh the account's token", Secrets: []string{token, app.ClientSecret},
	})
}

// Grant is a long-lived token as the account stores it, with the user id under keyUserID.
func (g Graph) Grant(t Token, keyUserID, userID string) (platform.Grant, error) {
	if t.AccessToken == "" {
		return platform.Grant{}, platform.Errorf(platform.Transient, 0, "%s' token endpoint granted no access token", g.Rules.Name)
	}
	out := platform.Grant{Access: t.AccessToken, Extra: platform.Credentials{}}
	if t.ExpiresIn > 0 {
		out.Expiry = g.now()().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if userID != "" {
		out.Extra[keyUserID] = userID
	}
	return out, nil
}
