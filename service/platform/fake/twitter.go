package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service/platform/textlimit"
)

// Twitter is a fake of X's API v2 for one user (UserID, Username, Name), authenticated by
// an OAuth 2.0 user access token as a Bearer token (Token; AcceptToken adds more, as a
// refresh does). It serves GET /2/users/me and POST /2/tweets and models what X enforces:
//
//   - every answer carries x-rate-limit-limit, -remaining and -reset (epoch seconds); a
//     scripted 429 resets 15 minutes after the fake's clock (SetNow);
//   - a missing or unknown token is a 401 problem {title, detail, type, status};
//   - the body must be JSON with only the fields X knows (text, reply, media, …): an
//     unknown field, bad JSON or empty text is a 400 invalid-request problem with errors[];
//   - text over 280 weighted characters is a 400; the same text twice from the user is
//     X's 403 "You are not allowed to create a Tweet with duplicate content.";
//   - a reply to a tweet that does not exist is a 403, as on X;
//   - images are uploaded with POST /2/media/upload (multipart: the bytes as "media", an
//     optional media_category), at most 5 MB of PNG, JPEG, GIF or WebP, answered
//     {data: {id, media_key, size, expires_after_secs, image}}; alt text (at most 1000
//     characters) is set with POST /2/media/metadata {id, metadata: {alt_text: {text}}};
//     a tweet attaches at most 4 by media.media_ids, each one this user uploaded (else 400);
//   - success is 201 {data: {id, text}} with a 19-digit snowflake id.
//
// Tweets lists what was published; Calls counts requests by path.
type Twitter struct {
	URL      string
	Token    string // the user's valid access token
	UserID   string
	Username string
	Name     string

	srv *httptest.Server

	scriptedHTTP
	tokens map[string]bool
	now    func() time.Time
	nextID int64
	tweets []TwitterTweet
	media  map[string]*TwitterMedia
}

// TwitterMedia is an image uploaded to the fake.
type TwitterMedia struct {
	ID          string
	Category    string
	ContentType string
	Size        int
	AltText     string
}

// TwitterTweet is a tweet the fake has published.
type TwitterTweet struct {
	ID               string
	Text             string
	InReplyToTweetID string
	AuthorID         string
	Media            []TwitterMedia // attached, in order
	Authorization    string         // the Authorization header it was posted with
}

// twitterWindow is X's rate-limit window for POST /2/tweets.
const twitterWindow = 15 * time.Minute

// NewTwitter starts a fake X API, closed when the test ends.
func NewTwitter(t testing.TB) *Twitter {
	t.Helper()
	x := &Twitter{
		Token:    "x-user-access-token-Zm9vYmFyYmF6cXV4",
		UserID:   "1460583935476637701",
		Username: "octopost_dev",
		Name:     "Octopost Dev",
		now:      time.Now,
		nextID:   1862015474402312192,
		media:    map[string]*TwitterMedia{},
	}
	x.tokens = map[string]bool{x.Token: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/users/me", x.authed(x.me))
	mux.HandleFunc("POST /2/tweets", x.authed(x.postTweet))
	mux.HandleFunc("POST /2/media/upload", x.authed(x.upload))
	mux.HandleFunc("POST /2/media/metadata", x.authed(x.metadata))
	x.srv = httptest.NewServer(x.serve(mux, x.fail))
	x.URL = x.srv.URL
	t.Cleanup(x.srv.Close)
	return x
}

// AcceptToken makes token valid too, as a refresh issues a new one.
func (x *Twitter) AcceptToken(token string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tokens[token] = true
}

// RevokeToken makes token invalid from now on (expired, or the user revoked the app).
func (x *Twitter) RevokeToken(token string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.tokens, token)
}

// SetNow sets the fake's clock, which the rate-limit reset times are counted from.
func (x *Twitter) SetNow(now func() time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.now = now
}

// SetDelay holds every response back for d after the request has been served.
func (x *Twitter) SetDelay(d time.Duration) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.delay = d
}

// FailNext answers the next n requests to path ("" for any path) with status and X's
// problem body for it; a 429 says the window resets 15 minutes from the fake's clock.
func (x *Twitter) FailNext(path string, n, status int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.failures.add(path, n, status)
}

