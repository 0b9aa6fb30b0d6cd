package platform_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// urlError wraps err the way http.Client.Do does, with a URL that carries a secret.
func urlError(err error) error {
	return &url.Error{Op: "Post", URL: "https://api.example.com/botSECRET/sendMessage", Err: err}
}

func dialError(err error) error {
	return &net.OpError{
		Op: "dial", Net: "tcp",
		Source: &net.TCPAddr{IP: net.ParseIP("10.20.30.40"), Port: 51234},
		Addr:   &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 443},
		Err:    err,
	}
}

// TestTransportErrorDescribesWithoutNetworkLayout: issue 6 item 9b. A DNS failure used to
// read "lookup discord.com on 10.x.x.x:53: …", the server's own resolver; an OpError
// names the server's local address. Messages are built from the errors' types instead.
func TestTransportErrorDescribesWithoutNetworkLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		err     error
		kind    platform.Kind
		message string
	}{
		"host not found": {
			urlError(dialError(&net.DNSError{Err: "no such host", Name: "discord.com", Server: "10.9.8.7:53", IsNotFound: true})),
			platform.Transient, "discord: request failed: could not resolve discord.com: no such host",
		},
		"resolver timeout": {
			urlError(dialError(&net.DNSError{Err: "i/o timeout", Name: "discord.com", Server: "10.9.8.7:53", IsTimeout: true})),
			platform.Transient, "discord: request failed: could not resolve discord.com: timeout",
		},
		"resolver failure": {
			urlError(dialError(&net.DNSError{Err: "server misbehaving", Name: "discord.com", Server: "10.9.8.7:53"})),
			platform.Transient, "discord: request failed: could not resolve discord.com",
		},
		"connection refused": {
			urlError(dialError(os.NewSyscallError("connect", syscall.ECONNREFUSED))),
			platform.Transient, "discord: request failed: connection refused",
		},
		"connection reset": {
			urlError(&net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{IP: net.ParseIP("10.20.30.40")}, Err: os.NewSyscallError("read", syscall.ECONNRESET)}),
			platform.Transient, "discord: request failed: connection reset",
		},
		"network unreachable": {
			urlError(dialError(os.NewSyscallError("connect", syscall.ENETUNREACH))),
			platform.Transient, "discord: request failed: network unreachable",
		},
		"other dial failure": {
			urlError(dialError(errors.New("something at 10.20.30.40"))),
			platform.Transient, "discord: request failed: could not connect",
		},
		"closed early": {
			urlError(io.ErrUnexpectedEOF),
			platform.Transient, "discord: request failed: connection closed before the answer",
		},
		"timeout": {
			urlError(dialError(os.ErrDeadlineExceeded)),
			platform.Transient, "discord: request failed: timeout",
		},
		"bad certificate": {
			urlError(&tlsVerifyError{x509.UnknownAuthorityError{}}),
			platform.Transient, "discord: request failed: the server's TLS certificate is not valid",
		},
		"private address": {
			urlError(dialError(fmt.Errorf("netpolicy: 10.0.0.7: %w", netpolicy.ErrNotPublic))),
			platform.Permanent, "discord: request failed: destination is not a public address",
		},
		"port not allowed": {
			urlError(dialError(fmt.Errorf("netpolicy: port 22: %w", netpolicy.ErrPortNotAllowed))),
			platform.Permanent, "discord: request failed: destination port is not allowed",
		},
		"anything else": {
			urlError(errors.New("proxyconnect tcp: dial 10.1.1.1:3128 for https://api.example.com/botSECRET")),
			platform.Transient, "discord: request failed: the request could not be sent",
		},
	} {
		err := platform.TransportError(ctx, "discord", tc.err, "SECRET")
		var pe *platform.Error
		require.ErrorAs(t, err, &pe, name)
		require.Equal(t, tc.kind, pe.Kind, name)
		require.Equal(t, tc.message, pe.Message, name)
		for _, leak := range []string{"10.9.8.7", "10.20.30.40", "192.0.2.10", "10.0.0.7", "SECRET", ":53"} {
			require.NotContains(t, err.Error(), leak, name)
		}
	}
}

// tlsVerifyError stands for crypto/tls's *CertificateVerificationError, whose Err is the
// x509 error.
type tlsVerifyError struct{ err error }

func (e *tlsVerifyError) Error() string { return "tls: failed to verify certificate: " + e.err.Error() }
func (e *tlsVerifyError) Unwrap() error { return e.err }

// A refused address stays recognisable, so callers can say "must point to a public
// address" without reading messages.
func TestTransportErrorKeepsTheSentinels(t *testing.T) {
	t.Parallel()
	err := platform.TransportError(context.Background(), "mastodon",
		urlError(dialError(fmt.Errorf("netpolicy: 127.0.0.1: %w", netpolicy.ErrNotPublic))))
	require.ErrorIs(t, err, netpolicy.ErrNotPublic)
	require.Equal(t, platform.Permanent, platform.KindOf(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = platform.TransportError(ctx, "mastodon", urlError(context.Canceled), "SECRET")
	require.ErrorIs(t, err, context.Canceled)
	require.NotContains(t, err.Error(), "SECRET")
}
