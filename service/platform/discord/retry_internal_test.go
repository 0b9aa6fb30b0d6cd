package discord

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name   string
		body   float64
		header http.Header
		want   time.Duration
	}{
		{"body wins", 1.5, h("X-RateLimit-Reset-After", "9", "Retry-After", "9"), 1500 * time.Millisecond},
		{"reset-after header", 0, h("X-RateLimit-Reset-After", "0.25", "Retry-After", "1"), 250 * time.Millisecond},
		{"retry-after header", 0, h("Retry-After", "3"), 3 * time.Second},
		{"sub-millisecond rounds up", 0.0001, nil, time.Millisecond},
		{"nothing said", 0, h(), 0},
		{"garbage", 0, h("Retry-After", "soon"), 0},
		{"negative", -1, h("X-RateLimit-Reset-After", "-2"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, retryAfter(tc.body, tc.header))
		})
	}
}
