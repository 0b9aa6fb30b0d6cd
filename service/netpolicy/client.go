package netpolicy

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// control runs after the address is resolved and before the socket connects, so it sees
// the address actually dialled: a host that resolved to a public address when it was
// saved and to a private one now (DNS rebinding) is refused here.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netpolicy: %w", err)
	}
	return p.Check(ap)
}

// Client returns an HTTP client for requests made on a user's behalf to platform APIs
// and the media posts name: public addresses only (on any port) unless allowPrivate is
// set, for local development and tests against fakes on 127.0.0.1. See Policy.Client.
func Client(allowPrivate bool, timeout time.Duration) *http.Client {
	return Policy{AllowPrivate: allowPrivate}.Client(timeout)
}

// Client returns an HTTP client that connects only where p allows, never follows
// redirects (a redirect could lead anywhere, and each hop would need the same check),
// uses no proxy (the dialled address would then be the proxy's), and gives up after
// timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !p.AllowPrivate {
		dialer.Control = p.control
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = dialer.DialContext
	transport.Proxy = nil
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
