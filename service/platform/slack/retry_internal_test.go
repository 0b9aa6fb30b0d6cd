package slack

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	header := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	require.Equal(t, 30*time.Second, retryAfter(header("30")))
	require.Equal(t, time.Duration(0), retryAfter(header("")))
	require.Equal(t, time.Duration(0), retryAfter(header("-5")))
	require.Equal(t, time.Duration(0), retryAfter(header("later")))
	at := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	got := retryAfter(header(at))
	require.InDelta(t, float64(90*time.Second), float64(got), float64(2*time.Second), "an HTTP date counts from now")
	require.Equal(t, time.Duration(0), retryAfter(header(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))))
}

func TestPermalink(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://acme.slack.com/archives/C1/p1700000001000002",
		permalink("https://acme.slack.com/", "C1", "1700000001.000002", ""))
	require.Equal(t, "https://acme.slack.com/archives/C1/p1700000002000003?thread_ts=1700000001.000002&cid=C1",
		permalink("https://acme.slack.com/", "C1", "1700000002.000003", "1700000001.000002"))
	require.Empty(t, permalink("", "C1", "1700000001.000002", ""), "without the team's URL there is no link")
}
