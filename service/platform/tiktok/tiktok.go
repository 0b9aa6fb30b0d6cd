package tiktok

// The adapter posts with the Content Posting API's Direct Post, video by URL (TikTok pulls
// it; nothing is downloaded here), with the account's access token as a Bearer token.
// Every answer is an envelope {data, error: {code, message, log_id}}, error.code "ok" on
// success. A publish is three steps:
//
//  1. POST {api}/v2/post/publish/creator_info/query/ → {creator_username,
//     privacy_level_options, comment_disabled, duet_disabled, stitch_disabled, …}: TikTok
//     requires it before each post. The post's privacy_level (platform_options.tiktok)
//     must be among the creator's options, else the post is refused naming them; without
//     one it is PUBLIC_TO_EVERYONE where allowed, else refused asking for one (a private
//     account offers no public level). An interaction the creator turned off stays off
//     whatever the options say.
//  2. POST {api}/v2/post/publish/video/init/ {post_info: {title (the text, ≤ 2200
//     characters), privacy_level, disable_comment, disable_duet, disable_stitch},
//     source_info: {source: PULL_FROM_URL, video_url}} → {publish_id}. The video's domain
//     must be verified for the app in TikTok's portal (url_ownership_unverified otherwise).
//  3. POST {api}/v2/post/publish/status/fetch/ {publish_id}, every pollInterval, until
//     PUBLISH_COMPLETE (the public post id in publicaly_available_post_id, TikTok's
//     spelling) or FAILED (Permanent, with TikTok's fail_reason). The post's URL is
//     https://www.tiktok.com/@{creator_username}/video/{id}. A post TikTok does not make
//     public (SELF_ONLY) has no public id: its Ref is the publish_id, without a URL; so is
//     one TikTok leaves in the creator's inbox (SEND_TO_USER_INBOX) to finish in the app.
//
// A publish_id is not idempotent: every init is a new video, and TikTok has no key to
// recognize a repeat. So the adapter does not claim Idempotent, and once an init may have
// reached TikTok no failure is Transient (a retry would init again and post the video
// twice): an init that was sent but got no answer, and any failure after TikTok accepted
// it (the status poll failing, a token rejected meanwhile, the video still processing when
// the wait ends) is Permanent, naming the publish_id and asking to check the account
// before publishing again. The wait ends at the context's deadline (less a poll) or after
// maxWait, whichever is first. Before the init, failures are classified as usual.
//
// Failures are classified from TikTok's error.code first, then the status, never the text:
//
//	access_token_invalid, 401            TokenRejected
//	scope_not_authorized, …_missed       TokenRejected: video.publish was not granted;
//	                                     connecting again asks for it
//	rate_limit_exceeded, 429             Transient; TikTok allows 6 inits a minute per
//	                                     token and sends no reset header, so RetryAfter is
//	                                     Retry-After where a proxy adds one, else a minute
//	internal_error, 5xx, 408             Transient
//	spam_risk_too_many_posts, unaudited_client_can_only_post_to_private_accounts,
//	privacy_level_option_mismatch, url_ownership_unverified, other 4xx
//	                                     Permanent, with TikTok's message
//
// TikTok takes one video per post and no replies (Spec.Replies false): a thread's
// segments go out as separate videos, in order, each with its own video (a segment
// without one is refused at validation, as TikTok needs a video). A post's images are for
// its other platforms (Spec.MaxImages 0) and are not sent.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// KeyAccessToken is the credential holding the account's user access token.
const KeyAccessToken = platform.KeyOAuthAccessToken

// maxResponse bounds what is read of an answer: TikTok's are a few kilobytes.
const maxResponse = 1 << 20

// maxTitle is TikTok's limit on a post's title (its caption), in characters.
const maxTitle = 2200

// Polling defaults: TikTok downloads and processes a video in seconds to minutes.
const (
	defaultPollInterval = 3 * time.Second
	defaultMaxWait      = 3 * time.Minute
	// rateWindow is TikTok's rate-limit window on video init.
	rateWindow = time.Minute
)

