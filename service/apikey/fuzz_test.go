package apikey_test

import (
	"errors"
	"hash/crc32"
	"math/big"
	"strings"
	"testing"

	"github.com/octopost/octopost/service/apikey"
)

// parseSeeds are valid keys and near misses; `go test` runs them as plain
// tests, `go test -fuzz=FuzzParse` mutates from them.
func parseSeeds() []string {
	return []string{
		liveKey,
		testKey,
		"",
		"oct_live_",
		"oct_test_",
		"oct_",
		"oct_live_" + strings.Repeat("0", 49),
		"oct_live_" + strings.Repeat("z", 49),
		"oct_prod_" + liveKey[9:],
		"OCT_LIVE_" + liveKey[9:],
		"oct_test_" + liveKey[9:], // right checksum for the wrong prefix
		liveKey[:len(liveKey)-1],
		liveKey + "x",
		flipCase(liveKey, 20),
		flipCase(liveKey, len(liveKey)-1),
		replaceAt(liveKey, 30, '_'),
		"Bearer " + liveKey,
		" " + liveKey,
		liveKey[:57] + "é", // right length in bytes only if é were one byte
		"oct_live_ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙ",
		"oct_live_\x00\xff\xfe",
		strings.Repeat("oct_live_", 1000),
		strings.Repeat("\xff", 58),
		"ghp_16C7e42F292c6912E7710c838347Ae178B4a",
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mode, err := apikey.Parse(s)
		if err != nil {
			if !errors.Is(err, apikey.ErrMalformed) {
				t.Fatalf("Parse(%q) error %v is not ErrMalformed", s, err)
			}
			if mode != "" {
				t.Fatalf("Parse(%q) returned mode %q with an error", s, mode)
			}
			if apikey.Hint(s) != "" {
				t.Fatalf("Hint(%q) is non-empty for a malformed key", s)
			}
			return
		}
		prefix := "oct_" + string(mode) + "_"
		if !mode.Valid() || !strings.HasPrefix(s, prefix) {
			t.Fatalf("Parse(%q) accepted with mode %q", s, mode)
		}
		if len(s) != 58 {
			t.Fatalf("Parse accepted a key of length %d: %q", len(s), s)
		}
		for i := len(prefix); i < len(s); i++ {
			c := s[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				t.Fatalf("Parse accepted non-base62 byte %q in %q", c, s)
			}
		}
		if want := referenceChecksum(s[:52]); s[52:] != want {
			t.Fatalf("Parse accepted %q, checksum should be %q", s, want)
		}
		if hint := apikey.Hint(s); hint != prefix+"…"+s[54:] {
			t.Fatalf("Hint(%q) = %q", s, hint)
		}
	})
}

func FuzzFromAuthorization(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add("Bearer " + s)
	}
	for _, s := range []string{
		"",
		"Bearer",
		"Bearer ",
		"bearer " + liveKey,
		"BEARER " + liveKey,
		"Bearer  " + liveKey,
		"Bearer\t" + liveKey,
		"Bearer " + liveKey + " ",
		"Bearer a b",
		"Bearer abc==",
		"Bearer ==",
		"Bearer a=b",
		"Basic dXNlcjpwYXNz",
		"Bearer\u00a0" + liveKey,
		"Beaｒer " + liveKey, // fullwidth r
		"Bearer " + strings.Repeat("A", 4096),
		"Bearer \r\n" + liveKey,
		liveKey,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		key, err := apikey.FromAuthorization(header)
		if err != nil {
			if header == "" && !errors.Is(err, apikey.ErrMissing) {
				t.Fatalf("empty header: got %v, want ErrMissing", err)
			}
			if header != "" && !errors.Is(err, apikey.ErrMalformed) {
				t.Fatalf("FromAuthorization(%q) error %v is not ErrMalformed", header, err)
			}
			if key != "" {
				t.Fatalf("FromAuthorization(%q) returned %q with an error", header, key)
			}
			return
		}
		if key == "" || strings.ContainsAny(key, " \t\r\n") {
			t.Fatalf("FromAuthorization(%q) = %q: empty or has whitespace", header, key)
		}
		if len(header) != len("Bearer ")+len(key) ||
			!strings.EqualFold(header[:7], "Bearer ") || header[7:] != key {
			t.Fatalf("FromAuthorization(%q) = %q: header is not \"Bearer \"+key", header, key)
		}
		for i := 0; i < len(key); i++ {
			if key[i] <= ' ' || key[i] >= 0x7f {
				t.Fatalf("FromAuthorization(%q) = %q: key has byte %q", header, key, key[i])
			}
		}
	})
}

// referenceChecksum recomputes a key's checksum independently of the
// package (math/big instead of its hand-written encoder).
func referenceChecksum(s string) string {
	const bigAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	digits := new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(s)))).Text(62)
	out := []byte(strings.Repeat("0", 6-len(digits)) + digits)
	for i := 6 - len(digits); i < 6; i++ {
		out[i] = alphabet[strings.IndexByte(bigAlphabet, out[i])]
	}
	return string(out)
}
