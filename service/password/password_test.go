package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
)

func TestHashIsAnArgon2idPHCStringThatVerifies(t *testing.T) {
	t.Parallel()
	stored, err := Hash("correct horse battery staple")
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`), stored)

	ok, err := Verify(stored, "correct horse battery staple")
	require.NoError(t, err)
	require.True(t, ok)

	for _, wrong := range []string{"", "correct horse battery stapl", "correct horse battery staple ", "Correct horse battery staple"} {
		ok, err := Verify(stored, wrong)
		require.NoError(t, err)
		require.False(t, ok, "%q", wrong)
	}
}

func TestEachHashHasItsOwnSalt(t *testing.T) {
	t.Parallel()
	a, err := Hash("same password here")
	require.NoError(t, err)
	b, err := Hash("same password here")
	require.NoError(t, err)
	require.NotEqual(t, a, b)
	require.NotEqual(t, strings.Split(a, "$")[4], strings.Split(b, "$")[4])
}

// A hash made with other parameters than today's verifies with its own: raising them later
// keeps every stored password working.
func TestVerifyUsesTheStoredParameters(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	sum := argon2.IDKey([]byte("an older password"), salt, 3, 64, 2, 24)
	stored := encode(params{memory: 64, passes: 3, lanes: 2}, salt, sum)
	require.True(t, strings.HasPrefix(stored, "$argon2id$v=19$m=64,t=3,p=2$"), stored)

	ok, err := Verify(stored, "an older password")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = Verify(stored, "another password")
	require.NoError(t, err)
	require.False(t, ok)

	// The same hash read with today's parameters would not match: the stored ones are used.
	require.NotEqual(t, sum, argon2.IDKey([]byte("an older password"), salt, passes, memoryKiB, lanes, 24))
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	good, err := Hash("a good password")
	require.NoError(t, err)
	f := strings.Split(good, "$")
	with := func(i int, v string) string {
		g := append([]string(nil), f...)
		g[i] = v
		return strings.Join(g, "$")
	}
	for name, stored := range map[string]string{
		"empty":            "",
		"plaintext":        "a good password",
		"bcrypt":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":          with(1, "argon2i"),
		"version 16":       with(2, "v=16"),
		"no version":       strings.Join(append(f[:2:2], f[3:]...), "$"),
		"params order":     with(3, "t=2,m=19456,p=1"),
		"params missing":   with(3, "m=19456,t=2"),
		"params signed":    with(3, "m=+19456,t=2,p=1"),
		"params leading 0": with(3, "m=019456,t=2,p=1"),
		"zero passes":      with(3, "m=19456,t=0,p=1"),
		"zero lanes":       with(3, "m=19456,t=2,p=0"),
		"lanes too many":   with(3, "m=19456,t=2,p=256"),
		"memory too small": with(3, "m=7,t=2,p=1"),
		"memory too large": with(3, "m=4194304,t=2,p=1"),
		"passes too many":  with(3, "m=19456,t=1000,p=1"),
		"salt not base64":  with(4, "!!!!"),
		"salt padded":      with(4, f[4]+"=="),
		"salt too short":   with(4, "c2FsdA"),
		"hash not base64":  with(5, "%%%%"),
		"hash too short":   with(5, "c2hvcnQ"),
		"extra field":      good + "$x",
	} {
		ok, err := Verify(stored, "a good password")
		require.ErrorIs(t, err, ErrMalformed, name)
		require.False(t, ok, name)
		require.True(t, errors.Is(err, ErrMalformed))
	}
}
