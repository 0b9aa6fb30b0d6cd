package fake_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

// xRequest sends body to the fake X API with the Authorization header auth ("" for none).
func xRequest(t *testing.T, method, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestTwitterWireFormat(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitter(t)
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	x.SetNow(func() time.Time { return now })
	bearer := "Bearer " + x.Token
	tweets := x.URL + "/2/tweets"

	// The Bearer token is checked first; X's 401 is a problem body.
	for _, auth := range []string{"", "Bearer wrong", "Basic " + x.Token, x.Token} {
		resp, body := xRequest(t, http.MethodPost, tweets, auth, `{"text":"hi"}`)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, auth)
		require.JSONEq(t, `{"title":"Unauthorized","detail":"Unauthorized","type":"about:blank","status":401}`, body)
	}

	resp, body := xRequest(t, http.MethodPost, tweets, bearer, `{"text":"first"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	id := x.Tweets()[0].ID
	require.JSONEq(t, `{"data":{"id":"`+id+`","text":"first","edit_history_tweet_ids":["`+id+`"]}}`, body)
	require.Equal(t, "100", resp.Header.Get("x-rate-limit-limit"))
	require.Equal(t, "99", resp.Header.Get("x-rate-limit-remaining"))
	require.Equal(t, strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10), resp.Header.Get("x-rate-limit-reset"))

	// The same text again: X's duplicate-content 403.
	resp, body = xRequest(t, http.MethodPost, tweets, bearer, `{"text":"first"}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.JSONEq(t, `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`, body)

	// A reply names a tweet that exists.
	resp, _ = xRequest(t, http.MethodPost, tweets, bearer, `{"text":"second","reply":{"in_reply_to_tweet_id":"`+id+`"}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, id, x.Tweets()[1].InReplyToTweetID)
	resp, body = xRequest(t, http.MethodPost, tweets, bearer, `{"text":"third","reply":{"in_reply_to_tweet_id":"42"}}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "deleted or not visible to you")

	// Requests X cannot take are 400 invalid-request problems, with the reasons in errors[].
	for _, bad := range []string{
		`{"text":"x","visibility":"public"}`, // a field X does not know
		`{"text":""}`,
		`{}`,
		`not json`,
		`{"text":"with media","media":{"media_ids":["123"]}}`, // never uploaded
		`{"text":"` + strings.Repeat("字", 141) + `"}`,         // 282 weighted characters
	} {
		resp, body := xRequest(t, http.MethodPost, tweets, bearer, bad)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad)
		require.Contains(t, body, `"type":"https://api.twitter.com/2/problems/invalid-request"`, bad)
		require.Contains(t, body, `"errors":[{"message":`, bad)
	}
	// 280 weighted characters fit.
	resp, _ = xRequest(t, http.MethodPost, tweets, bearer, `{"text":"`+strings.Repeat("字", 140)+`"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Len(t, x.Tweets(), 3)

	// A scripted 429 says when the window resets, from the fake's clock.
	x.FailNext("/2/tweets", 1, http.StatusTooManyRequests)
	resp, body = xRequest(t, http.MethodPost, tweets, bearer, `{"text":"later"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "0", resp.Header.Get("x-rate-limit-remaining"))
	require.Equal(t, strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10), resp.Header.Get("x-rate-limit-reset"))
	require.JSONEq(t, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`, body)
	require.Len(t, x.Tweets(), 3, "a failed request publishes nothing")
	require.Equal(t, 16, x.Calls("/2/tweets"))
}

func TestTwitterTokens(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitter(t)
	me := x.URL + "/2/users/me?user.fields=profile_image_url"

	resp, body := xRequest(t, http.MethodGet, me, "Bearer "+x.Token, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"data":{"id":"`+x.UserID+`","name":"`+x.Name+`","username":"`+x.Username+`",`+
		`"profile_image_url":"https://pbs.twimg.com/profile_images/1/octopost_normal.png"}}`, body)
	_, body = xRequest(t, http.MethodGet, x.URL+"/2/users/me", "Bearer "+x.Token, "")
	require.NotContains(t, body, "profile_image_url", "only the fields asked for")

	// A refreshed token works too; a revoked one no longer does.
	x.AcceptToken("rotated")
	resp, _ = xRequest(t, http.MethodGet, me, "Bearer rotated", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	x.RevokeToken(x.Token)
	resp, _ = xRequest(t, http.MethodGet, me, "Bearer "+x.Token, "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, 4, x.Calls("/2/users/me"))
}

// upload posts data as X's multipart image upload, with media_category if not empty.
func xUpload(t *testing.T, x *fake.Twitter, data []byte, category string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("media", "image")
	require.NoError(t, err)
	_, err = part.Write(data)
	require.NoError(t, err)
	if category != "" {
		require.NoError(t, mw.WriteField("media_category", category))
	}
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, x.URL+"/2/media/upload", &buf)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+x.Token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestTwitterMediaUpload(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitter(t)
	bearer := "Bearer " + x.Token

	png := fake.PNG(3, 3)
	resp, body := xUpload(t, x, png, "tweet_image")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var up struct {
		Data struct{ ID string } `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &up))
	id := up.Data.ID
	require.Len(t, id, 19)
	require.JSONEq(t, `{"data":{"id":"`+id+`","media_key":"3_`+id+`","size":`+strconv.Itoa(len(png))+
		`,"expires_after_secs":86400,"image":{"image_type":"image/png"}}}`, body)

	// Alt text is metadata on the upload; X takes at most 1000 characters.
	resp, body = xRequest(t, http.MethodPost, x.URL+"/2/media/metadata", bearer, `{"id":"`+id+`","metadata":{"alt_text":{"text":"a square"}}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/media/metadata", bearer, `{"id":"`+id+`","metadata":{"alt_text":{"text":"`+strings.Repeat("a", 1001)+`"}}}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/media/metadata", bearer, `{"id":"1","metadata":{"alt_text":{"text":"who"}}}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// What is not an image, or not a tweet image, is refused; X reads the bytes.
	for name, tc := range map[string]struct {
		data     []byte
		category string
	}{
		"html":      {[]byte("<html>hi</html>"), ""},
		"video":     {png, "tweet_video"},
		"too large": {append(slices.Clone(png), make([]byte, 5<<20)...), ""},
	} {
		resp, body := xUpload(t, x, tc.data, tc.category)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		require.Contains(t, body, "invalid-request", name)
	}

	// A tweet attaches uploads by id, at most 4, and may be media alone.
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/tweets", bearer, `{"media":{"media_ids":["`+id+`"]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	tweets := x.Tweets()
	require.Len(t, tweets, 1)
	require.Equal(t, []fake.TwitterMedia{{ID: id, Category: "tweet_image", ContentType: "image/png", Size: len(png), AltText: "a square"}}, tweets[0].Media)
	five := `"` + strings.Repeat(id+`","`, 4) + id + `"`
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/tweets", bearer, `{"text":"five","media":{"media_ids":[`+five+`]}}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/media/upload", "Bearer wrong", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// xAppend posts one APPEND segment of the upload id, with the index field as given.
func xAppend(t *testing.T, x *fake.Twitter, id, index string, data []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("segment_index", index))
	part, err := mw.CreateFormFile("media", "segment")
	require.NoError(t, err)
	_, err = part.Write(data)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, x.URL+"/2/media/upload/"+id+"/append", &buf)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+x.Token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// xInit starts a video upload of total bytes and returns its media id.
func xInit(t *testing.T, x *fake.Twitter, total int) string {
	t.Helper()
	resp, body := xRequest(t, http.MethodPost, x.URL+"/2/media/upload/initialize", "Bearer "+x.Token,
		`{"media_type":"video/mp4","total_bytes":`+strconv.Itoa(total)+`,"media_category":"tweet_video"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var up struct {
		Data struct{ ID string } `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &up))
	require.JSONEq(t, `{"data":{"id":"`+up.Data.ID+`","media_key":"7_`+up.Data.ID+`","expires_after_secs":86400}}`, body)
	return up.Data.ID
}

func TestTwitterVideoUpload(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitter(t)
	bearer := "Bearer " + x.Token
	video := append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{7}, 1000)...)
	status := func(id string) (*http.Response, string) {
		return xRequest(t, http.MethodGet, x.URL+"/2/media/upload?command=STATUS&media_id="+id, bearer, "")
	}

	// INIT takes a tweet_video of a type and size X takes.
	for _, bad := range []string{
		`{"media_type":"video/mp4","total_bytes":10}`,
		`{"media_type":"video/webm","total_bytes":10,"media_category":"tweet_video"}`,
		`{"media_type":"video/mp4","total_bytes":0,"media_category":"tweet_video"}`,
		`{"media_type":"video/mp4","total_bytes":536870913,"media_category":"tweet_video"}`,
		`{"media_type":"video/mp4","media_category":"tweet_video"}`,
		`{"media_type":"video/mp4","total_bytes":10,"media_category":"tweet_video","command":"INIT"}`,
	} {
		resp, body := xRequest(t, http.MethodPost, x.URL+"/2/media/upload/initialize", bearer, bad)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, bad)
		require.Contains(t, body, "invalid-request", bad)
	}

	id := xInit(t, x, len(video))
	// A STATUS or FINALIZE too early, segments out of order or unknown ids: 400.
	resp, _ := status(id)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "not finalized yet")
	resp, _ = xAppend(t, x, id, "1", video[:500])
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "segment 0 comes first")
	resp, _ = xAppend(t, x, "1234", "0", video[:500])
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a media id the fake never issued")
	resp, _ = xAppend(t, x, id, "x", video[:500])
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, body := xAppend(t, x, id, "0", video[:500])
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `"expires_at"`)
	resp, body = xRequest(t, http.MethodPost, x.URL+"/2/media/upload/"+id+"/finalize", bearer, "")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "File size mismatch")
	resp, _ = xAppend(t, x, id, "0", video[500:])
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "segment 0 again")
	resp, _ = xAppend(t, x, id, "1", append(slices.Clone(video[500:]), 1))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "more than total_bytes")
	resp, _ = xAppend(t, x, id, "1", video[500:])
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// FINALIZE starts processing, which takes two STATUS polls here.
	resp, body = xRequest(t, http.MethodPost, x.URL+"/2/media/upload/"+id+"/finalize", bearer, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.JSONEq(t, `{"data":{"id":"`+id+`","media_key":"7_`+id+`","size":`+strconv.Itoa(len(video))+
		`,"expires_after_secs":86400,"processing_info":{"state":"pending","check_after_secs":1}}}`, body)
	resp, _ = xAppend(t, x, id, "2", video[:1])
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "no APPEND after FINALIZE")
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/tweets", bearer, `{"text":"too soon","media":{"media_ids":["`+id+`"]}}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "not processed yet")
	_, body = status(id)
	require.JSONEq(t, `{"data":{"id":"`+id+`","media_key":"7_`+id+`","processing_info":{"state":"in_progress","check_after_secs":1,"progress_percent":50}}}`, body)
	_, body = status(id)
	require.JSONEq(t, `{"data":{"id":"`+id+`","media_key":"7_`+id+`","processing_info":{"state":"succeeded","progress_percent":100}}}`, body)
	resp, _ = status("1234")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// One video per tweet, never with images.
	resp, body = xUpload(t, x, fake.PNG(2, 2), "tweet_image")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var img struct {
		Data struct{ ID string } `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &img))
	resp, body = xRequest(t, http.MethodPost, x.URL+"/2/tweets", bearer, `{"text":"mixed","media":{"media_ids":["`+id+`","`+img.Data.ID+`"]}}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "not both")
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/tweets", bearer, `{"text":"video","media":{"media_ids":["`+id+`"]}}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	m := x.Tweets()[0].Media[0]
	sum := sha256.Sum256(video)
	require.Equal(t, fake.TwitterMedia{ID: id, Category: "tweet_video", ContentType: "video/mp4", Size: len(video),
		State: "succeeded", Segments: 2, SHA256: hex.EncodeToString(sum[:])}, m)

	// Bytes that are not a movie fail processing, with X's error.
	x.SetVideoProcessing(1)
	junk := xInit(t, x, 100)
	resp, _ = xAppend(t, x, junk, "0", bytes.Repeat([]byte("j"), 100))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = xRequest(t, http.MethodPost, x.URL+"/2/media/upload/"+junk+"/finalize", bearer, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, body = status(junk)
	require.JSONEq(t, `{"data":{"id":"`+junk+`","media_key":"7_`+junk+`","processing_info":{"state":"failed","progress_percent":100,`+
		`"error":{"code":1,"name":"InvalidMedia","message":"Invalid or Unsupported media, Reason: UnsupportedMedia."}}}}`, body)

	// A scripted APPEND failure is X's problem body, and the segment is not kept.
	other := xInit(t, x, 10)
	x.FailNextAppend(0, 1, http.StatusServiceUnavailable)
	resp, _ = xAppend(t, x, other, "0", video[:10])
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, _ = xAppend(t, x, other, "0", video[:10])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got, ok := x.Media(other)
	require.True(t, ok)
	require.Equal(t, 1, got.Segments)
}
