package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/oauth"
)

// A malformed public URL or redirect origin is the operator's mistake: exit 2 naming the
// setting, before the database is opened or anything listens.
func TestBadOAuthSettingsAreUsageErrors(t *testing.T) {
	t.Parallel()
	for name, bad := range map[string][]string{
		"OCTOPOST_PUBLIC_URL":             {"octopost.example.com", "ftp://octopost.example.com", "https://octopost.example.com/api", "https://u:p@octopost.example.com"},
		"OCTOPOST_OAUTH_REDIRECT_ORIGINS": {"app.example.com", "https://app.example.com/path", "https://a.example.com,", "javascript:alert(1)"},
	} {
		for _, value := range bad {
			dbPath := filepath.Join(t.TempDir(), "octopost.db")
			env := map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + dbPath, "OCTOPOST_ADDR": "127.0.0.1:0", name: value}
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &out, &errOut)
			cancel()
			require.Equal(t, 2, code, "%s=%q: stderr: %s", name, value, errOut.String())
			require.Contains(t, errOut.String(), name)
			_, err := os.Stat(dbPath)
			require.True(t, os.IsNotExist(err), "%s=%q: nothing opened", name, value)
		}
	}
}

func TestOAuthConfigFromSettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"OCTOPOST_OAUTH_REDIRECT_ORIGINS": "https://App.example.com:443, http://localhost:3000/",
		"OCTOPOST_TWITTER_CLIENT_ID":      "x-app",
	}
	c := &cli{getenv: func(k string) string { return env[k] }}
	cfg, err := c.oauthConfig("localhost:8080", http.DefaultClient)
	require.NoError(t, err)
	require.Equal(t, "http://localhost:8080", cfg.PublicURL, "the default: http:// and OCTOPOST_ADDR")
	require.Equal(t, []string{"https://app.example.com", "http://localhost:3000"}, cfg.RedirectOrigins)

	x, err := cfg.Provider("twitter")
	require.NoError(t, err)
	require.Contains(t, x.AuthorizationURL("s", oauth.NewVerifier()), "https://x.com/i/oauth2/authorize?client_id=x-app&")
	_, err = cfg.Provider("linkedin")
	var nc *oauth.NotConfiguredError
	require.ErrorAs(t, err, &nc)
	require.Equal(t, "OCTOPOST_LINKEDIN_CLIENT_ID", nc.Setting)

	cfg, err = c.oauthConfig(":9090", http.DefaultClient)
	require.NoError(t, err)
	require.Equal(t, "http://localhost:9090", cfg.PublicURL)

	env["OCTOPOST_PUBLIC_URL"] = "https://octopost.example.com/"
	cfg, err = c.oauthConfig("localhost:8080", http.DefaultClient)
	require.NoError(t, err)
	require.Equal(t, "https://octopost.example.com", cfg.PublicURL)
}
