package fake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TwitterOAuth is a fake of X's OAuth 2.0 and of the profile call that follows it: the
// consent screen at /i/oauth2/authorize, the token endpoint at /2/oauth2/token and the
// user lookup at /2/users/me, all on one server (the real ones are on x.com and
// api.x.com; Octopost takes each as a setting).
//
// It is as strict as X: the consent screen requires response_type=code, the app's
// client_id, a redirect_uri, scopes, a state and a PKCE S256 challenge; the token endpoint
// requires the app's id and secret as HTTP Basic auth (X's confidential clients), and a
// code used once only, for the redirect_uri and the code_verifier it was issued for. The
// consent screen "consents" at once by redirecting (302) to redirect_uri with code and
// state, or with error=access_denied after Deny.
//
// The refresh grant (grant_type=refresh_token) rotates as X does: each refresh token works
// once, the answer carries a new one, and a spent, revoked or unknown one is refused with
// 400 invalid_grant. FailRefreshes makes the next refreshes fail with a 503 instead,
// before the refresh token is looked at, as an outage would.
type TwitterOAuth struct {
	URL          string
	ClientID     string
	ClientSecret string
	User         TwitterUser
	// OnToken, when set, is told each access token issued, so that another fake can
	// accept it: Twitter.AcceptToken, for X's API on a fake of its own. Set it before the
	// first exchange.
	OnToken func(accessToken string)

	srv *httptest.Server

	mu     sync.Mutex
	deny   bool
	codes  map[string]twitterGrant // unused codes
	tokens map[string]bool         // access tokens issued
	// Exchanges counts the token requests that issued a token.
	exchanges int
	refresh   map[string]bool // refresh tokens issued and not yet spent
	refreshes int             // refresh grants that issued a token
	spent     int             // refresh grants refused with a spent or unknown token
	failNext  int             // refreshes still to fail with a 503
}

// TwitterUser is the X user who consents.
type TwitterUser struct {
	ID, Name, Username, ProfileImageURL string
}

type twitterGrant struct {
	redirectURI, challenge string
}

// NewTwitterOAuth starts the fake, stopped when the test ends.
func NewTwitterOAuth(t testing.TB) *TwitterOAuth {
	f := &TwitterOAuth{
		ClientID: "fake-x-client", ClientSecret: "fake-x-secret",
		User: TwitterUser{
			ID: "1460721089839423488", Name: "Octo Poster", Username: "octoposter",
			ProfileImageURL: "https://pbs.twimg.com/profile_images/1/octo_normal.jpg",
		},
		codes: map[string]twitterGrant{}, tokens: map[string]bool{}, refresh: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /i/oauth2/authorize", f.authorize)
	mux.HandleFunc("POST /2/oauth2/token", f.token)
	mux.HandleFunc("GET /2/users/me", f.me)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Deny makes the user refuse consent from now on.
func (f *TwitterOAuth) Deny() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = true
}

// Exchanges returns how many codes were exchanged for tokens.
func (f *TwitterOAuth) Exchanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges
}

func (f *TwitterOAuth) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != f.ClientID:
		http.Error(w, "Something went wrong: unknown client_id", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "Something went wrong: bad redirect_uri", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("scope") == "" || q.Get("state") == "" ||
		q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "Something went wrong: missing or bad parameters", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	f.mu.Lock()
	if f.deny {
		back.Set("error", "access_denied")
	} else {
		code := randomToken()
		f.codes[code] = twitterGrant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		back.Set("code", code)
	}
	f.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *TwitterOAuth) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != f.ClientID || secret != f.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "unauthorized_client", "error_description": "Missing valid authorization header",
		})
		return
	}
	if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") == "refresh_token" {
		f.refreshGrant(w, r.PostForm.Get("refresh_token"))
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_request", "error_description": "Value passed for the grant type was invalid.",
		})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	code := r.PostForm.Get("code")
	grant, ok := f.codes[code]
	delete(f.codes, code) // a code is good for one try
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || grant.redirectURI != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != grant.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_request", "error_description": "Value passed for the authorization code was invalid.",
		})
		return
	}
	f.exchanges++
	f.grant(w)
}

// grant issues an access token and a refresh token; f.mu is held.
func (f *TwitterOAuth) grant(w http.ResponseWriter) {
	access, refresh := randomToken(), randomToken()
	f.tokens[access] = true
	f.refresh[refresh] = true
	if f.OnToken != nil {
		f.OnToken(access)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "bearer", "expires_in": 7200, "access_token": access,
		"scope": "tweet.read tweet.write users.read offline.access media.write", "refresh_token": refresh,
	})
}

// refreshGrant answers grant_type=refresh_token, spending the refresh token.
func (f *TwitterOAuth) refreshGrant(w http.ResponseWriter, refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"title": "Service Unavailable", "type": "about:blank", "status": 503, "detail": "Service Unavailable",
		})
		return
	}
	if !f.refresh[refresh] {
		f.spent++
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_grant", "error_description": "Value passed for the token was invalid.",
		})
		return
	}
	delete(f.refresh, refresh) // rotated: the old one dies
	f.refreshes++
	f.grant(w)
}

// IssueRefreshToken makes a refresh token the fake accepts once, as if an earlier
// exchange had granted it.
func (f *TwitterOAuth) IssueRefreshToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	refresh := randomToken()
	f.refresh[refresh] = true
	return refresh
}

// RevokeRefreshToken makes refresh, and any later use of it, refused with invalid_grant,
// as when the user revokes the app.
func (f *TwitterOAuth) RevokeRefreshToken(refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.refresh, refresh)
}

// FailRefreshes makes the next n refreshes fail with a 503.
func (f *TwitterOAuth) FailRefreshes(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = n
}

// Refreshes returns how many refreshes issued a token, and how many were refused for a
// spent, revoked or unknown refresh token.
func (f *TwitterOAuth) Refreshes() (issued, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.spent
}

func (f *TwitterOAuth) me(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	valid := f.tokens[token]
	f.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized",
		})
		return
	}
	data := map[string]string{"id": f.User.ID, "name": f.User.Name, "username": f.User.Username}
	if r.URL.Query().Get("user.fields") == "profile_image_url" {
		data["profile_image_url"] = f.User.ProfileImageURL
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// randomToken returns an unguessable code or token.
func randomToken() string { return rand.Text() }
