package fake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Facebook is a fake of Facebook for one user who manages some Pages: Facebook Login's
// consent dialog (/v21.0/dialog/oauth), the token endpoint (/v21.0/oauth/access_token),
// the user's Pages (/v21.0/me/accounts), the token's node (/v21.0/me) and a Page's
// publishing edges (/v21.0/{page}/feed, /photos, /videos), all on one server (the real
// dialog is on www.facebook.com, the rest on graph.facebook.com; Octopost takes each as a
// setting).
//
// It is as strict as Facebook:
//
//   - the dialog takes client_id, an absolute redirect_uri, a state, response_type code
//     (Facebook's default) and comma-separated scopes including pages_show_list,
//     pages_manage_posts and pages_read_engagement; it "consents" at once by redirecting
//     (302) to redirect_uri with code and state and Facebook's "#_=_" fragment, or, after
//     Deny, with error=access_denied, error_reason=user_denied;
//   - the token endpoint is a GET. With client_id, client_secret, redirect_uri and code
//     it answers a short-lived user token {access_token, token_type: bearer, expires_in};
//     with grant_type=fb_exchange_token and a user token it answers a long-lived one
//     (60 days). Refusals are Graph errors, 400: an unknown client_id is code 101, a wrong
//     secret code 1 ("Error validating client secret"), a used or unknown code 100/36009,
//     a code for another redirect_uri 100/36008, a bad fb_exchange_token 190. A code works
//     once;
//   - every Graph call takes a token as a Bearer (or OAuth) header or an access_token
//     parameter; an unknown or revoked one is 400 {error: {code: 190, type:
//     OAuthException, error_subcode: 460}};
//   - /me/accounts needs a user token (a Page token is refused: a Page has no accounts
//     edge) and returns only the fields asked for (id, name, access_token, picture{url},
//     tasks, category), Limit at a time (25 unless asked, at most 100), with paging.cursors
//     and, while more are left, paging.next: an absolute URL naming the user's id, with the
//     access_token in its query, as Facebook's does. Each listing issues a Page token per
//     Page: one made from a long-lived user token never expires (LongLived on what it
//     publishes), one from a short-lived token does;
//   - /me with a Page token is the Page (id, name, picture), with a user token the user;
//   - the publishing edges take a form (or multipart) body with the Page's own token: a
//     user token or another Page's is 403 code 200; an unknown Page is 400 100/33; an
//     unknown parameter is 400 code 100. /feed needs a message, a link or attached_media
//     (each {"media_fbid": id} of an unpublished photo of the Page, attached once) and
//     refuses the Page's last text again as 506 (duplicate status message); /photos needs
//     an absolute url (code 324 without one; the fake does not fetch it), takes message,
//     alt_text_custom and published (false: an unpublished photo, {id}; else a photo post,
//     {id, post_id}); /videos needs file_url and takes description and title, {id}.
//     Post ids are "<page>_<post>";
//   - FailNext scripts Graph failures by code on a path (rate limits 4, 17, 613 with
//     X-App-Usage; 32 with X-Page-Usage and 80001 with X-Business-Use-Case-Usage, both
//     with estimated_time_to_regain_access = RegainMinutes; 1 and 2 as 500s; 190, 506, any
//     other code as 400s); FailStatus a bare HTTP status with no Graph body, as a proxy
//     in front of it would answer.
//
// Posts lists what was published; Calls counts requests by path.
type Facebook struct {
	URL          string
	ClientID     string
	ClientSecret string
	User         FacebookUser
	Pages        []FacebookPage
	// RegainMinutes is estimated_time_to_regain_access in scripted Page rate limits.
	RegainMinutes int

	srv *httptest.Server

	scriptedHTTP
	deny          bool
	codes         map[string]string // unused codes → redirect_uri
	userTokens    map[string]bool   // user token → long-lived
	pageTokens    map[string]facebookPageToken
	exchanges     int
	longExchanges int
	posts         []FacebookPost
	photos        map[string]*facebookPhoto
	lastText      map[string]string // Page → its last text post's message
	nextID        int64
}

// FacebookUser is the Facebook user who consents.
type FacebookUser struct {
	ID, Name, PictureURL string
}

