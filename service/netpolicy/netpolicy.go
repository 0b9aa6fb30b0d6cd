// Package netpolicy decides which network addresses Octopost may send requests to on a
// user's behalf: platform APIs, the images a post names, webhook receivers.
//
// One function, Policy.Check, answers for both moments an address is checked: when a URL
// is saved (a webhook URL that names or resolves to a refused address is a 422) and when
// a connection is made (the dialer's Control runs it on the address actually dialled,
// which defeats DNS rebinding). The two therefore always agree.
//
// The list of refused addresses is not ours: it is code.dny.dev/ssrf's, which follows
// IANA's IPv4 and IPv6 special-purpose registries (loopback, private, link-local and
// metadata, carrier-grade NAT, documentation, benchmarking, multicast, 6to4, Teredo,
// ORCHID, …) and refuses every IPv6 address outside global unicast (2000::/3), which
// takes care of the IPv4-compatible ::a.b.c.d form and local-use NAT64. Two IPv6 forms
// that embed an IPv4 address are judged by the address inside, because that is the host
// the connection reaches:
//   - IPv4-mapped ::ffff:a.b.c.d: the dialer connects to a.b.c.d itself;
//   - NAT64 64:ff9b::a.b.c.d (RFC 6052's well-known prefix): how a host on an IPv6-only
//     network reaches IPv4 ones through DNS64, so refusing it outright would cut such a
//     server off from every IPv4-only platform; with a loopback, private or metadata
//     address inside it is refused like that address.
package netpolicy

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"code.dny.dev/ssrf"
)

var (
	// ErrNotPublic is returned for a destination that is not a public address.
	ErrNotPublic = errors.New("destination is not a public address")
	// ErrPortNotAllowed is returned for a destination port the policy does not list.
	ErrPortNotAllowed = errors.New("destination port is not allowed")
)

// DefaultWebhookPorts are the ports a webhook URL may use unless the operator lists more.
var DefaultWebhookPorts = []uint16{443, 80}

// guardian holds ssrf's address lists; ports and networks are Policy's to check.
var guardian = ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork())

// Policy says where outbound requests may go. The zero Policy allows public addresses on
// any port.
type Policy struct {
	// AllowPrivate lifts both rules: any address, any port. For local development and
	// tests against servers on 127.0.0.1 with random ports.
	AllowPrivate bool
	// Ports lists the destination ports allowed; empty means any.
	Ports []uint16
}

// Check reports whether a connection to ap is allowed: nil, or an error wrapping
// ErrNotPublic or ErrPortNotAllowed. Its message names the address; callers showing it
// to a user should say which rule failed, from the sentinel, instead.
func (p Policy) Check(ap netip.AddrPort) error {
	if p.AllowPrivate {
		return nil
	}
	if err := p.CheckPort(ap.Port()); err != nil {
		return err
	}
	return checkAddr(ap.Addr())
}

// CheckPort reports whether the policy allows connecting to port: nil, or an error
// wrapping ErrPortNotAllowed. It is Check without the address, for a URL whose host has
// not been resolved yet.
func (p Policy) CheckPort(port uint16) error {
	if p.AllowPrivate || len(p.Ports) == 0 || slices.Contains(p.Ports, port) {
		return nil
	}
	return fmt.Errorf("netpolicy: port %d: %w", port, ErrPortNotAllowed)
}

// Public reports whether addr is a globally reachable unicast address that requests on a
// user's behalf may go to.
func Public(addr netip.Addr) bool {
	return checkAddr(addr) == nil
}

// nat64 is RFC 6052's well-known NAT64 prefix.
var nat64 = ssrf.IPv6NAT64Prefix

func checkAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return fmt.Errorf("netpolicy: invalid address: %w", ErrNotPublic)
	}
	inner := addr
	switch {
	case addr.Is4In6():
		inner = addr.Unmap()
	case addr.Zone() == "" && nat64.Contains(addr):
		b := addr.As16()
		inner = netip.AddrFrom4([4]byte(b[12:]))
	}
	if err := guardian.SafeAddr(inner); err != nil {
		// ssrf's error says which range refused it; kept for logs, under our sentinel.
		return fmt.Errorf("netpolicy: %s: %w (%w)", addr, ErrNotPublic, err)
	}
	if addr.Zone() != "" {
		return fmt.Errorf("netpolicy: %s: %w", addr, ErrNotPublic) // scoped: never global
	}
	return nil
}

// ParsePorts reads a comma-separated list of ports (such as OCTOPOST_WEBHOOK_PORTS'
// "8443,9443"), each from 1 to 65535. An empty string is an empty list; duplicates are
// dropped.
func ParsePorts(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ports []uint16
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		n, err := strconv.ParseUint(item, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%q is not a port number (1 to 65535)", item)
		}
		if !slices.Contains(ports, uint16(n)) {
			ports = append(ports, uint16(n))
		}
	}
	return ports, nil
}
