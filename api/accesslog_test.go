package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactKeys(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                     "",
		"/v1/posts/post_1":                     "/v1/posts/post_1",
		"/v1/posts/oct_live_abc":               "/v1/posts/oct_live_[redacted]",
		"/oct_test_AZaz09-x/oct_live_Q":        "/oct_test_[redacted]-x/oct_live_[redacted]",
		"oct_live_oct_live_a":                  "oct_live_[redacted]_live_a",
		"/oct_prod_abc/oct_/oct_live":          "/oct_prod_abc/oct_/oct_live",
		"xoct_live_abc":                        "xoct_live_[redacted]",
		"/v1/posts/OCT_LIVE_abc":               "/v1/posts/OCT_LIVE_abc",
		strings.Repeat("oct_", 3) + "test_abc": "oct_oct_oct_test_[redacted]",
	} {
		require.Equal(t, want, redactKeys(in), "in: %q", in)
	}
}