// Adapter is the TikTok platform.Adapter.
type Adapter struct {
	client       *http.Client
	api          string
	pollInterval time.Duration
	maxWait      time.Duration
	now          func() time.Time
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling TikTok's API at apiBase, without a version path (the
// real one when empty). A nil client means netpolicy's client for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = defaultAPIURL
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{
		client: client, api: strings.TrimSuffix(apiBase, "/"),
		pollInterval: defaultPollInterval, maxWait: defaultMaxWait, now: time.Now,
	}
}

// Connect checks the access token by reading whose it is (user info, then the creator's
// username) and returns that profile; the credentials are stored as given.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "TikTok: access_token is required")
	}
	var info struct {
		User struct {
			OpenID      string `json:"open_id"`
			AvatarURL   string `json:"avatar_url"`
			DisplayName string `json:"display_name"`
		} `json:"user"`
	}
	if err := a.call(ctx, http.MethodGet, "/v2/user/info/?fields=open_id,avatar_url,display_name", token, nil, &info); err != nil {
		return platform.Profile{}, nil, refused(err)
	}
	if info.User.OpenID == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "TikTok sent a profile without an open_id")
	}
	creator, err := a.creatorInfo(ctx, token)
	if err != nil {
		return platform.Profile{}, nil, refused(err)
	}
	return platform.Profile{
		UserID: info.User.OpenID, Username: creator.Username,
		DisplayName: info.User.DisplayName, AvatarURL: info.User.AvatarURL,
	}, creds, nil
}

// refused makes a rejected token, when connecting, refused credentials.
func refused(err error) error {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Kind == platform.TokenRejected {
		return &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
	}
	return err
}

// creator is what creator_info says of the account.
type creator struct {
	Username        string   `json:"creator_username"`
	PrivacyOptions  []string `json:"privacy_level_options"`
	CommentDisabled bool     `json:"comment_disabled"`
	DuetDisabled    bool     `json:"duet_disabled"`
	StitchDisabled  bool     `json:"stitch_disabled"`
	MaxDuration     int      `json:"max_video_post_duration_sec"`
}

func (a *Adapter) creatorInfo(ctx context.Context, token string) (creator, error) {
	var c creator
	if err := a.send(ctx, "/v2/post/publish/creator_info/query/", token, nil, &c, nil); err != nil {
		return creator{}, err
	}
	if c.Username == "" {
		return creator{}, platform.Errorf(platform.Transient, 0, "TikTok sent creator info without a username")
	}
	return c, nil
}

// initRequest is the body of video/init.
type initRequest struct {
	PostInfo   postInfo   `json:"post_info"`
	SourceInfo sourceInfo `json:"source_info"`
}

type postInfo struct {
	Title          string `json:"title"`
	PrivacyLevel   string `json:"privacy_level"`
	DisableComment bool   `json:"disable_comment"`
	DisableDuet    bool   `json:"disable_duet"`
	DisableStitch  bool   `json:"disable_stitch"`
}

type sourceInfo struct {
	Source   string `json:"source"`
	VideoURL string `json:"video_url"`
}

// Publish posts the post's video with its text as the caption. The credentials never
// change here.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	if p.VideoURL == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "TikTok: a post needs a video")
	}
	if n := utf8.RuneCountInString(p.Text); n > maxTitle {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "TikTok: the caption is %d characters; TikTok takes at most %d", n, maxTitle)
	}
	opts, err := decodeOptions(p.Options)
	if err != nil {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "TikTok: platform_options.tiktok is not valid: %v", err)
	}
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "TikTok: the account has no access token; connect it again")
	}
	c, err := a.creatorInfo(ctx, token)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	privacy, err := choosePrivacy(opts.PrivacyLevel, c.PrivacyOptions)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	body := initRequest{
		PostInfo: postInfo{
			Title: p.Text, PrivacyLevel: privacy,
			DisableComment: opts.DisableComment || c.CommentDisabled,
			DisableDuet:    opts.DisableDuet || c.DuetDisabled,
			DisableStitch:  opts.DisableStitch || c.StitchDisabled,
		},
		SourceInfo: sourceInfo{Source: "PULL_FROM_URL", VideoURL: p.VideoURL},
	}
	var out struct {
		PublishID string `json:"publish_id"`
	}
	sent := false
	if err := a.send(ctx, "/v2/post/publish/video/init/", token, body, &out, &sent); err != nil {
		if sent && isUnanswered(err) {
			return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0,
				"TikTok: the video was sent for publishing but no answer came back; check the account before publishing again")
		}
		return platform.Ref{}, nil, err
	}
	if out.PublishID == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, http.StatusOK,
			"TikTok accepted the video but named no publish_id; check the account before publishing again")
	}
	return a.await(ctx, token, out.PublishID, c.Username)
}

