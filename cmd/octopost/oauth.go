package main

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/platforms"
)

// oauthConfig reads the OAuth settings: OCTOPOST_PUBLIC_URL (default http://{addr}), the
// base of every platform's callback, and OCTOPOST_OAUTH_REDIRECT_ORIGINS, the other
// origins a redirect_url may have. A malformed value is the operator's mistake (exit 2),
// caught before anything listens rather than at the first connection. Each platform's
// flow is built when it is asked for, from its Spec and its settings (client id, secret
// and endpoints), with the same SSRF-safe client as its adapter.
func (c *cli) oauthConfig(addr string, client *http.Client) (service.OAuthConfig, error) {
	public := c.getenv("OCTOPOST_PUBLIC_URL")
	if public == "" {
		// An address that names no host (":8080") listens everywhere; its users reach it
		// as localhost.
		if strings.HasPrefix(addr, ":") {
			addr = "localhost" + addr
		}
		public = "http://" + addr
	}
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return service.OAuthConfig{}, usagef("OCTOPOST_PUBLIC_URL must be an http or https base URL without a path (https://octopost.example.com), not %q", public)
	}
	public = strings.TrimRight(public, "/")
	cfg := service.OAuthConfig{PublicURL: public}
	if v := c.getenv("OCTOPOST_OAUTH_REDIRECT_ORIGINS"); v != "" {
		for _, raw := range strings.Split(v, ",") {
			o, err := url.Parse(strings.TrimSpace(raw))
			if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" || o.User != nil ||
				strings.Trim(o.Path, "/") != "" || o.RawQuery != "" {
				return service.OAuthConfig{}, usagef("OCTOPOST_OAUTH_REDIRECT_ORIGINS must list origins such as https://app.example.com, separated by commas; %q is not one", raw)
			}
			cfg.RedirectOrigins = append(cfg.RedirectOrigins, service.Origin(o))
		}
	}
	cfg.Provider = func(p service.Platform) (service.OAuthProvider, error) {
		spec, ok := platforms.All.Lookup(string(p))
		if !ok {
			return nil, oauth.ErrNotSupported
		}
		return oauth.New(spec, c.setting(spec), client, public)
	}
	return cfg, nil
}

// setting returns spec's setting: the operator's value, else its default.
func (c *cli) setting(spec platform.Spec) func(name string) string {
	return func(name string) string {
		if v := c.getenv(name); v != "" {
			return v
		}
		for _, st := range spec.Settings {
			if st.Env == name {
				return st.Default
			}
		}
		return ""
	}
}
