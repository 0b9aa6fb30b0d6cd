package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// LinkedIn is a fake of LinkedIn for one member (Member), on one server: its OAuth 2.0
// (the consent screen at /oauth/v2/authorization and the token endpoint at
// /oauth/v2/accessToken, on www.linkedin.com for real), OpenID Connect's userinfo
// (GET /v2/userinfo), the versioned Posts API (POST /rest/posts), the Images API
// (POST /rest/images?action=initializeUpload) and the upload URLs it hands out
// (PUT /dms-uploads/{id}, on www.linkedin.com for real). It is as strict as LinkedIn:
//
//   - the consent screen requires response_type=code, the app's client_id, an absolute
//     redirect_uri, a space-separated scope of scopes LinkedIn knows, and a state; it
//     "consents" at once by redirecting (302) to redirect_uri with code and state, or
//     with error=user_cancelled_authorize after Deny;
//   - the token endpoint takes a form with client_id and client_secret in the body (a
//     missing one is 400 invalid_request, a wrong one 401 invalid_client), a code good
//     for one try for the redirect_uri it was issued for (else 400 invalid_request), and
//     answers {access_token, expires_in (60 days, or AccessTTL), scope, token_type}, plus
//     refresh_token and refresh_token_expires_in when the app is approved for them
//     (RefreshTokens). A refresh token lasts a year from the consent, is not rotated (the
//     same one comes back, with less time left), and a revoked, expired or unknown one is
//     400 invalid_grant; FailRefreshes makes the next refreshes 503s;
//   - API calls need a Bearer token the fake issued and that has not expired or been
//     revoked (else 401 {status, serviceErrorCode, code, message}); userinfo needs the
//     openid scope and gives the name and picture only with profile; posting and images
//     need w_member_social (else 403 ACCESS_DENIED);
//   - /rest/… calls need LinkedIn-Version (400 without it; 426 for a version outside
//     OldestVersion..NewestVersion, as a retired one) and X-Restli-Protocol-Version:
//     2.0.0, and a JSON body with only the fields LinkedIn knows (else 422);
//   - a post's author must be the token's member (urn:li:person:{sub}, else 403), with a
//     visibility, a distribution (feedDistribution, targetEntities,
//     thirdPartyDistributionChannels) and lifecycleState PUBLISHED; its content is one
//     image (media) or 2 to 20 (multiImage), each registered by this member and uploaded;
//     the same commentary twice from one member is 422 DUPLICATE_POST;
//   - the commentary is little text: a backslash escapes the next character, and an
//     unescaped reserved character (\ | { } @ [ ] ( ) < > # * _ ~) cuts the text there,
//     as LinkedIn shows it (LinkedInPost.Text); more than 3000 characters shown is a 422;
//   - success is 201 with an empty body and the post's URN in x-restli-id
//     (urn:li:share:… for text, urn:li:ugcPost:… with images);
//   - a video is registered with POST /rest/videos?action=initializeUpload {owner,
//     fileSizeBytes (75 KB to 500 MB), uploadCaptions, uploadThumbnail}, answered with
//     upload instructions of VideoPartSize bytes each; each part is PUT (exactly its
//     length, else 400) and answered with an ETag; finalizeUpload needs every part and
//     their ETags in order; GET /rest/videos/{urn} then says PROCESSING for
//     VideoProcessingPolls reads and AVAILABLE after (PROCESSING_FAILED, with a reason,
//     for a file that is not MP4 or after FailVideoProcessing); a post may name a video
//     (content.media) only once it is AVAILABLE;
//   - a scripted 429 carries no Retry-After, as LinkedIn's usually does not.
//
// Posts lists what was published; Calls counts requests by path.
type LinkedIn struct {
	URL          string
	ClientID     string
	ClientSecret string
	Member       LinkedInMember
	// Token is a valid access token for Member with every scope Octopost asks for, for
	// tests that publish without going through the consent screen.
	Token string
	// RefreshTokens is true for an app LinkedIn approved for programmatic refresh tokens.
	RefreshTokens bool
	// AccessTTL is how long an access token lasts (LinkedIn's 60 days when zero).
	AccessTTL time.Duration
	// VideoPartSize is the size of a video upload's parts (LinkedIn's 4 MiB when zero).
	VideoPartSize int64
	// VideoProcessingPolls is how many status reads a finalized video stays PROCESSING.
	VideoProcessingPolls int
	// OldestVersion and NewestVersion bound the LinkedIn-Version values served
	// (SetVersions changes them once the fake serves).
	OldestVersion, NewestVersion string

	srv *httptest.Server

	scriptedHTTP
	now           func() time.Time
	deny          bool
	codes         map[string]linkedinCode
	tokens        map[string]*linkedinToken
	refresh       map[string]time.Time // refresh tokens and when they expire
	exchanges     int
	refreshes     int
	refused       int
	failRefreshes int
	nextID        int64
	posts         []LinkedInPost
	images        map[string]*LinkedInImage // by URN
	uploads       map[string]string         // upload id → image URN
	videos        map[string]*LinkedInVideo // by URN
	videoParts    map[string]*linkedinPart  // upload id → a part of a video
	videoFailure  string                    // the reason the next finalized video fails
}

