package netpolicy

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPublic(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"93.184.216.34":        true,
		"2606:2800:220:1::1":   true,
		"127.0.0.1":            false,
		"10.1.2.3":             false,
		"172.16.0.1":           false,
		"192.168.1.1":          false,
		"169.254.169.254":      false, // cloud metadata
		"100.64.0.1":           false,
		"0.0.0.0":              false,
		"::1":                  false,
		"::ffff:127.0.0.1":     false, // IPv4-mapped loopback
		"fd00::1":              false,
		"fe80::1":              false,
		"224.0.0.1":            false,
		"255.255.255.255":      false,
		"2001:db8::1":          false,
		"::ffff:93.184.216.34": true,
	} {
		require.Equal(t, want, Public(netip.MustParseAddr(addr)), addr)
	}
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	t.Cleanup(srv.Close)

	_, err := Client(false, 5*time.Second).Get(srv.URL)
	require.ErrorIs(t, err, ErrNotPublic)

	resp, err := Client(true, 5*time.Second).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "redirects are not followed")
}