// isUnanswered reports whether err is a request that got no answer (not one TikTok
// answered with an error).
func isUnanswered(err error) bool {
	var pe *platform.Error
	return !errors.As(err, &pe) || pe.Status == 0
}

// choosePrivacy returns the privacy level to post with: the one asked for, which must be
// among the creator's options, or the public one where it is.
func choosePrivacy(asked string, allowed []string) (string, error) {
	list := strings.Join(allowed, ", ")
	if asked != "" {
		if !slices.Contains(allowed, asked) {
			return "", platform.Errorf(platform.Permanent, 0,
				"TikTok: privacy_level %s is not allowed for this account; it allows %s", asked, list)
		}
		return asked, nil
	}
	if slices.Contains(allowed, PrivacyPublic) {
		return PrivacyPublic, nil
	}
	return "", platform.Errorf(platform.Permanent, 0,
		"TikTok: this account cannot post publicly; set platform_options.tiktok.privacy_level to one of %s", list)
}

// status is status/fetch's answer.
type status struct {
	Status     string   `json:"status"`
	FailReason string   `json:"fail_reason"`
	PostIDs    []string `json:"publicaly_available_post_id"` // sic: TikTok's spelling
}

// await polls the publish's status until TikTok finishes it, fails it, or the wait ends.
// Every failure here is Permanent: TikTok has the video, and a retry would post it twice.
func (a *Adapter) await(ctx context.Context, token, publishID, username string) (platform.Ref, platform.Credentials, error) {
	unconfirmed := func(why string) error {
		return platform.Errorf(platform.Permanent, 0,
			"TikTok accepted the video (publish_id %s) but %s; it may still appear on the account: check it before publishing again", publishID, why)
	}
	deadline := a.now().Add(a.maxWait)
	if d, ok := ctx.Deadline(); ok && d.Add(-a.pollInterval).Before(deadline) {
		deadline = d.Add(-a.pollInterval)
	}
	var lastErr error
	for {
		if !a.now().Add(a.pollInterval).Before(deadline) {
			if lastErr != nil {
				return platform.Ref{}, nil, unconfirmed("its status could not be read: " + message(lastErr))
			}
			return platform.Ref{}, nil, unconfirmed("was still processing it when Octopost stopped waiting")
		}
		t := time.NewTimer(a.pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return platform.Ref{}, nil, unconfirmed("Octopost stopped waiting for it")
		case <-t.C:
		}
		var st status
		err := a.send(ctx, "/v2/post/publish/status/fetch/", token, map[string]string{"publish_id": publishID}, &st, nil)
		if err != nil {
			if platform.KindOf(err) == platform.Transient && ctx.Err() == nil {
				lastErr = err // TikTok has a hiccup: ask again until the wait ends
				continue
			}
			return platform.Ref{}, nil, unconfirmed("its status could not be read: " + message(err))
		}
		lastErr = nil
		switch st.Status {
		case "PUBLISH_COMPLETE":
			if len(st.PostIDs) > 0 && st.PostIDs[0] != "" {
				id := st.PostIDs[0]
				return platform.Ref{ID: id, URL: "https://www.tiktok.com/@" + username + "/video/" + id}, nil, nil
			}
			return platform.Ref{ID: publishID}, nil, nil // not public: no public id, no URL
		case "SEND_TO_USER_INBOX":
			return platform.Ref{ID: publishID}, nil, nil
		case "FAILED":
			return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "TikTok could not publish the video: %s", orUnknownReason(st.FailReason))
		}
		// PROCESSING_DOWNLOAD, PROCESSING_UPLOAD: not yet.
	}
}