// LinkedInVideo is a video registered with the fake.
type LinkedInVideo struct {
	URN      string
	Owner    string
	Size     int64 // as initializeUpload declared it
	Received int64 // bytes of its parts received
	Parts    int
	Status   string // WAITING_UPLOAD, PROCESSING, AVAILABLE, PROCESSING_FAILED

	reason string
	head   []byte // the first bytes, for the container check
	etags  []string
	polls  int
}

type linkedinPart struct {
	video    string
	index    int
	size     int64
	uploaded bool
}

// LinkedInMember is the LinkedIn member who consents, as userinfo describes them.
type LinkedInMember struct {
	Sub, Name, GivenName, FamilyName, Picture string
}

// LinkedInImage is an image registered with the fake.
type LinkedInImage struct {
	URN         string
	Owner       string
	Uploaded    bool
	ContentType string
	Size        int
	AltText     string // as a post attached it
}

// LinkedInPost is a post the fake has published.
type LinkedInPost struct {
	URN              string
	Author           string
	Commentary       string // as sent, in little text
	Text             string // as LinkedIn shows it
	Visibility       string
	FeedDistribution string
	Images           []LinkedInImage // attached, in order
	Video            string          // the video's URN, if it carries one
	Authorization    string          // the Authorization header it was posted with
	Version          string          // its LinkedIn-Version
}

type linkedinCode struct {
	redirectURI string
	scopes      []string
}

type linkedinToken struct {
	scopes  []string
	expires time.Time
}

// linkedinScopes are the scopes the fake's consent screen knows.
var linkedinScopes = []string{"openid", "profile", "email", "w_member_social"}

// linkedinLittleText are little text's reserved characters.
const linkedinLittleText = `\|{}@[]()<>#*_~`

const (
	linkedinAccessTTL  = 60 * 24 * time.Hour
	linkedinRefreshTTL = 365 * 24 * time.Hour
	linkedinMaxText    = 3000
	linkedinMaxAlt     = 4086
	linkedinMaxImage   = 36 << 20
)

