package apikey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/apikey"
)

// Known-good keys produced by Generate, pinned so that a change to the
// encoding (which would invalidate every issued key) fails the tests. They
// were never issued to anyone.
const (
	liveKey = "oct_live_FGOeIKPUUgpUnHkj2JBA1ZEqyuJ3Hpth8bInpU0sYAt1VjTmn"
	testKey = "oct_test_ndcHf8nb6HH713Ah7veKrowjlrx1RJsKFVLnWNaljfl19uCNC"
)

func TestGenerateRoundTrip(t *testing.T) {
	t.Parallel()
	for _, mode := range []apikey.Mode{apikey.Live, apikey.Test} {
		seen := map[string]bool{}
		for range 200 {
			k, err := apikey.Generate(mode)
			require.NoError(t, err)
			require.Equal(t, mode, k.Mode)
			require.True(t, strings.HasPrefix(k.Secret, "oct_"+string(mode)+"_"), k.Secret)
			require.Len(t, k.Secret, 58)
			require.Equal(t, apikey.Hash(k.Secret), k.Hash)
			require.Equal(t, "oct_"+string(mode)+"_…"+k.Secret[len(k.Secret)-4:], k.Hint)
			require.False(t, seen[k.Secret], "duplicate key")
			seen[k.Secret] = true

			got, err := apikey.Parse(k.Secret)
			require.NoError(t, err)
			require.Equal(t, mode, got)
		}
	}
}

func TestGenerateInvalidMode(t *testing.T) {
	t.Parallel()
	for _, m := range []apikey.Mode{"", "LIVE", "prod"} {
		_, err := apikey.Generate(m)
		require.Error(t, err, "mode %q", m)
	}
}

func TestModeValid(t *testing.T) {
	t.Parallel()
	require.True(t, apikey.Live.Valid())
	require.True(t, apikey.Test.Valid())
	require.False(t, apikey.Mode("").Valid())
	require.False(t, apikey.Mode("Live").Valid())
}

func TestParse(t *testing.T) {
	t.Parallel()
	body := liveKey[len("oct_live_"):]
	tests := []struct {
		name string
		in   string
		mode apikey.Mode // "" means expect ErrMalformed
	}{
		{"live", liveKey, apikey.Live},
		{"test", testKey, apikey.Test},
		{"empty", "", ""},
		{"prefix only", "oct_live_", ""},
		{"wrong prefix", "oct_prod_" + body, ""},
		{"uppercase prefix", "OCT_LIVE_" + body, ""},
		{"swapped mode keeps checksum", "oct_test_" + body, ""},
		{"one short", liveKey[:len(liveKey)-1], ""},
		{"one long", liveKey + "0", ""},
		{"leading space", " " + liveKey[:len(liveKey)-1], ""},
		{"trailing newline", liveKey[:len(liveKey)-1] + "\n", ""},
		{"bad char in random part", replaceAt(liveKey, 20, '-'), ""},
		{"bad char in checksum", replaceAt(liveKey, len(liveKey)-1, '_'), ""},
		{"non-ascii", replaceAt(liveKey, 30, 0xC3), ""},
		{"flipped random char", flipCase(liveKey, 25), ""},
		{"flipped checksum char", flipCase(liveKey, len(liveKey)-3), ""},
		{"bearer prefix", "Bearer " + liveKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mode, err := apikey.Parse(tt.in)
			if tt.mode == "" {
				require.ErrorIs(t, err, apikey.ErrMalformed)
				require.Empty(t, mode)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.mode, mode)
		})
	}
}

// TestParseRejectsEverySingleEdit checks exhaustively that the checksum
// catches every one-character substitution and every adjacent transposition
// (CRC32 detects all bursts up to 32 bits, so none may slip through).
func TestParseRejectsEverySingleEdit(t *testing.T) {
	t.Parallel()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := len("oct_live_"); i < len(liveKey); i++ {
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == liveKey[i] {
				continue
			}
			edited := replaceAt(liveKey, i, alphabet[j])
			_, err := apikey.Parse(edited)
			require.ErrorIs(t, err, apikey.ErrMalformed, "substitution at %d accepted: %s", i, edited)
		}
		if i+1 < len(liveKey) && liveKey[i] != liveKey[i+1] {
			b := []byte(liveKey)
			b[i], b[i+1] = b[i+1], b[i]
			_, err := apikey.Parse(string(b))
			require.ErrorIs(t, err, apikey.ErrMalformed, "transposition at %d accepted", i)
		}
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	// sha256("abc") from FIPS 180-2.
	require.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", apikey.Hash("abc"))
	require.NotEqual(t, apikey.Hash(liveKey), apikey.Hash(testKey))
}

