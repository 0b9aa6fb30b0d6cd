package fake

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMastodonAuth(t *testing.T) {
	t.Parallel()
	m := NewMastodon(t)
	status, body, _ := socialSend(t, http.MethodGet, m.URL+"/api/v1/accounts/verify_credentials", "wrong", nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, socialJSON{"error": "The access token is invalid"}, body)

	status, body, h := socialSend(t, http.MethodGet, m.URL+"/api/v1/accounts/verify_credentials", m.Token, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "alice", body["acct"])
	require.Equal(t, "300", h.Get("X-RateLimit-Limit"))

	status, _, _ = socialSend(t, http.MethodGet, m.URL+"/api/v2/instance", "", nil)
	require.Equal(t, http.StatusOK, status, "the instance document needs no token")
}

func TestMastodonStatusRules(t *testing.T) {
	t.Parallel()
	m := NewMastodon(t)
	m.SetMaxCharacters(30)
	statuses := m.URL + "/api/v1/statuses"

	status, body, _ := socialSend(t, http.MethodPost, statuses, m.Token, socialJSON{"status": strings.Repeat("x", 31)})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, socialJSON{"error": "Validation failed: Text character limit of 30 exceeded"}, body)

	// A URL counts 23 and a remote mention only its local part.
	status, _, _ = socialSend(t, http.MethodPost, statuses, m.Token, socialJSON{"status": "@bob@example.social https://example.com/very/long/path"})
	require.Equal(t, http.StatusOK, status)

	status, body, _ = socialSend(t, http.MethodPost, statuses, m.Token, socialJSON{"status": " "})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "Validation failed: Text can't be blank", body["error"])

	status, body, _ = socialSend(t, http.MethodPost, statuses, m.Token, socialJSON{"status": "x", "in_reply_to_id": "42"})
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "Record not found", body["error"])

	status, body, _ = socialSend(t, http.MethodPost, statuses, m.Token, socialJSON{"status": "x", "media_ids": []string{"7"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "Media with ID(s) 7 not found", body["error"])

	// Form encoding, as many clients send it.
	req, err := http.NewRequest(http.MethodPost, statuses, strings.NewReader(url.Values{"status": {"form"}, "visibility": {"unlisted"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+m.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "unlisted", m.Statuses()[1].Visibility)
}

func TestMastodonMediaProcessing(t *testing.T) {
	t.Parallel()
	m := NewMastodon(t)
	m.SetMediaProcessing(1)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="a.png"`)
	h.Set("Content-Type", "image/png")
	part, err := mw.CreatePart(h)
	require.NoError(t, err)
	_, err = part.Write(PNG(2, 2))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, m.URL+"/api/v2/media", &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+m.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	id := m.mediaIDs()[0]

	status, body, _ := socialSend(t, http.MethodPost, m.URL+"/api/v1/statuses", m.Token, socialJSON{"status": "x", "media_ids": []string{id}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "Cannot attach files that have not finished processing. Try again in a moment!", body["error"])

	status, body, _ = socialSend(t, http.MethodGet, m.URL+"/api/v1/media/"+id, m.Token, nil)
	require.Equal(t, http.StatusPartialContent, status)
	require.Nil(t, body["url"])
	status, body, _ = socialSend(t, http.MethodGet, m.URL+"/api/v1/media/"+id, m.Token, nil)
	require.Equal(t, http.StatusOK, status)
	require.NotNil(t, body["url"])

	status, _, _ = socialSend(t, http.MethodPost, m.URL+"/api/v1/statuses", m.Token, socialJSON{"status": "x", "media_ids": []string{id}})
	require.Equal(t, http.StatusOK, status)
	status, body, _ = socialSend(t, http.MethodPost, m.URL+"/api/v1/statuses", m.Token, socialJSON{"status": "y", "media_ids": []string{id}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "an attachment belongs to one status")
	require.Equal(t, "Media with ID(s) "+id+" not found", body["error"])
}

func TestMastodonInjectedFailures(t *testing.T) {
	t.Parallel()
	m := NewMastodon(t)
	m.FailNext("/api/v1/statuses", 1, http.StatusTooManyRequests)

	status, body, h := socialSend(t, http.MethodPost, m.URL+"/api/v1/statuses", m.Token, socialJSON{"status": "x"})
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "Too many requests", body["error"])
	require.Equal(t, "0", h.Get("X-RateLimit-Remaining"))
	reset, err := time.Parse(time.RFC3339Nano, h.Get("X-RateLimit-Reset"))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(30*time.Second), reset, 2*time.Second)
	require.Empty(t, h.Get("Retry-After"), "Mastodon sends none")

	status, _, _ = socialSend(t, http.MethodPost, m.URL+"/api/v1/statuses", m.Token, socialJSON{"status": "x"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 2, m.Calls("/api/v1/statuses"))
}

func (m *Mastodon) mediaIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id := range m.media {
		ids = append(ids, id)
	}
	return ids
}