// Tweets returns the tweets published so far, oldest first.
func (x *Twitter) Tweets() []TwitterTweet {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := slices.Clone(x.tweets)
	for i := range out {
		out[i].Media = slices.Clone(out[i].Media)
	}
	return out
}

// Calls returns how many requests were made to path, failed ones included.
func (x *Twitter) Calls(path string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.calls[path]
}

// twitterProblem writes X's problem body: {title, detail, type, status}.
func twitterProblem(w http.ResponseWriter, status int, title, detail, typ string) {
	writeJSON(w, status, map[string]any{"title": title, "detail": detail, "type": typ, "status": status})
}

// twitterInvalidRequest writes X's 400 for a request it cannot take, the reasons in errors[].
func twitterInvalidRequest(w http.ResponseWriter, messages ...string) {
	errs := make([]map[string]any, len(messages))
	for i, m := range messages {
		errs[i] = map[string]any{"message": m}
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"errors": errs,
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   "https://api.twitter.com/2/problems/invalid-request",
	})
}

func (x *Twitter) fail(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusUnauthorized:
		twitterProblem(w, status, "Unauthorized", "Unauthorized", "about:blank")
	case http.StatusTooManyRequests:
		x.mu.Lock()
		reset := x.now().Add(twitterWindow)
		x.mu.Unlock()
		x.rateLimitHeaders(w, 0, reset)
		twitterProblem(w, status, "Too Many Requests", "Too Many Requests", "about:blank")
	case http.StatusServiceUnavailable:
		twitterProblem(w, status, "Service Unavailable", "Service Unavailable", "about:blank")
	default:
		twitterProblem(w, status, http.StatusText(status), http.StatusText(status), "about:blank")
	}
}

// rateLimitHeaders are X's: the window's limit, what is left of it, and when it resets, in
// seconds since the epoch.
func (x *Twitter) rateLimitHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	w.Header().Set("x-rate-limit-limit", "100")
	w.Header().Set("x-rate-limit-remaining", strconv.Itoa(remaining))
	w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
}

func (x *Twitter) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, isBearer := strings.CutPrefix(auth, "Bearer ")
		x.mu.Lock()
		ok := isBearer && x.tokens[token]
		reset := x.now().Add(twitterWindow)
		x.mu.Unlock()
		if !ok {
			twitterProblem(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", "about:blank")
			return
		}
		x.rateLimitHeaders(w, 99, reset)
		h(w, r)
	}
}