// NewLinkedIn starts the fake, stopped when the test ends.
func NewLinkedIn(t testing.TB) *LinkedIn {
	t.Helper()
	f := &LinkedIn{
		ClientID: "fake-linkedin-client", ClientSecret: "fake-linkedin-secret",
		Member: LinkedInMember{
			Sub: "782bbtaQ", Name: "Octo Poster", GivenName: "Octo", FamilyName: "Poster",
			Picture: "https://media.licdn.com/dms/image/v2/C4E03AQ/profile-displayphoto-shrink_100_100/0/1",
		},
		OldestVersion: "202512", NewestVersion: "202611",
		now:    time.Now,
		codes:  map[string]linkedinCode{},
		tokens: map[string]*linkedinToken{}, refresh: map[string]time.Time{},
		nextID: 7270000000000000000,
		images: map[string]*LinkedInImage{}, uploads: map[string]string{},
		videos: map[string]*LinkedInVideo{}, videoParts: map[string]*linkedinPart{},
		VideoProcessingPolls: 1,
	}
	f.Token = randomToken()
	f.tokens[f.Token] = &linkedinToken{scopes: []string{"openid", "profile", "w_member_social"}, expires: time.Now().Add(linkedinAccessTTL)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/v2/authorization", f.authorize)
	mux.HandleFunc("POST /oauth/v2/accessToken", f.token)
	mux.HandleFunc("GET /v2/userinfo", f.userinfo)
	mux.HandleFunc("POST /rest/posts", f.rest("w_member_social", f.createPost))
	mux.HandleFunc("POST /rest/images", f.rest("w_member_social", f.initializeUpload))
	mux.HandleFunc("POST /rest/videos", f.rest("w_member_social", f.videoAction))
	mux.HandleFunc("GET /rest/videos/{urn}", f.rest("w_member_social", f.videoStatus))
	mux.HandleFunc("PUT /dms-uploads/{id}", f.upload)
	f.srv = httptest.NewServer(f.serve(mux, f.fail))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Deny makes the member refuse consent from now on.
func (f *LinkedIn) Deny() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = true
}

// SetNow sets the fake's clock, which tokens expire by.
func (f *LinkedIn) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// SetDelay holds every response back for d after the request has been served.
func (f *LinkedIn) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// FailNext answers the next n requests to path ("" for any path) with status and
// LinkedIn's error body for it.
func (f *LinkedIn) FailNext(path string, n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures.add(path, n, status)
}

// SetVersions sets the LinkedIn-Version values served: a version outside oldest..newest
// is answered 426, as a retired one.
func (f *LinkedIn) SetVersions(oldest, newest string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.OldestVersion, f.NewestVersion = oldest, newest
}

// FailRefreshes makes the next n refresh grants fail with a 503.
func (f *LinkedIn) FailRefreshes(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failRefreshes = n
}

// RevokeToken makes an access token invalid from now on (the member revoked the app).
func (f *LinkedIn) RevokeToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, token)
}

// RevokeApp makes every token issued so far, access and refresh, invalid from now on, as
// when the member removes the app in LinkedIn's settings.
func (f *LinkedIn) RevokeApp() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
	clear(f.refresh)
}

// RevokeRefreshToken makes a refresh token refused with invalid_grant from now on.
func (f *LinkedIn) RevokeRefreshToken(refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.refresh, refresh)
}

// IssueRefreshToken makes a refresh token the fake accepts for a year, as if a consent
// had granted it.
func (f *LinkedIn) IssueRefreshToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := randomToken()
	f.refresh[r] = f.now().Add(linkedinRefreshTTL)
	return r
}

// Exchanges returns how many codes were exchanged for tokens.
func (f *LinkedIn) Exchanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges
}

// Refreshes returns how many refresh grants issued a token, and how many were refused
// with invalid_grant.
func (f *LinkedIn) Refreshes() (issued, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.refused
}

// Posts returns the posts published so far, oldest first.
func (f *LinkedIn) Posts() []LinkedInPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.posts)
	for i := range out {
		out[i].Images = slices.Clone(out[i].Images)
	}
	return out
}

// Images returns how many images were registered, and how many of them uploaded.
func (f *LinkedIn) Images() (registered, uploaded int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, img := range f.images {
		registered++
		if img.Uploaded {
			uploaded++
		}
	}
	return registered, uploaded
}

// FailVideoProcessing makes the next video finalized fail its processing with reason.
func (f *LinkedIn) FailVideoProcessing(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.videoFailure = reason
}

// Videos returns the videos registered so far.
func (f *LinkedIn) Videos() []LinkedInVideo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []LinkedInVideo
	for _, v := range f.videos {
		c := *v
		c.head, c.etags = nil, nil
		out = append(out, c)
	}
	return out
}

// Calls returns how many requests were made to path, failed ones included.
func (f *LinkedIn) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// PersonURN is the fake member's author URN.
func (f *LinkedIn) PersonURN() string { return "urn:li:person:" + f.Member.Sub }

// linkedinError writes LinkedIn's error body.
func linkedinError(w http.ResponseWriter, status, serviceCode int, code, message string) {
	body := map[string]any{"status": status, "message": message}
	if serviceCode != 0 {
		body["serviceErrorCode"] = serviceCode
	}
	if code != "" {
		body["code"] = code
	}
	writeJSON(w, status, body)
}