func orUnknownReason(r string) string {
	if r == "" {
		return "no reason given"
	}
	return r
}

// message is an error's safe message.
func message(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return "request failed"
}

// call sends a request without a body to path and decodes the envelope's data into out.
func (a *Adapter) call(ctx context.Context, method, path, token string, body, out any) error {
	return a.do(ctx, method, path, token, body, out, nil)
}

// send POSTs body as JSON (none when nil) to path; sent, when not nil, is set once the
// request has been written out, so the caller can tell a request TikTok may have
// received from one it cannot have.
func (a *Adapter) send(ctx context.Context, path, token string, body, out any, sent *bool) error {
	return a.do(ctx, http.MethodPost, path, token, body, out, sent)
}

// envelope is every answer of TikTok's API.
type envelope struct {
	Data  json.RawMessage `json:"data"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		LogID   string `json:"log_id"`
	} `json:"error"`
}

func (a *Adapter) do(ctx context.Context, method, path, token string, body, out any, sent *bool) error {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("tiktok: encode request: %w", err)
		}
		reader = bytes.NewReader(b)
	}
	if sent != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { *sent = true },
		})
	}
	req, err := http.NewRequestWithContext(ctx, method, a.api+path, reader)
	if err != nil {
		// The operator's API URL is malformed; nothing here names the token.
		return platform.Errorf(platform.Permanent, 0, "TikTok: the API URL (%s) is not valid", SettingAPIURL)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.client.Do(req)
	if err != nil {
		return platform.TransportError(ctx, "TikTok", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return platform.TransportError(ctx, "TikTok", err, token)
	}
	var env envelope
	decoded := json.Unmarshal(data, &env) == nil
	code := resp.StatusCode
	if code >= 200 && code <= 299 && decoded && (env.Error.Code == "ok" || env.Error.Code == "") {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return platform.Errorf(platform.Transient, code, "TikTok sent an unreadable answer")
		}
		return nil
	}
	if code >= 200 && code <= 299 && !decoded {
		return platform.Errorf(platform.Transient, code, "TikTok sent an unreadable answer")
	}
	return a.classify(resp, env, token)
}

// classify turns a failed answer into a platform.Error (see the table at the top).
func (a *Adapter) classify(resp *http.Response, env envelope, token string) *platform.Error {
	status := resp.StatusCode
	code := env.Error.Code
	msg := strings.TrimSpace(env.Error.Message)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if code != "" {
		msg += " (" + code + ")"
	}
	msg = strings.ReplaceAll(msg, token, "[redacted]") // TikTok does not echo it; a proxy might
	switch {
	case code == "access_token_invalid" || (code == "" && status == http.StatusUnauthorized):
		return &platform.Error{Kind: platform.TokenRejected, Status: status, Message: "TikTok rejected the access token"}
	case code == "scope_not_authorized" || code == "scope_permission_missed":
		return &platform.Error{Kind: platform.TokenRejected, Status: status,
			Message: "TikTok: the account did not grant Octopost the permission this needs (" + code + "); connect it again"}
	case code == "rate_limit_exceeded" || status == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "TikTok rate limit reached", RetryAfter: a.retryAfter(resp.Header)}
	case code == "internal_error" || status >= 500 || status == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "TikTok error: " + msg}
	case status == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: status, Message: "TikTok rejected the access token"}
	case status >= 300 && status < 400:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: "TikTok redirected the request; check " + SettingAPIURL}
	}
	return &platform.Error{Kind: platform.Permanent, Status: status, Message: "TikTok refused the post: " + msg}
}

// retryAfter is when to try again after a 429: Retry-After where a proxy added one, else
// TikTok's window of a minute (it sends no reset header).
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(a.now()), 0)
		}
	}
	return rateWindow
}
