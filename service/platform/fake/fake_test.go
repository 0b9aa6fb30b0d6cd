package fake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGraphemeLen(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{
		"":             0,
		"hello":        5,
		"日本語":          3,
		"é":            1, // e + combining acute
		"👍🏽":           1, // skin-tone modifier
		"👩‍👩‍👧‍👦":      1, // zero-width-joiner family
		"🇯🇵🇫🇷":         2, // two flags
		"🇯🇵🇫":          2, // a flag and a lone regional indicator
		"❤️":           1, // variation selector
		"\r\n":         1,
		"한국어":          3, // precomposed syllables
		"\u1100\u1161": 1, // conjoining jamo
		"🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F": 1, // England's flag
	} {
		require.Equal(t, want, graphemeLen(s), "%q", s)
	}
}

// socialJSON is a request's or an answer's JSON.
type socialJSON = map[string]any

func socialSend(t *testing.T, method, url, token string, body any) (int, socialJSON, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out socialJSON
	_ = json.NewDecoder(resp.Body).Decode(&out) // some answers have no JSON object
	return resp.StatusCode, out, resp.Header
}
