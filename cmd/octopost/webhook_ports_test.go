package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A bad OCTOPOST_WEBHOOK_PORTS is the operator's mistake: exit 2 with a message naming
// the setting, before the database is opened or anything listens.
func TestBadWebhookPortsIsAUsageError(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"0", "65536", "https", "443,", "80 443", "-1"} {
		dbPath := filepath.Join(t.TempDir(), "octopost.db")
		env := map[string]string{
			"OCTOPOST_DATABASE_URL":  "sqlite:" + dbPath,
			"OCTOPOST_ADDR":          "127.0.0.1:0",
			"OCTOPOST_WEBHOOK_PORTS": bad,
		}
		var out, errOut bytes.Buffer
		// Were the value accepted, serve would run: the context stops it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &out, &errOut)
		cancel()
		require.Equal(t, 2, code, "%q: stderr: %s", bad, errOut.String())
		require.Contains(t, errOut.String(), "OCTOPOST_WEBHOOK_PORTS", bad)
		_, err := os.Stat(dbPath)
		require.True(t, os.IsNotExist(err), "%q: nothing opened", bad)
	}
}