// FacebookPage is a Page the user manages; Tasks are what the user may do on it
// (CREATE_CONTENT to post).
type FacebookPage struct {
	ID, Name, PictureURL string
	Tasks                []string
}

// FacebookPost is a post the fake published on a Page.
type FacebookPost struct {
	ID       string // "<page>_<post>", or a video's id
	PageID   string
	Edge     string // feed, photos or videos
	Message  string // the message, or a video's description
	Link     string
	Photos   []FacebookPhoto // a photo post's photo, or the photos attached to a feed post
	VideoURL string
	Title    string
	// Authorization is the request's Authorization header; LongLived says whether its Page
	// token was made from a long-lived user token (it then never expires).
	Authorization string
	LongLived     bool
}

// FacebookPhoto is a photo the fake was given.
type FacebookPhoto struct {
	ID, URL, AltText string
}

type facebookPageToken struct {
	page      string
	longLived bool
}

type facebookPhoto struct {
	FacebookPhoto
	page      string
	published bool
	attached  bool
}

// NewFacebook starts the fake, closed when the test ends: a user managing two Pages they
// may post to and one they may only moderate.
func NewFacebook(t testing.TB) *Facebook {
	t.Helper()
	f := &Facebook{
		ClientID: "1234567890123456", ClientSecret: "fake-facebook-app-secret",
		User: FacebookUser{ID: "10160000000000001", Name: "Octo Poster",
			PictureURL: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10160000000000001"},
		Pages: []FacebookPage{
			{ID: "104857600000001", Name: "Octopost", PictureURL: "https://scontent.xx.fbcdn.net/v/t39.30808-1/octopost.png",
				Tasks: []string{"ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"}},
			{ID: "104857600000002", Name: "Octopost Labs", PictureURL: "https://scontent.xx.fbcdn.net/v/t39.30808-1/labs.png",
				Tasks: []string{"ANALYZE", "CREATE_CONTENT", "MODERATE"}},
			{ID: "104857600000003", Name: "Octopost Fans", PictureURL: "https://scontent.xx.fbcdn.net/v/t39.30808-1/fans.png",
				Tasks: []string{"ANALYZE", "MODERATE"}},
		},
		RegainMinutes: 5,
		codes:         map[string]string{}, userTokens: map[string]bool{}, pageTokens: map[string]facebookPageToken{},
		photos: map[string]*facebookPhoto{}, lastText: map[string]string{},
		nextID: 122100000000000001,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v21.0/dialog/oauth", f.dialog)
	mux.HandleFunc("GET /v21.0/oauth/access_token", f.token)
	mux.HandleFunc("GET /v21.0/me", f.me)
	mux.HandleFunc("GET /v21.0/{node}/accounts", f.accounts)
	mux.HandleFunc("POST /v21.0/{page}/feed", f.publishing(f.feed))
	mux.HandleFunc("POST /v21.0/{page}/photos", f.publishing(f.photo))
	mux.HandleFunc("POST /v21.0/{page}/videos", f.publishing(f.video))
	f.srv = httptest.NewServer(f.serve(mux, f.fail))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// PageToken issues a Page token for the Page with id, made from a long-lived user token
// (it never expires), as if the user had connected it.
func (f *Facebook) PageToken(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := "EAAPage" + randomToken()
	f.pageTokens[tok] = facebookPageToken{page: id, longLived: true}
	return tok
}

// RevokeToken makes a token (a user's or a Page's) invalid: the user changed their
// password or removed the app.
func (f *Facebook) RevokeToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.userTokens, token)
	delete(f.pageTokens, token)
}

// Deny makes the user refuse consent from now on.
func (f *Facebook) Deny() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = true
}

