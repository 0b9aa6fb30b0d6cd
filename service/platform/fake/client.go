package fake

import (
	"net/http"
	"net/url"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
)

// StrictClient returns an HTTP client with the production rules (netpolicy: public
// addresses only), except for requests to the hosts of the fakes' URLs given, which run
// on 127.0.0.1 and would be refused too. It lets a test show that an adapter talking to
// a fake platform still refuses a private address a user gave it, such as an image URL.
func StrictClient(timeout time.Duration, reachable ...string) *http.Client {
	hosts := make(map[string]bool, len(reachable))
	for _, raw := range reachable {
		if u, err := url.Parse(raw); err == nil {
			hosts[u.Host] = true
		}
	}
	strict := netpolicy.Client(false, timeout)
	loose := netpolicy.Client(true, timeout)
	return &http.Client{
		Transport: hostRouter{hosts: hosts, loose: loose.Transport, strict: strict.Transport},
		Timeout:   timeout,
		// Like netpolicy's clients: a redirect is the answer, never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type hostRouter struct {
	hosts         map[string]bool
	loose, strict http.RoundTripper
}

func (r hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.hosts[req.URL.Host] {
		return r.loose.RoundTrip(req)
	}
	return r.strict.RoundTrip(req)
}