// linkedinOAuthError writes the token endpoint's error body (RFC 6749 §5.2).
func linkedinOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func (f *LinkedIn) fail(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusUnauthorized:
		linkedinError(w, status, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
	case http.StatusForbidden:
		linkedinError(w, status, 100, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260701")
	case http.StatusTooManyRequests:
		linkedinError(w, status, 101, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")
	case http.StatusUnprocessableEntity:
		linkedinError(w, status, 0, "UNPROCESSABLE_ENTITY", "Unprocessable Entity")
	default:
		linkedinError(w, status, 0, "", http.StatusText(status))
	}
}

func (f *LinkedIn) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	scopes := strings.Split(q.Get("scope"), " ")
	known := !slices.Contains(scopes, "") && !slices.ContainsFunc(scopes, func(s string) bool { return !slices.Contains(linkedinScopes, s) })
	switch {
	case q.Get("client_id") != f.ClientID:
		http.Error(w, "The passed in client_id is invalid", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "The redirect_uri does not match the registered value", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("state") == "" || !known:
		http.Error(w, "Bad request: missing or invalid parameters (response_type, scope, state)", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	f.mu.Lock()
	if f.deny {
		back.Set("error", "user_cancelled_authorize")
		back.Set("error_description", "The user cancelled the authorization")
	} else {
		code := randomToken()
		f.codes[code] = linkedinCode{redirectURI: q.Get("redirect_uri"), scopes: scopes}
		back.Set("code", code)
	}
	f.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *LinkedIn) token(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); ct != "application/x-www-form-urlencoded" {
		linkedinOAuthError(w, http.StatusBadRequest, "invalid_request", "The request must be form-encoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		linkedinOAuthError(w, http.StatusBadRequest, "invalid_request", "The request could not be read")
		return
	}
	form := r.PostForm
	for _, p := range []string{"grant_type", "client_id", "client_secret"} {
		if form.Get(p) == "" {
			linkedinOAuthError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("A required parameter %q is missing", p))
			return
		}
	}
	if form.Get("client_id") != f.ClientID || form.Get("client_secret") != f.ClientSecret {
		linkedinOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	switch form.Get("grant_type") {
	case "authorization_code":
		f.mu.Lock()
		defer f.mu.Unlock()
		code := form.Get("code")
		grant, ok := f.codes[code]
		delete(f.codes, code) // a code is good for one try
		if !ok || grant.redirectURI != form.Get("redirect_uri") {
			linkedinOAuthError(w, http.StatusBadRequest, "invalid_request",
				"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.")
			return
		}
		f.exchanges++
		refresh := ""
		if f.RefreshTokens {
			refresh = randomToken()
			f.refresh[refresh] = f.now().Add(linkedinRefreshTTL)
		}
		f.grant(w, grant.scopes, refresh)
	case "refresh_token":
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.failRefreshes > 0 {
			f.failRefreshes--
			linkedinError(w, http.StatusServiceUnavailable, 0, "", "Service Unavailable")
			return
		}
		refresh := form.Get("refresh_token")
		expires, ok := f.refresh[refresh]
		if !ok || !f.now().Before(expires) {
			f.refused++
			linkedinOAuthError(w, http.StatusBadRequest, "invalid_grant",
				"The provided authorization grant or refresh token is invalid, expired or revoked.")
			return
		}
		f.refreshes++
		f.grant(w, []string{"openid", "profile", "w_member_social"}, refresh)
	default:
		linkedinOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported")
	}
}

// grant issues an access token with scopes, and answers with it and refresh (which is
// not rotated) if any; f.mu is held.
func (f *LinkedIn) grant(w http.ResponseWriter, scopes []string, refresh string) {
	ttl := f.AccessTTL
	if ttl <= 0 {
		ttl = linkedinAccessTTL
	}
	access := randomToken()
	f.tokens[access] = &linkedinToken{scopes: scopes, expires: f.now().Add(ttl)}
	body := map[string]any{
		"access_token": access, "expires_in": int(ttl.Seconds()), "token_type": "Bearer",
		"scope": strings.Join(scopes, ","), // LinkedIn lists them comma-separated here
	}
	if refresh != "" {
		body["refresh_token"] = refresh
		body["refresh_token_expires_in"] = int(f.refresh[refresh].Sub(f.now()).Seconds())
	}
	writeJSON(w, http.StatusOK, body)
}

// bearer returns the request's valid token, or writes LinkedIn's 401 and returns nil.
func (f *LinkedIn) bearer(w http.ResponseWriter, r *http.Request) *linkedinToken {
	token, isBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	tok, ok := f.tokens[token]
	expired := ok && !f.now().Before(tok.expires)
	f.mu.Unlock()
	switch {
	case !isBearer || !ok:
		linkedinError(w, http.StatusUnauthorized, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
		return nil
	case expired:
		linkedinError(w, http.StatusUnauthorized, 65601, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
		return nil
	}
	return tok
}

func (f *LinkedIn) userinfo(w http.ResponseWriter, r *http.Request) {
	tok := f.bearer(w, r)
	if tok == nil {
		return
	}
	if !slices.Contains(tok.scopes, "openid") {
		linkedinError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: userinfo.GET.NO_VERSION")
		return
	}
	body := map[string]any{"sub": f.Member.Sub}
	if slices.Contains(tok.scopes, "profile") {
		body["name"], body["given_name"], body["family_name"] = f.Member.Name, f.Member.GivenName, f.Member.FamilyName
		body["locale"] = map[string]string{"country": "US", "language": "en"}
		if f.Member.Picture != "" {
			body["picture"] = f.Member.Picture
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// rest wraps a /rest/… handler: a valid token with scope, and the versioned API's headers.
func (f *LinkedIn) rest(scope string, h func(w http.ResponseWriter, r *http.Request, version string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := f.bearer(w, r)
		if tok == nil {
			return
		}
		version := r.Header.Get("LinkedIn-Version")
		f.mu.Lock()
		oldest, newest := f.OldestVersion, f.NewestVersion
		f.mu.Unlock()
		switch {
		case version == "":
			linkedinError(w, http.StatusBadRequest, 0, "VERSION_MISSING",
				"A version must be present. Please specify a version by adding the LinkedIn-Version header.")
			return
		case len(version) != 6 || strings.Trim(version, "0123456789") != "":
			linkedinError(w, http.StatusBadRequest, 0, "INVALID_VERSION", "Invalid version format: "+version)
			return
		case version < oldest || version > newest:
			linkedinError(w, http.StatusUpgradeRequired, 0, "NONEXISTENT_VERSION", "Requested version "+version+" is not active")
			return
		case r.Header.Get("X-Restli-Protocol-Version") != "2.0.0":
			linkedinError(w, http.StatusBadRequest, 0, "", "X-Restli-Protocol-Version 2.0.0 is required for this resource")
			return
		case !slices.Contains(tok.scopes, scope):
			linkedinError(w, http.StatusForbidden, 100, "ACCESS_DENIED", "Not enough permissions to access: "+r.URL.Path)
			return
		}
		if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); r.Method != http.MethodGet && ct != "application/json" {
			linkedinError(w, http.StatusUnsupportedMediaType, 0, "", "Content-Type must be application/json")
			return
		}
		h(w, r, version)
	}
}

// linkedinDecode decodes a JSON body with only the fields v knows, else writes LinkedIn's 422.
func linkedinDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: the request body is not valid for this resource")
		return false
	}
	return true
}

type linkedinMedia struct {
	ID      string `json:"id"`
	AltText string `json:"altText"`
}

type linkedinPostRequest struct {
	Author       *string `json:"author"`
	Commentary   *string `json:"commentary"`
	Visibility   *string `json:"visibility"`
	Distribution *struct {
		FeedDistribution               string   `json:"feedDistribution"`
		TargetEntities                 []string `json:"targetEntities"`
		ThirdPartyDistributionChannels []string `json:"thirdPartyDistributionChannels"`
	} `json:"distribution"`
	Content *struct {
		Media      *linkedinMedia `json:"media"`
		MultiImage *struct {
			Images []linkedinMedia `json:"images"`
		} `json:"multiImage"`
	} `json:"content"`
	LifecycleState            *string         `json:"lifecycleState"`
	IsReshareDisabledByAuthor *bool           `json:"isReshareDisabledByAuthor"`
	ContainerEntity           string          `json:"containerEntity"`
	ReshareContext            json.RawMessage `json:"reshareContext"`
}

// renderLittleText is commentary as LinkedIn shows it: escapes undone, and the text cut
// at the first reserved character left unescaped.
func renderLittleText(commentary string) string {
	var b strings.Builder
	escaped := false
	for _, r := range commentary {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case strings.ContainsRune(linkedinLittleText, r):
			return b.String()
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (f *LinkedIn) createPost(w http.ResponseWriter, r *http.Request, version string) {
	var req linkedinPostRequest
	if !linkedinDecode(w, r, &req) {
		return
	}
	missing := func(field string) {
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /"+field+" :: field is required but not found and has no default value")
	}
	switch {
	case req.Author == nil:
		missing("author")
		return
	case req.Commentary == nil:
		missing("commentary")
		return
	case req.Visibility == nil:
		missing("visibility")
		return
	case req.Distribution == nil || req.Distribution.TargetEntities == nil || req.Distribution.ThirdPartyDistributionChannels == nil:
		missing("distribution")
		return
	case req.LifecycleState == nil:
		missing("lifecycleState")
		return
	case *req.Author != f.PersonURN():
		linkedinError(w, http.StatusForbidden, 100, "ACCESS_DENIED",
			"Unpermitted fields present in REQUEST_BODY: Data Processing Exception while processing fields [/author]")
		return
	case !slices.Contains([]string{"PUBLIC", "CONNECTIONS", "LOGGED_IN"}, *req.Visibility):
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /visibility :: invalid enum value "+*req.Visibility)
		return
	case !slices.Contains([]string{"MAIN_FEED", "NONE"}, req.Distribution.FeedDistribution):
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /distribution/feedDistribution :: invalid enum value")
		return
	case *req.LifecycleState != "PUBLISHED":
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /lifecycleState :: only PUBLISHED posts are created here")
		return
	}
	text := renderLittleText(*req.Commentary)
	if utf8.RuneCountInString(text) > linkedinMaxText {
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /commentary :: length exceeds 3000 characters")
		return
	}
	var media []linkedinMedia
	if c := req.Content; c != nil {
		switch {
		case (c.Media == nil) == (c.MultiImage == nil):
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: exactly one of media, multiImage is required")
			return
		case c.Media != nil:
			media = []linkedinMedia{*c.Media}
		case len(c.MultiImage.Images) < 2 || len(c.MultiImage.Images) > 20:
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content/multiImage/images :: a multi-image post takes 2 to 20 images")
			return
		default:
			media = c.MultiImage.Images
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	video := ""
	if len(media) == 1 && strings.HasPrefix(media[0].ID, "urn:li:video:") {
		v, ok := f.videos[media[0].ID]
		switch {
		case !ok || v.Owner != *req.Author:
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: video "+media[0].ID+" is not found")
			return
		case v.Status != "AVAILABLE":
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: video "+media[0].ID+" is not AVAILABLE ("+v.Status+")")
			return
		}
		video, media = v.URN, nil
	}
	var attached []LinkedInImage
	for _, m := range media {
		img, ok := f.images[m.ID]
		switch {
		case !ok || img.Owner != *req.Author:
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: image "+m.ID+" is not found")
			return
		case !img.Uploaded:
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: image "+m.ID+" is not AVAILABLE (WAITING_UPLOAD)")
			return
		case utf8.RuneCountInString(m.AltText) > linkedinMaxAlt:
			linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /content :: altText is longer than 4086 characters")
			return
		}
		a := *img
		a.AltText = m.AltText
		attached = append(attached, a)
	}
	for _, p := range f.posts {
		if p.Author == *req.Author && p.Commentary == *req.Commentary {
			linkedinError(w, http.StatusUnprocessableEntity, 0, "DUPLICATE_POST", "Content is a duplicate of "+p.URN)
			return
		}
	}
	f.nextID += 1 << 20
	kind := "share"
	if len(attached) > 0 || video != "" {
		kind = "ugcPost"
	}
	p := LinkedInPost{
		URN: "urn:li:" + kind + ":" + strconv.FormatInt(f.nextID, 10), Author: *req.Author,
		Commentary: *req.Commentary, Text: text, Visibility: *req.Visibility,
		FeedDistribution: req.Distribution.FeedDistribution, Images: attached, Video: video,
		Authorization: r.Header.Get("Authorization"), Version: version,
	}
	f.posts = append(f.posts, p)
	w.Header().Set("x-restli-id", p.URN)
	w.Header().Set("Location", "/rest/posts/"+url.PathEscape(p.URN))
	w.WriteHeader(http.StatusCreated) // no body
}

func (f *LinkedIn) initializeUpload(w http.ResponseWriter, r *http.Request, _ string) {
	if r.URL.Query().Get("action") != "initializeUpload" {
		linkedinError(w, http.StatusBadRequest, 0, "", "Unsupported action")
		return
	}
	var req struct {
		InitializeUploadRequest *struct {
			Owner string `json:"owner"`
		} `json:"initializeUploadRequest"`
	}
	if !linkedinDecode(w, r, &req) {
		return
	}
	if req.InitializeUploadRequest == nil || req.InitializeUploadRequest.Owner != f.PersonURN() {
		linkedinError(w, http.StatusForbidden, 100, "ACCESS_DENIED",
			"Unpermitted fields present in REQUEST_BODY: Data Processing Exception while processing fields [/initializeUploadRequest/owner]")
		return
	}
	f.mu.Lock()
	f.nextID++
	id := "D4E10AQ" + strconv.FormatInt(f.nextID, 36)
	urn := "urn:li:image:" + id
	f.images[urn] = &LinkedInImage{URN: urn, Owner: req.InitializeUploadRequest.Owner}
	f.uploads[id] = urn
	expires := f.now().Add(24 * time.Hour).UnixMilli()
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": expires, "uploadUrl": f.URL + "/dms-uploads/" + id, "image": urn,
	}})
}

// linkedinImageTypes are the image types LinkedIn takes.
var linkedinImageTypes = []string{"image/png", "image/jpeg", "image/gif"}

func (f *LinkedIn) upload(w http.ResponseWriter, r *http.Request) {
	if f.bearer(w, r) == nil {
		return
	}
	f.mu.Lock()
	urn, ok := f.uploads[r.PathValue("id")]
	part := f.videoParts[r.PathValue("id")]
	f.mu.Unlock()
	if part != nil {
		f.uploadPart(w, r, part)
		return
	}
	if !ok {
		linkedinError(w, http.StatusNotFound, 0, "", "Not Found")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, linkedinMaxImage))
	if err != nil {
		linkedinError(w, http.StatusRequestEntityTooLarge, 0, "", "The upload is too large")
		return
	}
	// LinkedIn looks at the bytes, not at what the client says they are.
	ct := http.DetectContentType(data)
	if !slices.Contains(linkedinImageTypes, ct) {
		linkedinError(w, http.StatusBadRequest, 0, "", "The uploaded file is not a supported image")
		return
	}
	f.mu.Lock()
	img := f.images[urn]
	img.Uploaded, img.ContentType, img.Size = true, ct, len(data)
	delete(f.uploads, r.PathValue("id")) // an upload URL is good once
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

const (
	linkedinVideoPart = 4 << 20
	linkedinMinVideo  = 75 << 10
	linkedinMaxVideo  = 500 << 20
)

func (f *LinkedIn) videoAction(w http.ResponseWriter, r *http.Request, _ string) {
	switch r.URL.Query().Get("action") {
	case "initializeUpload":
		f.initializeVideo(w, r)
	case "finalizeUpload":
		f.finalizeVideo(w, r)
	default:
		linkedinError(w, http.StatusBadRequest, 0, "", "Unsupported action")
	}
}

func (f *LinkedIn) initializeVideo(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InitializeUploadRequest *struct {
			Owner           string `json:"owner"`
			FileSizeBytes   *int64 `json:"fileSizeBytes"`
			UploadCaptions  bool   `json:"uploadCaptions"`
			UploadThumbnail bool   `json:"uploadThumbnail"`
		} `json:"initializeUploadRequest"`
	}
	if !linkedinDecode(w, r, &req) {
		return
	}
	in := req.InitializeUploadRequest
	switch {
	case in == nil || in.FileSizeBytes == nil:
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /initializeUploadRequest/fileSizeBytes :: field is required but not found and has no default value")
		return
	case in.Owner != f.PersonURN():
		linkedinError(w, http.StatusForbidden, 100, "ACCESS_DENIED",
			"Unpermitted fields present in REQUEST_BODY: Data Processing Exception while processing fields [/initializeUploadRequest/owner]")
		return
	case *in.FileSizeBytes < linkedinMinVideo || *in.FileSizeBytes > linkedinMaxVideo:
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /initializeUploadRequest/fileSizeBytes :: a video is 75 KB to 500 MB")
		return
	case in.UploadCaptions || in.UploadThumbnail:
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: captions and thumbnails are not modelled by this fake")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	partSize := f.VideoPartSize
	if partSize <= 0 {
		partSize = linkedinVideoPart
	}
	f.nextID++
	urn := "urn:li:video:C5505AQ" + strconv.FormatInt(f.nextID, 36)
	v := &LinkedInVideo{URN: urn, Owner: in.Owner, Size: *in.FileSizeBytes, Status: "WAITING_UPLOAD"}
	var instructions []map[string]any
	for first := int64(0); first < v.Size; first += partSize {
		last := min(first+partSize, v.Size) - 1
		id := randomToken()
		f.videoParts[id] = &linkedinPart{video: urn, index: len(instructions), size: last - first + 1}
		instructions = append(instructions, map[string]any{
			"uploadUrl": f.URL + "/dms-uploads/" + id, "firstByte": first, "lastByte": last,
		})
	}
	v.Parts = len(instructions)
	v.etags = make([]string, v.Parts)
	f.videos[urn] = v
	writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{
		"uploadUrlsExpireAt": f.now().Add(24 * time.Hour).UnixMilli(), "video": urn,
		"uploadInstructions": instructions, "uploadToken": "",
	}})
}

func (f *LinkedIn) uploadPart(w http.ResponseWriter, r *http.Request, part *linkedinPart) {
	// Read in a small buffer: the fake keeps the first bytes and the count, not the video.
	var head []byte
	var n int64
	buf := make([]byte, 32<<10)
	body := http.MaxBytesReader(w, r.Body, part.size+1)
	for {
		k, err := body.Read(buf)
		if len(head) < 16 {
			head = append(head, buf[:min(k, 16-len(head))]...)
		}
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			linkedinError(w, http.StatusBadRequest, 0, "", "The part is larger than its upload instruction")
			return
		}
	}
	if n != part.size {
		linkedinError(w, http.StatusBadRequest, 0, "", fmt.Sprintf("The part must be %d bytes, not %d", part.size, n))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.videos[part.video]
	if part.uploaded {
		linkedinError(w, http.StatusBadRequest, 0, "", "This part was uploaded already")
		return
	}
	part.uploaded = true
	v.Received += n
	if part.index == 0 {
		v.head = head
	}
	etag := "/ambry-video/signedId/" + randomToken()
	v.etags[part.index] = etag
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
}

func (f *LinkedIn) finalizeVideo(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FinalizeUploadRequest *struct {
			Video           string   `json:"video"`
			UploadToken     *string  `json:"uploadToken"`
			UploadedPartIDs []string `json:"uploadedPartIds"`
		} `json:"finalizeUploadRequest"`
	}
	if !linkedinDecode(w, r, &req) {
		return
	}
	in := req.FinalizeUploadRequest
	if in == nil || in.UploadToken == nil {
		linkedinError(w, http.StatusUnprocessableEntity, 0, "UNPROCESSABLE_ENTITY", "ERROR :: /finalizeUploadRequest/uploadToken :: field is required but not found and has no default value")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.videos[in.Video]
	switch {
	case !ok || v.Owner != f.PersonURN():
		linkedinError(w, http.StatusNotFound, 0, "", "Video "+in.Video+" is not found")
		return
	case v.Status != "WAITING_UPLOAD":
		linkedinError(w, http.StatusBadRequest, 0, "", "Video "+in.Video+" was finalized already")
		return
	case v.Received != v.Size || !slices.Equal(in.UploadedPartIDs, v.etags):
		linkedinError(w, http.StatusBadRequest, 0, "", "The uploaded part ids do not match the parts of the upload")
		return
	}
	v.Status = "PROCESSING"
	switch {
	case len(v.head) < 8 || string(v.head[4:8]) != "ftyp":
		v.reason = "INVALID_MEDIA_FORMAT"
	case f.videoFailure != "":
		v.reason, f.videoFailure = f.videoFailure, ""
	}
	w.WriteHeader(http.StatusOK)
}

func (f *LinkedIn) videoStatus(w http.ResponseWriter, r *http.Request, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.videos[r.PathValue("urn")]
	if !ok || v.Owner != f.PersonURN() {
		linkedinError(w, http.StatusNotFound, 0, "", "Not Found")
		return
	}
	if v.Status == "PROCESSING" {
		if v.polls++; v.polls > f.VideoProcessingPolls {
			v.Status = "AVAILABLE"
			if v.reason != "" {
				v.Status = "PROCESSING_FAILED"
			}
		}
	}
	body := map[string]any{"id": v.URN, "owner": v.Owner, "status": v.Status}
	if v.Status == "PROCESSING_FAILED" {
		body["processingFailureReason"] = v.reason
	}
	writeJSON(w, http.StatusOK, body)
}