func TestHint(t *testing.T) {
	t.Parallel()
	require.Equal(t, "oct_live_…"+liveKey[len(liveKey)-4:], apikey.Hint(liveKey))
	require.Equal(t, "oct_test_…"+testKey[len(testKey)-4:], apikey.Hint(testKey))
	require.Empty(t, apikey.Hint(""))
	require.Empty(t, apikey.Hint("ghp_somethingelse"), "must not echo foreign secrets")
	require.Empty(t, apikey.Hint(flipCase(liveKey, 25)))
}

func TestFromAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   string
		err    error
	}{
		{"canonical", "Bearer " + liveKey, liveKey, nil},
		{"lowercase scheme", "bearer " + liveKey, liveKey, nil},
		{"uppercase scheme", "BEARER " + liveKey, liveKey, nil},
		{"mixed case scheme", "bEaReR abc", "abc", nil},
		{"not validated", "Bearer not-a-key", "not-a-key", nil},
		{"b64token padding", "Bearer abc==", "abc==", nil},
		{"empty", "", "", apikey.ErrMissing},
		{"scheme only", "Bearer", "", apikey.ErrMalformed},
		{"scheme and space", "Bearer ", "", apikey.ErrMalformed},
		{"two spaces", "Bearer  " + liveKey, "", apikey.ErrMalformed},
		{"tab separator", "Bearer\t" + liveKey, "", apikey.ErrMalformed},
		{"no separator", "Bearer" + liveKey, "", apikey.ErrMalformed},
		{"trailing space", "Bearer " + liveKey + " ", "", apikey.ErrMalformed},
		{"space in key", "Bearer abc def", "", apikey.ErrMalformed},
		{"leading space", " Bearer " + liveKey, "", apikey.ErrMalformed},
		{"basic scheme", "Basic dXNlcjpwYXNz", "", apikey.ErrMalformed},
		{"bare key", liveKey, "", apikey.ErrMalformed},
		{"token scheme", "Token " + liveKey, "", apikey.ErrMalformed},
		{"only padding", "Bearer ==", "", apikey.ErrMalformed},
		{"padding inside", "Bearer a=b", "", apikey.ErrMalformed},
		{"control char", "Bearer abc\x00", "", apikey.ErrMalformed},
		{"unicode key", "Bearer clé", "", apikey.ErrMalformed},
		{"unicode scheme", "Beärer " + liveKey, "", apikey.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := apikey.FromAuthorization(tt.header)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestErrorsDoNotLeakInput(t *testing.T) {
	t.Parallel()
	secret := flipCase(liveKey, 25)
	_, err := apikey.Parse(secret)
	require.Error(t, err)
	require.NotContains(t, err.Error(), secret[9:20])
	_, err = apikey.FromAuthorization("Token " + liveKey)
	require.Error(t, err)
	require.NotContains(t, err.Error(), liveKey[9:20])
	require.False(t, errors.Is(err, apikey.ErrMissing))
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := apikey.Parse(liveKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := apikey.Generate(apikey.Live); err != nil {
			b.Fatal(err)
		}
	}
}

func replaceAt(s string, i int, c byte) string {
	b := []byte(s)
	b[i] = c
	return string(b)
}

// flipCase toggles the case of the letter at i (or nudges a digit), giving a
// key that is still in charset and length but has the wrong checksum.
func flipCase(s string, i int) string {
	c := s[i]
	switch {
	case 'a' <= c && c <= 'z':
		c -= 'a' - 'A'
	case 'A' <= c && c <= 'Z':
		c += 'a' - 'A'
	case c == '9':
		c = '0'
	default:
		c++
	}
	return replaceAt(s, i, c)
}
