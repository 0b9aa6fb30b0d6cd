package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

// liRequest sends body to the fake LinkedIn with the given headers ("" values left out)
// and returns the answer and its body.
func liRequest(t *testing.T, method, rawURL, body string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// restHeaders are the headers of a good call to LinkedIn's versioned API.
func restHeaders(token string) map[string]string {
	return map[string]string{
		"Authorization": "Bearer " + token, "LinkedIn-Version": "202607",
		"X-Restli-Protocol-Version": "2.0.0", "Content-Type": "application/json",
	}
}

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for key, val := range h {
		out[key] = val
	}
	out[k] = v
	return out
}

// liPost is a post's body as the Posts API takes it, without the fields named in drop.
func liPost(author, commentary string, drop ...string) string {
	m := map[string]any{
		"author": author, "commentary": commentary, "visibility": "PUBLIC",
		"distribution": map[string]any{
			"feedDistribution": "MAIN_FEED", "targetEntities": []string{}, "thirdPartyDistributionChannels": []string{},
		},
		"lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": false,
	}
	for _, k := range drop {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// The fake refuses what LinkedIn refuses, so an adapter it accepts speaks LinkedIn's API.
func TestLinkedInPostsWireFormat(t *testing.T) {
	t.Parallel()
	li := fake.NewLinkedIn(t)
	posts := li.URL + "/rest/posts"
	good := restHeaders(li.Token)
	body := liPost(li.PersonURN(), "Hello")

	for name, tc := range map[string]struct {
		headers map[string]string
		body    string
		status  int
		code    string
	}{
		"no token":         {with(good, "Authorization", ""), body, http.StatusUnauthorized, "INVALID_ACCESS_TOKEN"},
		"unknown token":    {with(good, "Authorization", "Bearer nope"), body, http.StatusUnauthorized, "INVALID_ACCESS_TOKEN"},
		"no version":       {with(good, "LinkedIn-Version", ""), body, http.StatusBadRequest, "VERSION_MISSING"},
		"retired version":  {with(good, "LinkedIn-Version", "202401"), body, http.StatusUpgradeRequired, "NONEXISTENT_VERSION"},
		"no Rest.li 2.0":   {with(good, "X-Restli-Protocol-Version", ""), body, http.StatusBadRequest, ""},
		"not JSON":         {with(good, "Content-Type", "text/plain"), body, http.StatusUnsupportedMediaType, ""},
		"unknown field":    {good, strings.Replace(body, `"author"`, `"owner":"x","author"`, 1), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"another author":   {good, liPost("urn:li:person:someone", "Hello"), http.StatusForbidden, "ACCESS_DENIED"},
		"no distribution":  {good, liPost(li.PersonURN(), "Hello", "distribution"), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"no commentary":    {good, liPost(li.PersonURN(), "Hello", "commentary"), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"bad visibility":   {good, strings.Replace(body, `"PUBLIC"`, `"FRIENDS"`, 1), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"a draft":          {good, strings.Replace(body, `"PUBLISHED"`, `"DRAFT"`, 1), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"unknown image":    {good, strings.Replace(body, `"lifecycleState"`, `"content":{"media":{"id":"urn:li:image:nope"}},"lifecycleState"`, 1), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"one multi-image":  {good, strings.Replace(body, `"lifecycleState"`, `"content":{"multiImage":{"images":[{"id":"urn:li:image:nope"}]}},"lifecycleState"`, 1), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"over 3000 shown":  {good, liPost(li.PersonURN(), strings.Repeat("a", 3001)), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
		"unprocessed vid.": {good, strings.Replace(body, `"lifecycleState"`, `"content":{"media":{"id":"urn:li:video:nope"}},"lifecycleState"`, 1), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"},
	} {
		resp, got := liRequest(t, http.MethodPost, posts, tc.body, tc.headers)
		require.Equal(t, tc.status, resp.StatusCode, name+": "+got)
		var e struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		require.NoError(t, json.Unmarshal([]byte(got), &e), name)
		require.Equal(t, tc.status, e.Status, name)
		require.Equal(t, tc.code, e.Code, name)
	}
	require.Empty(t, li.Posts())

	// Success: 201, an empty body, the URN in x-restli-id.
	resp, got := liRequest(t, http.MethodPost, posts, liPost(li.PersonURN(), `a \(b\) #c`), good)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Empty(t, got)
	require.True(t, strings.HasPrefix(resp.Header.Get("x-restli-id"), "urn:li:share:"))
	p := li.Posts()
	require.Len(t, p, 1)
	require.Equal(t, resp.Header.Get("x-restli-id"), p[0].URN)
	require.Equal(t, "a (b) ", p[0].Text, "an unescaped # cuts the text, as LinkedIn shows it")

	// The same commentary again: LinkedIn's duplicate.
	resp, got = liRequest(t, http.MethodPost, posts, liPost(li.PersonURN(), `a \(b\) #c`), good)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.JSONEq(t, `{"status":422,"code":"DUPLICATE_POST","message":"Content is a duplicate of `+p[0].URN+`"}`, got)

	// A 429 says nothing of when to come back.
	li.FailNext("/rest/posts", 1, http.StatusTooManyRequests)
	resp, _ = liRequest(t, http.MethodPost, posts, liPost(li.PersonURN(), "later"), good)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Retry-After"))
}

func TestLinkedInTokenEndpoint(t *testing.T) {
	t.Parallel()
	li := fake.NewLinkedIn(t)
	token := li.URL + "/oauth/v2/accessToken"
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for name, tc := range map[string]struct {
		body    url.Values
		headers map[string]string
		status  int
		code    string
	}{
		"no secret":     {url.Values{"grant_type": {"authorization_code"}, "client_id": {li.ClientID}, "code": {"c"}}, form, http.StatusBadRequest, "invalid_request"},
		"wrong secret":  {url.Values{"grant_type": {"authorization_code"}, "client_id": {li.ClientID}, "client_secret": {"x"}, "code": {"c"}}, form, http.StatusUnauthorized, "invalid_client"},
		"unknown code":  {url.Values{"grant_type": {"authorization_code"}, "client_id": {li.ClientID}, "client_secret": {li.ClientSecret}, "code": {"c"}, "redirect_uri": {"https://a.example/cb"}}, form, http.StatusBadRequest, "invalid_request"},
		"unknown grant": {url.Values{"grant_type": {"password"}, "client_id": {li.ClientID}, "client_secret": {li.ClientSecret}}, form, http.StatusBadRequest, "unsupported_grant_type"},
		"dead refresh":  {url.Values{"grant_type": {"refresh_token"}, "client_id": {li.ClientID}, "client_secret": {li.ClientSecret}, "refresh_token": {"r"}}, form, http.StatusBadRequest, "invalid_grant"},
		"JSON body":     {url.Values{}, map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, "invalid_request"},
	} {
		resp, got := liRequest(t, http.MethodPost, token, tc.body.Encode(), tc.headers)
		require.Equal(t, tc.status, resp.StatusCode, name+": "+got)
		var e struct {
			Error string `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(got), &e), name)
		require.Equal(t, tc.code, e.Error, name)
	}

	// The consent screen wants LinkedIn's scopes, space-separated.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {li.ClientID}, "redirect_uri": {"https://a.example/cb"}, "state": {"s"}}
	for scope, status := range map[string]int{
		"openid profile w_member_social": http.StatusFound,
		"openid,profile,w_member_social": http.StatusBadRequest,
		"r_liteprofile":                  http.StatusBadRequest,
		"":                               http.StatusBadRequest,
	} {
		q.Set("scope", scope)
		resp, err := noFollow.Get(li.URL + "/oauth/v2/authorization?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, status, resp.StatusCode, scope)
	}
}

// A video upload is strict about its parts: each is exactly its length, and finalizing
// needs every part's ETag, in order.
func TestLinkedInVideoUpload(t *testing.T) {
	t.Parallel()
	li := fake.NewLinkedIn(t)
	li.VideoPartSize = 64 << 10
	good := restHeaders(li.Token)
	init := `{"initializeUploadRequest":{"owner":"` + li.PersonURN() + `","fileSizeBytes":100000,"uploadCaptions":false,"uploadThumbnail":false}}`
	resp, got := liRequest(t, http.MethodPost, li.URL+"/rest/videos?action=initializeUpload", init, good)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	var out struct {
		Value struct {
			Video        string `json:"video"`
			Instructions []struct {
				UploadURL string `json:"uploadUrl"`
				FirstByte int64  `json:"firstByte"`
				LastByte  int64  `json:"lastByte"`
			} `json:"uploadInstructions"`
		} `json:"value"`
	}
	require.NoError(t, json.Unmarshal([]byte(got), &out))
	require.Len(t, out.Value.Instructions, 2)
	require.Equal(t, int64(65535), out.Value.Instructions[0].LastByte)
	require.Equal(t, int64(99999), out.Value.Instructions[1].LastByte)

	auth := map[string]string{"Authorization": "Bearer " + li.Token}
	resp, _ = liRequest(t, http.MethodPut, out.Value.Instructions[0].UploadURL, strings.Repeat("x", 10), auth)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a short part")
	first := "\x00\x00\x00\x18ftypmp42" + strings.Repeat("x", 65536-12)
	resp, _ = liRequest(t, http.MethodPut, out.Value.Instructions[0].UploadURL, first, auth)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	etag1 := resp.Header.Get("ETag")
	require.NotEmpty(t, etag1)

	finalize := func(etags ...string) int {
		b, _ := json.Marshal(map[string]any{"finalizeUploadRequest": map[string]any{
			"video": out.Value.Video, "uploadToken": "", "uploadedPartIds": etags,
		}})
		resp, _ := liRequest(t, http.MethodPost, li.URL+"/rest/videos?action=finalizeUpload", string(b), good)
		return resp.StatusCode
	}
	require.Equal(t, http.StatusBadRequest, finalize(etag1), "a part missing")
	resp, _ = liRequest(t, http.MethodPut, out.Value.Instructions[1].UploadURL, strings.Repeat("y", 100000-65536), auth)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	etag2 := resp.Header.Get("ETag")
	require.Equal(t, http.StatusBadRequest, finalize(etag2, etag1), "out of order")
	require.Equal(t, http.StatusOK, finalize(etag1, etag2))

	status := func() string {
		resp, got := liRequest(t, http.MethodGet, li.URL+"/rest/videos/"+url.QueryEscape(out.Value.Video), "", with(good, "Content-Type", ""))
		require.Equal(t, http.StatusOK, resp.StatusCode, got)
		var v struct {
			Status string `json:"status"`
		}
		require.NoError(t, json.Unmarshal([]byte(got), &v))
		return v.Status
	}
	require.Equal(t, "PROCESSING", status())
	require.Equal(t, "AVAILABLE", status())
}