func (x *Twitter) me(w http.ResponseWriter, r *http.Request) {
	user := map[string]any{"id": x.UserID, "name": x.Name, "username": x.Username}
	if slices.Contains(strings.Split(r.URL.Query().Get("user.fields"), ","), "profile_image_url") {
		user["profile_image_url"] = "https://pbs.twimg.com/profile_images/1/octopost_normal.png"
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": user})
}

// twitterTweetRequest is the body of POST /2/tweets, with the fields X knows.
type twitterTweetRequest struct {
	Text  *string `json:"text"`
	Reply *struct {
		InReplyToTweetID string `json:"in_reply_to_tweet_id"`
	} `json:"reply"`
	Media *struct {
		MediaIDs []string `json:"media_ids"`
	} `json:"media"`
	Poll                  json.RawMessage `json:"poll"`
	QuoteTweetID          string          `json:"quote_tweet_id"`
	ReplySettings         string          `json:"reply_settings"`
	ForSuperFollowersOnly bool            `json:"for_super_followers_only"`
	Geo                   json.RawMessage `json:"geo"`
}

func (x *Twitter) postTweet(w http.ResponseWriter, r *http.Request) {
	var req twitterTweetRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		twitterInvalidRequest(w, "The request body is not valid JSON for this endpoint.")
		return
	}
	var mediaIDs []string
	if req.Media != nil {
		mediaIDs = req.Media.MediaIDs
	}
	text := ""
	if req.Text != nil {
		text = *req.Text
	}
	if text == "" && len(mediaIDs) == 0 {
		twitterInvalidRequest(w, "The `text` field is required when no media is attached.")
		return
	}
	if err := textlimit.Check("twitter", text, false, 0); err != nil {
		twitterInvalidRequest(w, "The text of your Tweet is too long.")
		return
	}
	if len(mediaIDs) > 4 {
		twitterInvalidRequest(w, "A Tweet takes at most 4 images.")
		return
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	var attached []TwitterMedia
	for _, id := range mediaIDs {
		m, ok := x.media[id]
		if !ok {
			twitterInvalidRequest(w, "Your media IDs are invalid.")
			return
		}
		attached = append(attached, *m)
	}
	replyTo := ""
	if req.Reply != nil {
		replyTo = req.Reply.InReplyToTweetID
		if !slices.ContainsFunc(x.tweets, func(t TwitterTweet) bool { return t.ID == replyTo }) {
			twitterProblem(w, http.StatusForbidden, "Forbidden",
				"You attempted to reply to a Tweet that is deleted or not visible to you.", "about:blank")
			return
		}
	}
	if slices.ContainsFunc(x.tweets, func(t TwitterTweet) bool { return t.AuthorID == x.UserID && t.Text == text }) {
		twitterProblem(w, http.StatusForbidden, "Forbidden",
			"You are not allowed to create a Tweet with duplicate content.", "about:blank")
		return
	}
	x.nextID += 1 << 22 // snowflakes: the time is in the high bits
	tw := TwitterTweet{
		ID: strconv.FormatInt(x.nextID, 10), Text: text, InReplyToTweetID: replyTo,
		AuthorID: x.UserID, Media: attached, Authorization: r.Header.Get("Authorization"),
	}
	x.tweets = append(x.tweets, tw)
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
		"id": tw.ID, "text": tw.Text, "edit_history_tweet_ids": []string{tw.ID},
	}})
}

// twitterImageTypes are the image types X takes for tweet_image.
var twitterImageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

const twitterImageLimit = 5 << 20

func (x *Twitter) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, twitterImageLimit+64<<10)
	if err := r.ParseMultipartForm(twitterImageLimit + 64<<10); err != nil {
		twitterInvalidRequest(w, "The request is not a valid multipart/form-data upload within the size limit.")
		return
	}
	f, _, err := r.FormFile("media")
	if err != nil {
		twitterInvalidRequest(w, "The `media` field is required.")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		twitterInvalidRequest(w, "The `media` field could not be read.")
		return
	}
	category := r.FormValue("media_category")
	if category != "" && category != "tweet_image" {
		twitterInvalidRequest(w, "This endpoint takes media_category tweet_image; videos use the chunked upload.")
		return
	}
	// X looks at the bytes, not at what the client says they are.
	ct := http.DetectContentType(data)
	if !slices.Contains(twitterImageTypes, ct) {
		twitterInvalidRequest(w, "The media type is not supported.")
		return
	}
	if len(data) > twitterImageLimit {
		twitterInvalidRequest(w, "The image is larger than 5 MB.")
		return
	}
	x.mu.Lock()
	x.nextID += 1 << 22
	m := &TwitterMedia{ID: strconv.FormatInt(x.nextID, 10), Category: "tweet_image", ContentType: ct, Size: len(data)}
	x.media[m.ID] = m
	x.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "media_key": "3_" + m.ID, "size": m.Size, "expires_after_secs": 86400,
		"image": map[string]any{"image_type": ct},
	}})
}

func (x *Twitter) metadata(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText *struct {
				Text string `json:"text"`
			} `json:"alt_text"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		twitterInvalidRequest(w, "The request body is not valid JSON for this endpoint.")
		return
	}
	if req.Metadata.AltText != nil && utf8.RuneCountInString(req.Metadata.AltText.Text) > 1000 {
		twitterInvalidRequest(w, "Alt text must be at most 1000 characters.")
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	m, ok := x.media[req.ID]
	if !ok {
		twitterInvalidRequest(w, "The media id is invalid.")
		return
	}
	if req.Metadata.AltText != nil {
		m.AltText = req.Metadata.AltText.Text
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "associated_metadata": map[string]any{"alt_text": map[string]string{"text": m.AltText}},
	}})
}