// Configure changes the fake's settings (Pages, RegainMinutes, …) under its lock.
func (f *Facebook) Configure(change func(f *Facebook)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// FailNext answers the next n requests to path ("" for any) with the Graph error of code
// (see the type's note for the statuses and headers).
func (f *Facebook) FailNext(path string, n, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures.add(path, n, code)
}

// FailStatus answers the next n requests to path ("" for any) with a bare HTTP status and
// no Graph body.
func (f *Facebook) FailStatus(path string, n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures.add(path, n, -status)
}

// Exchanges returns how many codes were exchanged for short-lived user tokens, and how
// many user tokens for long-lived ones.
func (f *Facebook) Exchanges() (codes, longLived int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges, f.longExchanges
}

// Posts returns the posts published so far, oldest first.
func (f *Facebook) Posts() []FacebookPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FacebookPost, len(f.posts))
	for i, p := range f.posts {
		out[i] = p
		out[i].Photos = slices.Clone(p.Photos)
	}
	return out
}

// UnattachedPhotos returns how many unpublished photos were uploaded and never attached.
func (f *Facebook) UnattachedPhotos() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.photos {
		if !p.published && !p.attached {
			n++
		}
	}
	return n
}

// Calls returns how many requests were made to path, failed ones included.
func (f *Facebook) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// fbGraphError writes a Graph API error (threads_graph.go's body, without is_transient,
// and with the WWW-Authenticate header Facebook adds to a token refusal).
func fbGraphError(w http.ResponseWriter, status, code, subcode int, message string) {
	e := graphErrorBody(code, subcode, "OAuthException", message)
	if code == 190 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+message+`"`)
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func (f *Facebook) fail(w http.ResponseWriter, v int) {
	if v < 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(-v)
		_, _ = fmt.Fprintf(w, "<html><body>%d %s</body></html>", -v, http.StatusText(-v))
		return
	}
	f.mu.Lock()
	regain := f.RegainMinutes
	f.mu.Unlock()
	appUsage := `{"call_count":100,"total_cputime":12,"total_time":31}`
	switch v {
	case 190:
		fbGraphError(w, http.StatusBadRequest, 190, 460, "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.")
	case 4:
		w.Header().Set("X-App-Usage", appUsage)
		fbGraphError(w, http.StatusBadRequest, 4, 0, "(#4) Application request limit reached")
	case 17:
		w.Header().Set("X-App-Usage", appUsage)
		fbGraphError(w, http.StatusBadRequest, 17, 0, "(#17) User request limit reached")
	case 613:
		w.Header().Set("X-App-Usage", appUsage)
		fbGraphError(w, http.StatusBadRequest, 613, 0, "(#613) Calls to this api have exceeded the rate limit.")
	case 32:
		w.Header().Set("X-Page-Usage", fmt.Sprintf(`{"call_count":100,"total_cputime":9,"total_time":14,"estimated_time_to_regain_access":%d}`, regain))
		fbGraphError(w, http.StatusBadRequest, 32, 0, "(#32) Page request limit reached")
	case 80001:
		w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(
			`{"104857600000001":[{"type":"pages","call_count":100,"total_cputime":3,"total_time":5,"estimated_time_to_regain_access":%d}]}`, regain))
		fbGraphError(w, http.StatusBadRequest, 80001, 0, "There have been too many calls to this Page account. Wait a bit and try again.")
	case 1:
		fbGraphError(w, http.StatusInternalServerError, 1, 0, "An unknown error has occurred.")
	case 2:
		fbGraphError(w, http.StatusInternalServerError, 2, 0, "An unexpected error has occurred. Please retry your request later.")
	case 506:
		fbGraphError(w, http.StatusBadRequest, 506, 1455006, "(#506) Duplicate status message")
	default:
		fbGraphError(w, http.StatusBadRequest, v, 0, fmt.Sprintf("(#%d) The request was refused.", v))
	}
}

