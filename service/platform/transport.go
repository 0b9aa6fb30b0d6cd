package platform

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/octopost/octopost/service/netpolicy"
)

// TransportError classifies a request to platform name that got no answer, and describes
// it without the request's URL and without any of secrets: a webhook URL or a bot token
// in the path is a credential, and the error may be shown to the account's owner.
func TransportError(ctx context.Context, name string, err error, secrets ...string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: request failed: %w", name, ctxErr)
	}
	if errors.Is(err, netpolicy.ErrNotPublic) {
		return Errorf(Permanent, 0, "%s: request failed: %v", name, netpolicy.ErrNotPublic)
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return Errorf(Transient, 0, "%s: request failed: timeout", name)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	for _, secret := range secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	return Errorf(Transient, 0, "%s: request failed: %s", name, msg)
}
