package netpolicy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrNotPublic is returned when a connection would go to a non-public address.
var ErrNotPublic = errors.New("destination is not a public address")

// control runs after the address is resolved and before the socket connects, so it sees
// the address actually dialled: a host that resolved to a public address when it was
// saved and to a private one now (DNS rebinding) is refused here.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netpolicy: %w", err)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("netpolicy: %s: %w", ap.Addr(), ErrNotPublic)
	}
	return nil
}

// Client returns an HTTP client for requests made on a user's behalf (platform APIs,
// webhooks): it connects only to public addresses unless allowPrivate is set (for local
// development and tests against fakes on 127.0.0.1), never follows redirects, and gives
// up after timeout.
func Client(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = control
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = dialer.DialContext
	transport.Proxy = nil // a proxy would make the dialled address the proxy's
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
