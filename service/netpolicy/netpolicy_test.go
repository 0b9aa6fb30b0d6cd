package netpolicy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPublic covers IANA's IPv4 and IPv6 special-purpose registries, and every way an
// IPv6 address can carry an IPv4 one (issue 6 item 8: these passed the check before).
func TestPublic(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"93.184.216.34":          true,
		"2606:2800:220:1::1":     true,
		"1.1.1.1":                true,
		"127.0.0.1":              false,
		"10.1.2.3":               false,
		"172.16.0.1":             false,
		"192.168.1.1":            false,
		"169.254.169.254":        false, // cloud metadata
		"100.64.0.1":             false, // carrier-grade NAT
		"0.0.0.0":                false,
		"192.0.0.8":              false, // IETF protocol assignments
		"192.31.196.1":           false, // AS112
		"192.88.99.1":            false, // deprecated 6to4 relay anycast
		"198.18.0.1":             false, // benchmarking
		"224.0.0.1":              false,
		"240.0.0.1":              false,
		"255.255.255.255":        false,
		"::":                     false,
		"::1":                    false,
		"fd00::1":                false, // unique local
		"fe80::1":                false, // link-local
		"ff02::1":                false, // multicast
		"2001:db8::1":            false, // documentation
		"2001::1":                false, // Teredo
		"2001:20::1":             false, // ORCHIDv2
		"100::1":                 false, // discard-only
		"3fff::1":                false, // documentation (2024)
		"5f00::1":                false, // segment routing SIDs: outside global unicast
		"64:ff9b:1::1":           false, // local-use NAT64
		"::ffff:127.0.0.1":       false, // IPv4-mapped loopback
		"::ffff:10.0.0.1":        false, // IPv4-mapped private
		"::ffff:169.254.169.254": false,
		"::ffff:93.184.216.34":   true,  // IPv4-mapped public: the dialer connects to the IPv4 address
		"::127.0.0.1":            false, // IPv4-compatible (deprecated), loopback inside
		"::10.0.0.1":             false,
		"::93.184.216.34":        false, // IPv4-compatible is refused whatever is inside
		"64:ff9b::127.0.0.1":     false, // NAT64 with loopback inside
		"64:ff9b::a9fe:a9fe":     false, // NAT64 with 169.254.169.254 inside
		"64:ff9b::10.1.2.3":      false,
		"64:ff9b::93.184.216.34": true,  // NAT64 of a public address: how IPv6-only hosts reach IPv4
		"2002:7f00:1::1":         false, // 6to4 with 127.0.0.1 inside
		"2002:a00:1::1":          false, // 6to4 with 10.0.0.1 inside
		"2002:5db8:d822::1":      false, // 6to4 is refused whatever is inside
		"fe80::1%eth0":           false,
	} {
		require.Equal(t, want, Public(netip.MustParseAddr(addr)), addr)
	}
	require.False(t, Public(netip.Addr{}), "the zero Addr")
}

func TestPolicyCheckPorts(t *testing.T) {
	t.Parallel()
	web := Policy{Ports: []uint16{443, 80}}
	public := netip.MustParseAddr("93.184.216.34")
	require.NoError(t, web.Check(netip.AddrPortFrom(public, 443)))
	require.NoError(t, web.Check(netip.AddrPortFrom(public, 80)))
	require.ErrorIs(t, web.Check(netip.AddrPortFrom(public, 8080)), ErrPortNotAllowed)
	require.ErrorIs(t, web.Check(netip.MustParseAddrPort("127.0.0.1:443")), ErrNotPublic)

	require.NoError(t, Policy{}.Check(netip.AddrPortFrom(public, 8080)), "no port list: any port")
	private := Policy{AllowPrivate: true, Ports: []uint16{443}}
	require.NoError(t, private.Check(netip.MustParseAddrPort("127.0.0.1:9000")), "AllowPrivate lifts both rules")
}

func TestParsePorts(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]uint16{
		"":                  nil,
		"8443":              {8443},
		" 8443 , 9000,8443": {8443, 9000},
		"1,65535":           {1, 65535},
	} {
		got, err := ParsePorts(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"0", "65536", "-1", "http", "8443,", ",", "80 443", "1e3", "0x50"} {
		_, err := ParsePorts(bad)
		require.Error(t, err, bad)
	}
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	_, err := Client(false, 5*time.Second).Get(srv.URL)
	require.ErrorIs(t, err, ErrNotPublic)
	// The IPv6 spellings of the same loopback server are refused as well.
	for _, host := range []string{"[::ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::127.0.0.1]"} {
		_, err := Client(false, 5*time.Second).Get("http://" + host + ":" + strconv.Itoa(port) + "/")
		require.ErrorIs(t, err, ErrNotPublic, host)
	}

	resp, err := Client(true, 5*time.Second).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "redirects are not followed")
}

func TestPolicyClientRefusesPorts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	// The address rule comes first for loopback; to see the port rule alone, allow
	// every address but list only port 443 through the control function directly.
	p := Policy{Ports: []uint16{443}}
	err := p.control("tcp4", "93.184.216.34:8080", nil)
	require.ErrorIs(t, err, ErrPortNotAllowed)
	require.NoError(t, p.control("tcp4", "93.184.216.34:443", nil))
	require.ErrorIs(t, p.control("tcp6", "[64:ff9b::a9fe:a9fe]:443", nil), ErrNotPublic)

	resp, err := Policy{AllowPrivate: true, Ports: []uint16{443}}.Client(5 * time.Second).Get(srv.URL)
	require.NoError(t, err, "AllowPrivate lifts the port rule for local receivers")
	resp.Body.Close()
}