func (f *Facebook) dialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	scopes := strings.Split(q.Get("scope"), ",")
	f.mu.Lock()
	clientID := f.ClientID
	f.mu.Unlock()
	switch {
	case q.Get("client_id") != clientID:
		http.Error(w, "Invalid App ID: the provided app ID does not look like a valid app ID.", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "URL blocked: this redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.", http.StatusBadRequest)
		return
	case q.Get("state") == "" || (q.Get("response_type") != "" && q.Get("response_type") != "code"):
		http.Error(w, "missing or bad parameters", http.StatusBadRequest)
		return
	}
	for _, want := range []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement"} {
		if !slices.Contains(scopes, want) {
			http.Error(w, "scope: "+want+" is missing (scopes are comma-separated)", http.StatusBadRequest)
			return
		}
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	f.mu.Lock()
	if f.deny {
		back.Set("error", "access_denied")
		back.Set("error_code", "200")
		back.Set("error_description", "Permissions error")
		back.Set("error_reason", "user_denied")
	} else {
		code := "AQ" + randomToken() + randomToken()
		f.codes[code] = q.Get("redirect_uri")
		back.Set("code", code)
	}
	f.mu.Unlock()
	redirect.RawQuery = back.Encode()
	redirect.Fragment = "_=_" // Facebook's own: a browser never sends it
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *Facebook) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("client_id") != f.ClientID {
		fbGraphError(w, http.StatusBadRequest, 101, 0, "Error validating application. Invalid application ID.")
		return
	}
	if q.Get("client_secret") != f.ClientSecret {
		fbGraphError(w, http.StatusBadRequest, 1, 0, "Error validating client secret.")
		return
	}
	switch q.Get("grant_type") {
	case "fb_exchange_token":
		if _, ok := f.userTokens[q.Get("fb_exchange_token")]; !ok {
			fbGraphError(w, http.StatusBadRequest, 190, 0, "Invalid OAuth access token - Cannot parse access token")
			return
		}
		f.longExchanges++
		tok := "EAALong" + randomToken()
		f.userTokens[tok] = true
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5183944})
	case "":
		code := q.Get("code")
		if code == "" {
			fbGraphError(w, http.StatusBadRequest, 100, 0, "Missing authorization code")
			return
		}
		redirectURI, ok := f.codes[code]
		delete(f.codes, code) // a code is good for one try
		switch {
		case !ok:
			fbGraphError(w, http.StatusBadRequest, 100, 36009, "This authorization code has been used.")
			return
		case redirectURI != q.Get("redirect_uri"):
			fbGraphError(w, http.StatusBadRequest, 100, 36008, "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
			return
		}
		f.exchanges++
		tok := "EAAShort" + randomToken()
		f.userTokens[tok] = false
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 5400})
	default:
		fbGraphError(w, http.StatusBadRequest, 100, 0, "Unsupported grant_type")
	}
}

// fbBearer returns the request's token: an Authorization header (Bearer or OAuth), else an
// access_token parameter.
func fbBearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "OAuth "} {
		if tok, ok := strings.CutPrefix(h, scheme); ok {
			return tok
		}
	}
	return r.FormValue("access_token")
}

// caller looks the request's token up (the lock held): a user's, or a Page's.
func (f *Facebook) caller(r *http.Request) (isUser, longLived bool, page string, ok bool) {
	tok := fbBearer(r)
	if long, found := f.userTokens[tok]; found {
		return true, long, "", true
	}
	if p, found := f.pageTokens[tok]; found {
		return false, p.longLived, p.page, true
	}
	return false, false, "", false
}

func fbInvalidToken(w http.ResponseWriter) {
	fbGraphError(w, http.StatusBadRequest, 190, 460, "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.")
}

func (f *Facebook) page(id string) (FacebookPage, bool) {
	for _, p := range f.Pages {
		if p.ID == id {
			return p, true
		}
	}
	return FacebookPage{}, false
}

// fbPicture is a node's picture: {data: {url}} for picture{url}, all of it for picture.
func fbPicture(url string, onlyURL bool) map[string]any {
	if onlyURL {
		return map[string]any{"data": map[string]any{"url": url}}
	}
	return map[string]any{"data": map[string]any{"height": 50, "is_silhouette": false, "url": url, "width": 50}}
}

