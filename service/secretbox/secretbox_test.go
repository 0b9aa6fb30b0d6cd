package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/secretbox"
)

func newBox(t *testing.T) *secretbox.Box {
	t.Helper()
	key, err := secretbox.ParseKey(secretbox.GenerateKey())
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	return box
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	for _, plaintext := range [][]byte{
		[]byte(`{"access_token":"s3cr3t","instance_url":"https://mastodon.example"}`),
		{},
		bytes.Repeat([]byte{0, 0xff}, 5000),
	} {
		sealed := box.Seal(plaintext)
		require.Equal(t, byte(1), sealed[0], "version byte first")
		require.NotContains(t, string(sealed), "s3cr3t")
		got, err := box.Open(sealed)
		require.NoError(t, err)
		require.Equal(t, string(plaintext), string(got))
	}

	a, b := box.Seal([]byte("same")), box.Seal([]byte("same"))
	require.NotEqual(t, a, b, "a fresh nonce every time")
}

func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	box := newBox(t)
	sealed := box.Seal([]byte("access token"))
	for i := range sealed {
		changed := bytes.Clone(sealed)
		changed[i] ^= 0x01
		_, err := box.Open(changed)
		require.ErrorIs(t, err, secretbox.ErrOpen, "byte %d flipped", i)
	}
	for _, bad := range [][]byte{nil, {}, {1}, sealed[:len(sealed)-1], append(bytes.Clone(sealed), 0)} {
		_, err := box.Open(bad)
		require.ErrorIs(t, err, secretbox.ErrOpen)
	}
}

func TestWrongKey(t *testing.T) {
	t.Parallel()
	sealed := newBox(t).Seal([]byte("access token"))
	_, err := newBox(t).Open(sealed)
	require.ErrorIs(t, err, secretbox.ErrOpen)
}

func TestNewWantsA32ByteKey(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33} {
		_, err := secretbox.New(make([]byte, n))
		require.ErrorContains(t, err, "key must be 32 bytes")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 11)[:32] // encodes with + and / in base64
	for name, encoded := range map[string]string{
		"standard":          base64.StdEncoding.EncodeToString(raw),
		"standard unpadded": base64.RawStdEncoding.EncodeToString(raw),
		"url":               base64.URLEncoding.EncodeToString(raw),
		"url unpadded":      base64.RawURLEncoding.EncodeToString(raw),
		"with a newline":    base64.StdEncoding.EncodeToString(raw) + "\n",
	} {
		key, err := secretbox.ParseKey(encoded)
		require.NoError(t, err, name)
		require.Equal(t, raw, key, name)
	}

	generated, err := secretbox.ParseKey(secretbox.GenerateKey())
	require.NoError(t, err)
	require.Len(t, generated, 32)
	require.NotEqual(t, secretbox.GenerateKey(), secretbox.GenerateKey())

	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for input, message := range map[string]string{
		"":                   "key is empty",
		"   ":                "key is empty",
		short:                "key decodes to 16 bytes, want 32",
		"not base64 at all!": "key is not valid base64",
	} {
		_, err := secretbox.ParseKey(input)
		require.ErrorContains(t, err, message)
		if strings.TrimSpace(input) != "" {
			require.NotContains(t, err.Error(), input, "the key never appears in an error")
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "octopost.key")

	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.True(t, created)
	require.Len(t, key, 32)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	again, created, err := secretbox.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.False(t, created, "an existing file is reused")
	require.Equal(t, key, again)

	// What one start sealed, the next opens.
	first, err := secretbox.New(key)
	require.NoError(t, err)
	second, err := secretbox.New(again)
	require.NoError(t, err)
	plain, err := second.Open(first.Seal([]byte("token")))
	require.NoError(t, err)
	require.Equal(t, "token", string(plain))
}

func TestLoadOrCreateKeyFileReadsAnOperatorsKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "octopost.key")
	encoded := secretbox.GenerateKey()
	require.NoError(t, os.WriteFile(path, []byte(encoded+"\n"), 0o600))

	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.False(t, created)
	want, err := secretbox.ParseKey(encoded)
	require.NoError(t, err)
	require.Equal(t, want, key)
}

func TestLoadOrCreateKeyFileRefusesABrokenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "octopost.key")
	require.NoError(t, os.WriteFile(path, []byte("c2hvcnQ=\n"), 0o600))

	_, _, err := secretbox.LoadOrCreateKeyFile(path)
	require.ErrorContains(t, err, "key decodes to 5 bytes")
	require.ErrorContains(t, err, path)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "c2hvcnQ=\n", string(raw), "a broken key is never replaced: what it sealed would be lost")
}

func TestLoadOrCreateKeyFileInAMissingDirectory(t *testing.T) {
	t.Parallel()
	_, _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "missing", "octopost.key"))
	require.ErrorContains(t, err, "create key file")
}

func TestConcurrentStartsAgreeOnOneKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "octopost.key")
	const n = 8
	keys := make([][]byte, n)
	var createdCount int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key, created, err := secretbox.LoadOrCreateKeyFile(path)
			require.NoError(t, err)
			keys[i] = key
			if created {
				mu.Lock()
				createdCount++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, createdCount)
	for _, k := range keys {
		require.Equal(t, keys[0], k)
	}
}
