package platform

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/octopost/octopost/service/netpolicy"
)

// TransportError classifies a request to platform name that got no answer, and describes
// it without the request's URL and without any of secrets: a webhook URL or a bot token
// in the path is a credential, and the error may be shown to the account's owner.
//
// The description is built from the error's type (see describeTransport), never from its
// text: a network error's text names the server's own resolver ("lookup discord.com on
// 10.0.0.2:53"), its local address and the URL, none of which a user should see.
func TransportError(ctx context.Context, name string, err error, secrets ...string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: request failed: %w", name, ctxErr)
	}
	kind, what, cause := describeTransport(err)
	return &Error{Kind: kind, Message: redact(name+": request failed: "+what, secrets), Err: cause}
}

// describeTransport says what went wrong with a request that got no answer, how the
// engine should treat it, and which of netpolicy's sentinels (if any) it wraps: a
// refused destination is Permanent (it will be refused on every retry), everything else
// Transient.
func describeTransport(err error) (Kind, string, error) {
	var (
		dnsErr  *net.DNSError
		timeout interface{ Timeout() bool }
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		badHost x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.Is(err, netpolicy.ErrNotPublic):
		return Permanent, netpolicy.ErrNotPublic.Error(), netpolicy.ErrNotPublic
	case errors.Is(err, netpolicy.ErrPortNotAllowed):
		return Permanent, netpolicy.ErrPortNotAllowed.Error(), netpolicy.ErrPortNotAllowed
	case errors.As(err, &dnsErr):
		// Name is the host looked up; Server, the server's resolver, is never shown.
		switch {
		case dnsErr.IsNotFound:
			return Transient, "could not resolve " + dnsErr.Name + ": no such host", nil
		case dnsErr.IsTimeout:
			return Transient, "could not resolve " + dnsErr.Name + ": timeout", nil
		}
		return Transient, "could not resolve " + dnsErr.Name, nil
	case errors.As(err, &timeout) && timeout.Timeout():
		return Transient, "timeout", nil
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &badHost), errors.As(err, &invalid):
		return Transient, "the server's TLS certificate is not valid", nil
	case errors.As(err, &record):
		return Transient, "the server does not speak TLS", nil
	case errors.As(err, &alert):
		return Transient, "the TLS handshake failed", nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return Transient, "connection refused", nil
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return Transient, "connection reset", nil
	case errors.Is(err, syscall.EHOSTUNREACH):
		return Transient, "host unreachable", nil
	case errors.Is(err, syscall.ENETUNREACH):
		return Transient, "network unreachable", nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Transient, "connection closed before the answer", nil
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return Transient, "could not connect", nil
	case errors.As(err, &opErr):
		return Transient, "the connection failed", nil
	}
	return Transient, "the request could not be sent", nil
}

func redact(msg string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	return msg
}