func (f *Facebook) me(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	isUser, _, pageID, ok := f.caller(r)
	if !ok {
		fbInvalidToken(w)
		return
	}
	id, name, pic := f.User.ID, f.User.Name, f.User.PictureURL
	if !isUser {
		p, found := f.page(pageID)
		if !found {
			fbInvalidToken(w)
			return
		}
		id, name, pic = p.ID, p.Name, p.PictureURL
	}
	fields := r.URL.Query().Get("fields")
	if fields == "" {
		fields = "id,name"
	}
	out := map[string]any{}
	for _, field := range strings.Split(fields, ",") {
		switch field {
		case "id":
			out["id"] = id
		case "name":
			out["name"] = name
		case "picture", "picture{url}":
			out["picture"] = fbPicture(pic, field != "picture")
		default:
			fbGraphError(w, http.StatusBadRequest, 100, 0, fmt.Sprintf("(#100) Tried accessing nonexisting field (%s)", field))
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Facebook) accounts(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	isUser, longLived, _, ok := f.caller(r)
	switch {
	case !ok:
		fbInvalidToken(w)
		return
	case !isUser:
		fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)")
		return
	case r.PathValue("node") != "me" && r.PathValue("node") != f.User.ID:
		fbGraphError(w, http.StatusBadRequest, 100, 33, "Unsupported get request. Object does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return
	}
	q := r.URL.Query()
	limit := 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) The parameter limit must be a positive integer")
			return
		}
		limit = min(n, 100)
	}
	start := 0
	if after := q.Get("after"); after != "" {
		b, err := base64.StdEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(f.Pages) {
			fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) Invalid cursor")
			return
		}
		start = n
	}
	fields := q.Get("fields")
	if fields == "" {
		fields = "name,access_token,category,tasks,id"
	}
	end := min(start+limit, len(f.Pages))
	data := []map[string]any{}
	for _, p := range f.Pages[start:end] {
		entry := map[string]any{}
		for _, field := range strings.Split(fields, ",") {
			switch field {
			case "id":
				entry["id"] = p.ID
			case "name":
				entry["name"] = p.Name
			case "category":
				entry["category"] = "Software"
			case "tasks":
				entry["tasks"] = p.Tasks
			case "picture", "picture{url}":
				entry["picture"] = fbPicture(p.PictureURL, field != "picture")
			case "access_token":
				tok := "EAAPage" + randomToken()
				f.pageTokens[tok] = facebookPageToken{page: p.ID, longLived: longLived}
				entry["access_token"] = tok
			default:
				fbGraphError(w, http.StatusBadRequest, 100, 0, fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (Page)", field))
				return
			}
		}
		data = append(data, entry)
	}
	cursor := func(n int) string { return base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(n))) }
	paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end)}}
	if end < len(f.Pages) {
		next := url.Values{"access_token": {fbBearer(r)}, "fields": {fields}, "limit": {strconv.Itoa(limit)}, "after": {cursor(end)}}
		paging["next"] = f.URL + "/v21.0/" + f.User.ID + "/accounts?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "paging": paging})
}

// publishing checks what every publishing edge needs: a form body, the Page's own token,
// and only the parameters the edge knows; then runs h with the lock held.
func (f *Facebook) publishing(h func(w http.ResponseWriter, r *http.Request, post FacebookPost)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		var err error
		switch ct {
		case "application/x-www-form-urlencoded":
			err = r.ParseForm()
		case "multipart/form-data":
			err = r.ParseMultipartForm(1 << 20)
		default:
			fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) The request body must be a form")
			return
		}
		if err != nil {
			fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) The request body could not be read")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		pageID := r.PathValue("page")
		isUser, longLived, tokenPage, ok := f.caller(r)
		if !ok {
			fbInvalidToken(w)
			return
		}
		if _, found := f.page(pageID); !found {
			fbGraphError(w, http.StatusBadRequest, 100, 33, fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", pageID))
			return
		}
		if isUser || tokenPage != pageID {
			fbGraphError(w, http.StatusForbidden, 200, 0, "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission")
			return
		}
		h(w, r, FacebookPost{PageID: pageID, Authorization: r.Header.Get("Authorization"), LongLived: longLived})
	}
}

// fbKnownParams refuses a parameter the edge does not know (400 #100).
func fbKnownParams(w http.ResponseWriter, r *http.Request, known ...string) bool {
	for k := range r.Form {
		base, _, _ := strings.Cut(k, "[")
		if !slices.Contains(known, base) && k != "access_token" {
			fbGraphError(w, http.StatusBadRequest, 100, 0, fmt.Sprintf("(#100) Param %s is not a valid parameter", k))
			return false
		}
	}
	return true
}

func fbHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (f *Facebook) newID() string {
	f.nextID++
	return strconv.FormatInt(f.nextID, 10)
}

