package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestBackupOfARunningServerRestores backs up a SQLite server while it runs, with keys, an
// account and posts in it, stops it, deletes its data, restores the backup into a fresh
// directory as the README says (the file and its key, side by side), and starts there:
// every key, account and post is back, the keys still authenticate, and the account's
// credentials, sealed with the copied key, still open: a post publishes with them.
func TestBackupOfARunningServerRestores(t *testing.T) {
	t.Parallel()
	const email = "dev@example.com"
	m := fake.NewMastodon(t)
	dataDir := t.TempDir()
	e := env{"OCTOPOST_DATABASE_URL": "sqlite:" + filepath.Join(dataDir, "octopost.db"), "OCTOPOST_PLATFORMS_ALLOW_PRIVATE": "true"}

	first := startServerIn(t, dataDir, e)
	createUser(t, dataDir, e, email)
	live := createKey(t, dataDir, e, email, "live")
	test := createKey(t, dataDir, e, email, "test", "posts:read")
	c := client(t, first, live.Key)
	account := connectMastodon(t, c, m)
	mastodon := []oapi.Platform{"mastodon"}
	published := createPost(t, c, oapi.CreatePostRequest{Content: "Published before the backup", Platforms: &mastodon})
	publish(t, c, published.Id)
	requireSuccess(t, waitSettled(t, c, published.Id, publishTimeout), "mastodon", m.Statuses()[0].ID)
	draft := createPost(t, c, oapi.CreatePostRequest{Content: "Published after the restore", Platforms: &mastodon})
	postsBefore := postSummaries(t, c)
	keysBefore := keySummaries(t, cliIn(t, dataDir, e, "keys", "list", "--user", email, "--json"))
	require.Len(t, keysBefore, 2)

	// The backup, while the server runs.
	backupDir := t.TempDir()
	backup := filepath.Join(backupDir, "octopost-backup.db")
	stdout, stderr := backupCommand(t, dataDir, e, backup)
	require.Contains(t, stdout, "backed up")
	require.Contains(t, stderr, backup+".key is secret")
	for _, path := range []string{backup, backup + ".key"} {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), path)
	}

	// Stop, and lose the data directory.
	first.stop(t)
	entries, err := os.ReadDir(dataDir)
	require.NoError(t, err)
	for _, entry := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(dataDir, entry.Name())))
	}

	// Restore: the file and its key into a fresh directory, then start.
	restored := t.TempDir()
	copyFile(t, backup, filepath.Join(restored, "octopost.db"))
	copyFile(t, backup+".key", filepath.Join(restored, "octopost.db.key"))
	e["OCTOPOST_DATABASE_URL"] = "sqlite:" + filepath.Join(restored, "octopost.db")
	require.Equal(t, keysBefore, keySummaries(t, cliIn(t, restored, e, "keys", "list", "--user", email, "--json")), "every key")

	second := startServerIn(t, restored, e)
	require.Contains(t, second.logs.String(), "using the credentials key beside the database")
	require.NotContains(t, second.logs.String(), "generated a key")
	c = client(t, second, live.Key)
	require.Equal(t, postsBefore, postSummaries(t, c), "every post, as it was")
	require.Equal(t, account.Id, accountsByPlatform(t, c)["mastodon"].Id, "the account")
	require.Equal(t, 200, get(t, second, "/v1/posts", test.Key).status, "the test key authenticates")

	publish(t, c, draft.Id)
	p := waitSettled(t, c, draft.Id, publishTimeout)
	require.Len(t, mastodonWith(m, "Published after the restore"), 1, "published with the restored credentials")
	requireSuccess(t, p, "mastodon", mastodonWith(m, "Published after the restore")[0].ID)
}

// postSummaries lists every post as "id status content".
func postSummaries(t *testing.T, c *oapi.ClientWithResponses) []string {
	t.Helper()
	resp, err := c.ListPostsWithResponse(t.Context(), nil)
	requireStatus(t, 200, resp, err)
	require.False(t, resp.JSON200.HasMore)
	var out []string
	for _, p := range resp.JSON200.Posts {
		out = append(out, p.Id+" "+string(p.Status)+" "+p.Content)
	}
	require.Len(t, out, 2)
	return out
}

// keySummaries is `keys list --json` without when each key was last used, which a
// request in flight at the backup may still change.
func keySummaries(t *testing.T, listed string) []map[string]any {
	t.Helper()
	var keys []map[string]any
	require.NoError(t, json.Unmarshal([]byte(listed), &keys), listed)
	for _, k := range keys {
		delete(k, "last_used_at")
	}
	return keys
}

// backupCommand runs `octopost backup --to to` and returns its stdout and stderr.
func backupCommand(t *testing.T, dir string, e env, to string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "backup", "--to", to)
	cmd.Dir = dir
	cmd.Env = environ(e)
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	cmd.SysProcAttr = childAttr()
	require.NoError(t, cmd.Run(), "octopost backup: %s", errOut.String())
	requireNoSecrets(t, "octopost backup's output", out.String()+errOut.String())
	return out.String(), errOut.String()
}

// copyFile copies from to the new file to, owner-only, as an operator restoring would.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o600))
}
