package fake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
//   - a reply to a tweet that does not exist is a 403, as on X; media ids name uploads,
//     and the fake has none, so any media id is a 400;
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

	mu       sync.Mutex
	tokens   map[string]bool
	now      func() time.Time
	delay    time.Duration
	failures failureScript[int] // by path: an HTTP status
	calls    map[string]int
	nextID   int64
	tweets   []TwitterTweet
}

// TwitterTweet is a tweet the fake has published.
type TwitterTweet struct {
	ID               string
	Text             string
	InReplyToTweetID string
	AuthorID         string
	Authorization    string // the Authorization header it was posted with
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
		calls:    map[string]int{},
		nextID:   1862015474402312192,
	}
	x.tokens = map[string]bool{x.Token: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/users/me", x.authed(x.me))
	mux.HandleFunc("POST /2/tweets", x.authed(x.postTweet))
	x.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x.mu.Lock()
		x.calls[r.URL.Path]++
		status, failed := x.failures.take(r.URL.Path)
		delay := x.delay
		x.mu.Unlock()
		if failed {
			serveDelayed(w, r, delay, func(w http.ResponseWriter, _ *http.Request) { x.fail(w, status) })
			return
		}
		serveDelayed(w, r, delay, mux.ServeHTTP)
	}))
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
	return slices.Clone(x.tweets)
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
	if req.Media != nil && len(req.Media.MediaIDs) > 0 {
		twitterInvalidRequest(w, "Your media IDs are invalid.")
		return
	}
	if req.Text == nil || *req.Text == "" {
		twitterInvalidRequest(w, "The `text` field is required when no media is attached.")
		return
	}
	text := *req.Text
	if err := textlimit.Check("twitter", text, false, 0); err != nil {
		twitterInvalidRequest(w, "The text of your Tweet is too long.")
		return
	}

	x.mu.Lock()
	defer x.mu.Unlock()
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
		AuthorID: x.UserID, Authorization: r.Header.Get("Authorization"),
	}
	x.tweets = append(x.tweets, tw)
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
		"id": tw.ID, "text": tw.Text, "edit_history_tweet_ids": []string{tw.ID},
	}})
}