func (f *Facebook) feed(w http.ResponseWriter, r *http.Request, post FacebookPost) {
	if !fbKnownParams(w, r, "message", "link", "attached_media", "published") {
		return
	}
	post.Edge, post.Message, post.Link = "feed", r.Form.Get("message"), r.Form.Get("link")
	if post.Link != "" && !fbHTTPURL(post.Link) {
		fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) The parameter link is not a valid URL")
		return
	}
	var attach []*facebookPhoto
	for i := 0; ; i++ {
		key := "attached_media[" + strconv.Itoa(i) + "]"
		v, ok := r.Form[key]
		if !ok {
			break
		}
		var m struct {
			MediaFBID string `json:"media_fbid"`
		}
		p := (*facebookPhoto)(nil)
		if json.Unmarshal([]byte(v[0]), &m) == nil {
			p = f.photos[m.MediaFBID]
		}
		if p == nil || p.page != post.PageID || p.published || p.attached || slices.Contains(attach, p) {
			fbGraphError(w, http.StatusBadRequest, 100, 0, fmt.Sprintf("(#100) param %s must be an unpublished photo of this Page", key))
			return
		}
		attach = append(attach, p)
	}
	indexed := 0
	for k := range r.Form {
		if strings.HasPrefix(k, "attached_media") {
			indexed++
		}
	}
	if indexed != len(attach) {
		fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) attached_media must be attached_media[0], [1], … in order")
		return
	}
	if post.Message == "" && post.Link == "" && len(attach) == 0 {
		fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) Missing message or attachment")
		return
	}
	if len(attach) == 0 && post.Link == "" && post.Message == f.lastText[post.PageID] {
		fbGraphError(w, http.StatusBadRequest, 506, 1455006, "(#506) Duplicate status message")
		return
	}
	for _, p := range attach {
		p.attached = true
		post.Photos = append(post.Photos, p.FacebookPhoto)
	}
	if len(attach) == 0 && post.Link == "" {
		f.lastText[post.PageID] = post.Message
	}
	post.ID = post.PageID + "_" + f.newID()
	f.posts = append(f.posts, post)
	writeJSON(w, http.StatusOK, map[string]string{"id": post.ID})
}

func (f *Facebook) photo(w http.ResponseWriter, r *http.Request, post FacebookPost) {
	if !fbKnownParams(w, r, "url", "message", "alt_text_custom", "published") {
		return
	}
	src := r.Form.Get("url")
	if src == "" {
		fbGraphError(w, http.StatusBadRequest, 324, 2069007, "(#324) Requires upload file")
		return
	}
	if !fbHTTPURL(src) {
		fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) url should represent a valid URL")
		return
	}
	published := true
	if v := r.Form.Get("published"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) Param published must be a boolean")
			return
		}
		published = b
	}
	p := &facebookPhoto{
		FacebookPhoto: FacebookPhoto{ID: f.newID(), URL: src, AltText: r.Form.Get("alt_text_custom")},
		page:          post.PageID, published: published,
	}
	f.photos[p.ID] = p
	if !published {
		writeJSON(w, http.StatusOK, map[string]string{"id": p.ID})
		return
	}
	post.Edge, post.Message, post.Photos = "photos", r.Form.Get("message"), []FacebookPhoto{p.FacebookPhoto}
	post.ID = post.PageID + "_" + f.newID()
	f.posts = append(f.posts, post)
	writeJSON(w, http.StatusOK, map[string]string{"id": p.ID, "post_id": post.ID})
}

func (f *Facebook) video(w http.ResponseWriter, r *http.Request, post FacebookPost) {
	if !fbKnownParams(w, r, "file_url", "description", "title") {
		return
	}
	post.VideoURL = r.Form.Get("file_url")
	if !fbHTTPURL(post.VideoURL) {
		fbGraphError(w, http.StatusBadRequest, 100, 0, "(#100) file_url must be a valid URL")
		return
	}
	post.Edge, post.Message, post.Title = "videos", r.Form.Get("description"), r.Form.Get("title")
	post.ID = f.newID()
	f.posts = append(f.posts, post)
	writeJSON(w, http.StatusOK, map[string]string{"id": post.ID})
}
