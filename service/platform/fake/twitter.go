package fake

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
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
//   - videos go through the chunked upload (below, at videoInitialize): initialize, append
//     segments in order, finalize, then STATUS polls while X processes the video; a tweet
//     attaches one video that finished processing, never together with images (else 400);
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

	uploads         map[string]*twitterUpload // videos by media id, while and after uploading
	processingPolls int                       // STATUS polls a video takes to process
	appendFailures  failureScript[int]        // APPENDs to fail, keyed by segment index
}

// TwitterMedia is an image or a video uploaded to the fake.
type TwitterMedia struct {
	ID          string
	Category    string // tweet_image or tweet_video
	ContentType string
	Size        int
	AltText     string

	// A video's chunked upload: its processing state (uploading, pending, in_progress,
	// succeeded, failed), the segments appended and the SHA-256 (hex) of their bytes in
	// order. Empty for an image.
	State    string
	Segments int
	SHA256   string
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
		uploads:  map[string]*twitterUpload{},

		processingPolls: 2,
	}
	x.tokens = map[string]bool{x.Token: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/users/me", x.authed(x.me))
	mux.HandleFunc("POST /2/tweets", x.authed(x.postTweet))
	mux.HandleFunc("POST /2/media/upload", x.authed(x.upload))
	mux.HandleFunc("POST /2/media/metadata", x.authed(x.metadata))
	mux.HandleFunc("POST /2/media/upload/initialize", x.authed(x.videoInitialize))
	mux.HandleFunc("POST /2/media/upload/{id}/append", x.authed(x.videoAppend))
	mux.HandleFunc("POST /2/media/upload/{id}/finalize", x.authed(x.videoFinalize))
	mux.HandleFunc("GET /2/media/upload", x.authed(x.videoStatus))
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
	if msg := twitterAttachable(attached); msg != "" {
		twitterInvalidRequest(w, msg)
		return
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

// X's chunked upload, for videos. The fake models it as X documents it for API v2:
//
//   - POST /2/media/upload/initialize, JSON {media_type, total_bytes, media_category}:
//     media_category tweet_video, media_type video/mp4 or video/quicktime, total_bytes
//     from 1 to 512 MB; answered {data: {id, media_key, expires_after_secs}};
//   - POST /2/media/upload/{id}/append, multipart: segment_index (0 to 999) and the
//     segment's bytes as "media", at most 5 MB a segment; answered {data: {expires_at}}.
//     Segments must come in order (0, 1, 2, …): X allows them in any order, but an index
//     out of turn from a client that uploads one after another is a bug worth a 400;
//   - POST /2/media/upload/{id}/finalize: the segments must add up to total_bytes exactly;
//     answered with processing_info {state: pending, check_after_secs};
//   - GET /2/media/upload?command=STATUS&media_id={id}: processing_info moves to
//     in_progress (with progress_percent) and, after SetVideoProcessing's number of polls,
//     to succeeded, or to failed with X's error {code, name, message} when the bytes are
//     not an MP4/QuickTime file (the fake looks at the first box, as X's transcoder would
//     fail on anything else);
//   - a media id the fake never issued, an APPEND after FINALIZE, a STATUS before it: 400.
//
// The fake never holds a video: it streams each segment through a SHA-256 and keeps only
// the first bytes (to sniff the container), so a test can upload a large video and count
// the adapter's memory, not the fake's.

// twitterUpload is a video being uploaded. Its mutex serialises APPENDs to it, whose
// bodies are read outside x.mu.
type twitterUpload struct {
	mu       sync.Mutex
	media    *TwitterMedia
	total    int64
	received int64
	head     []byte    // the first bytes, to sniff
	sum      hash.Hash // SHA-256 of the bytes received, in order
	polls    int       // STATUS polls since FINALIZE
}

const (
	twitterVideoLimit   = 512 << 20
	twitterSegmentLimit = 5 << 20
	twitterMaxSegments  = 1000
)

// SetVideoProcessing sets how many STATUS polls a finalized video takes to finish
// processing (2 unless set); 0 makes FINALIZE answer without processing_info, as X does
// for media that need no processing.
func (x *Twitter) SetVideoProcessing(polls int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.processingPolls = polls
}

// FailNextAppend answers the next n APPENDs of segment index segment (of any video) with
// status and X's problem body for it, after reading the request.
func (x *Twitter) FailNextAppend(segment, n, status int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.appendFailures.add(strconv.Itoa(segment), n, status)
}

// Media returns the media uploaded so far with the given id.
func (x *Twitter) Media(id string) (TwitterMedia, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m, ok := x.media[id]
	if !ok {
		return TwitterMedia{}, false
	}
	return *m, true
}

// twitterAttachable says why X would refuse to attach media together ("" when it would
// not): one video that finished processing, or up to 4 images, never both.
func twitterAttachable(media []TwitterMedia) string {
	videos := 0
	for _, m := range media {
		if m.Category != "tweet_video" {
			continue
		}
		videos++
		if m.State != "succeeded" {
			return "Your media IDs are invalid: media " + m.ID + " has not finished processing (" + m.State + ")."
		}
	}
	if videos > 0 && len(media) > 1 {
		return "A Tweet may carry up to 4 images or 1 video, not both."
	}
	return ""
}

var twitterVideoTypes = []string{"video/mp4", "video/quicktime"}

func (x *Twitter) videoInitialize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MediaType        string   `json:"media_type"`
		TotalBytes       *int64   `json:"total_bytes"`
		MediaCategory    string   `json:"media_category"`
		AdditionalOwners []string `json:"additional_owners"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || dec.Decode(&req) != nil {
		twitterInvalidRequest(w, "The request body is not valid JSON for this endpoint.")
		return
	}
	switch {
	case req.TotalBytes == nil || req.MediaType == "":
		twitterInvalidRequest(w, "The `media_type` and `total_bytes` fields are required.")
		return
	case req.MediaCategory != "tweet_video":
		twitterInvalidRequest(w, "This fake takes media_category tweet_video for chunked uploads.")
		return
	case !slices.Contains(twitterVideoTypes, req.MediaType):
		twitterInvalidRequest(w, "The media type is not supported.")
		return
	case *req.TotalBytes < 1 || *req.TotalBytes > twitterVideoLimit:
		twitterInvalidRequest(w, "total_bytes must be between 1 and 536870912 for tweet_video.")
		return
	}
	x.mu.Lock()
	x.nextID += 1 << 22
	m := &TwitterMedia{ID: strconv.FormatInt(x.nextID, 10), Category: "tweet_video", ContentType: req.MediaType, State: "uploading"}
	x.media[m.ID] = m
	x.uploads[m.ID] = &twitterUpload{media: m, total: *req.TotalBytes, sum: sha256.New()}
	x.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "media_key": "7_" + m.ID, "expires_after_secs": 86400,
	}})
}

// videoUpload returns the video upload with the path's media id, or writes X's 400.
func (x *Twitter) videoUpload(w http.ResponseWriter, id string) *twitterUpload {
	x.mu.Lock()
	u, ok := x.uploads[id]
	x.mu.Unlock()
	if !ok {
		twitterInvalidRequest(w, "The media id "+id+" is invalid.")
	}
	return u
}

func (x *Twitter) videoAppend(w http.ResponseWriter, r *http.Request) {
	u := x.videoUpload(w, r.PathValue("id"))
	if u == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, twitterSegmentLimit+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		twitterInvalidRequest(w, "The request is not a multipart/form-data upload.")
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	// The segment is hashed into a copy of the running hash, adopted only if it is
	// accepted: a refused APPEND leaves the upload as it was.
	state, _ := u.sum.(encoding.BinaryMarshaler).MarshalBinary()
	sum := sha256.New()
	_ = sum.(encoding.BinaryUnmarshaler).UnmarshalBinary(state)
	head := slices.Clone(u.head)
	index, size, sawMedia := "", int64(0), false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			twitterInvalidRequest(w, "The request is not a valid multipart/form-data upload within the size limit.")
			return
		}
		switch part.FormName() {
		case "segment_index":
			b, _ := io.ReadAll(io.LimitReader(part, 16))
			index = string(b)
		case "media":
			sawMedia = true
			capture := &headWriter{head: head, want: 512}
			size, err = io.Copy(io.MultiWriter(sum, capture), part)
			head = capture.head
			if err != nil {
				twitterInvalidRequest(w, "The segment is larger than 5 MB or could not be read.")
				return
			}
		default:
			twitterInvalidRequest(w, "Unknown field "+part.FormName()+".")
			return
		}
	}
	n, err := strconv.Atoi(index)
	switch {
	case err != nil || n < 0 || n >= twitterMaxSegments:
		twitterInvalidRequest(w, "segment_index must be an integer from 0 to 999.")
		return
	case !sawMedia || size == 0:
		twitterInvalidRequest(w, "The `media` field is required.")
		return
	case size > twitterSegmentLimit:
		twitterInvalidRequest(w, "A segment must be at most 5 MB.")
		return
	}
	x.mu.Lock()
	status, fail := x.appendFailures.take(index)
	state2 := u.media.State
	want := u.media.Segments
	x.mu.Unlock()
	switch {
	case fail:
		x.fail(w, status)
		return
	case state2 != "uploading":
		twitterInvalidRequest(w, "The media "+u.media.ID+" is already finalized.")
		return
	case n != want:
		twitterInvalidRequest(w, fmt.Sprintf("segment_index %d is out of order: segment %d is next.", n, want))
		return
	case u.received+size > u.total:
		twitterInvalidRequest(w, "The segments are larger than total_bytes.")
		return
	}
	u.sum, u.head = sum, head
	u.received += size
	x.mu.Lock()
	u.media.Segments++
	x.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"expires_at": x.nowUnix() + 86400}})
}

func (x *Twitter) nowUnix() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.now().Unix()
}

// headWriter keeps the first want bytes written to it.
type headWriter struct {
	head []byte
	want int
}

func (h *headWriter) Write(p []byte) (int, error) {
	if n := h.want - len(h.head); n > 0 {
		h.head = append(h.head, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

func (x *Twitter) videoFinalize(w http.ResponseWriter, r *http.Request) {
	u := x.videoUpload(w, r.PathValue("id"))
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	m := u.media
	switch {
	case m.State != "uploading":
		twitterInvalidRequest(w, "The media "+m.ID+" is already finalized.")
		return
	case u.received != u.total:
		twitterInvalidRequest(w, fmt.Sprintf("File size mismatch: total_bytes was %d, the segments hold %d.", u.total, u.received))
		return
	}
	m.Size = int(u.received)
	m.SHA256 = hex.EncodeToString(u.sum.Sum(nil))
	data := map[string]any{"id": m.ID, "media_key": "7_" + m.ID, "size": m.Size, "expires_after_secs": 86400}
	if x.processingPolls <= 0 {
		m.State = u.outcome()
	} else {
		m.State = "pending"
		data["processing_info"] = map[string]any{"state": "pending", "check_after_secs": 1}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// outcome is how X's processing ends for the upload: only a file that starts like an MP4
// or QuickTime movie (its first box an ftyp, moov, mdat, free or wide box) succeeds.
func (u *twitterUpload) outcome() string {
	if len(u.head) >= 8 && slices.Contains([]string{"ftyp", "moov", "mdat", "free", "wide"}, string(u.head[4:8])) {
		return "succeeded"
	}
	return "failed"
}

func (x *Twitter) videoStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("command") != "STATUS" || q.Get("media_id") == "" {
		twitterInvalidRequest(w, "command=STATUS and media_id are required.")
		return
	}
	u := x.videoUpload(w, q.Get("media_id"))
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	m := u.media
	if m.State == "uploading" {
		twitterInvalidRequest(w, "The media "+m.ID+" is not finalized.")
		return
	}
	info := map[string]any{}
	if m.State == "pending" || m.State == "in_progress" {
		u.polls++
		if u.polls >= x.processingPolls {
			m.State = u.outcome()
		} else {
			m.State = "in_progress"
			info["check_after_secs"] = 1
			info["progress_percent"] = u.polls * 100 / x.processingPolls
		}
	}
	info["state"] = m.State
	switch m.State {
	case "succeeded":
		info["progress_percent"] = 100
	case "failed":
		info["progress_percent"] = 100
		info["error"] = map[string]any{"code": 1, "name": "InvalidMedia", "message": "Invalid or Unsupported media, Reason: UnsupportedMedia."}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "media_key": "7_" + m.ID, "processing_info": info,
	}})
}
