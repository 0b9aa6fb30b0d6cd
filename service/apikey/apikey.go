// Package apikey defines the Octopost API key format: generation, offline
// validation, hashing for storage, and extraction from the Authorization
// header. It does no I/O; looking a key up is the caller's job.
//
// A key is "oct_<mode>_<body>", where body is the base62 encoding of 32
// random bytes (fixed width) followed by a 6-character base62 CRC32 of
// everything before it. The checksum lets the server reject typos and
// garbage without a database round trip and lets secret scanners recognise
// leaked keys with few false positives (the GitHub token scheme).
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
)

// Mode says which data a key may touch: live keys see live data only, test
// keys sandbox data only.
type Mode string

const (
	Live Mode = "live"
	Test Mode = "test"
)

// Valid reports whether m is one of the known modes.
func (m Mode) Valid() bool { return m == Live || m == Test }

// prefix is the literal start of every key of mode m, e.g. "oct_live_".
func (m Mode) prefix() string { return "oct_" + string(m) + "_" }

// The errors never include the offending input: it may be a real secret and
// errors end up in logs.
var (
	// ErrMalformed means the string is not a well-formed key or header. The
	// wrapped message (if any) says why, for logs only; every case maps to
	// the same 401.
	ErrMalformed = errors.New("apikey: malformed")
	// ErrMissing means the Authorization header was empty or absent.
	ErrMissing = errors.New("apikey: missing authorization header")

	errPrefix   = fmt.Errorf("%w: unknown prefix", ErrMalformed)
	errLength   = fmt.Errorf("%w: wrong length", ErrMalformed)
	errCharset  = fmt.Errorf("%w: invalid character", ErrMalformed)
	errChecksum = fmt.Errorf("%w: checksum mismatch", ErrMalformed)
	errScheme   = fmt.Errorf("%w: authorization must be \"Bearer <key>\"", ErrMalformed)
)

// alphabet is ASCII-ordered so that encoded values of equal length compare
// like the numbers they encode (handy when eyeballing, not relied upon).
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	randomBytes = 32 // 256 bits, well above the contract's 128-bit minimum
	// randomLen is the number of base62 digits needed for any 32-byte value:
	// ceil(256 / log2(62)) = 43. Shorter encodings are left-padded with '0'
	// so every key has the same length and length alone rejects garbage.
	randomLen   = 43
	checksumLen = 6 // 62^6 > 2^32, so any CRC32 fits
	prefixLen   = len("oct_live_")
	// keyLen is the exact length of every key: 9 + 43 + 6 = 58.
	keyLen = prefixLen + randomLen + checksumLen
)

// Key is a freshly generated key. Only Hash, Hint and Mode may be stored;
// Secret is shown to the user once and then forgotten.
type Key struct {
	Secret string // the full key, e.g. "oct_live_…"
	Hash   string // Hash(Secret), what the database keeps
	Hint   string // Hint(Secret), safe to display, e.g. "oct_live_…a1B2"
	Mode   Mode
}

// Generate creates a new random key of the given mode.
func Generate(mode Mode) (Key, error) {
	if !mode.Valid() {
		return Key{}, fmt.Errorf("apikey: invalid mode %q", string(mode))
	}
	var random [randomBytes]byte
	// crypto/rand.Read never fails since Go 1.24 (it crashes the program
	// instead), but the signature still returns an error; keep the check so a
	// future change cannot silently produce a weak key.
	if _, err := rand.Read(random[:]); err != nil {
		return Key{}, fmt.Errorf("apikey: reading randomness: %w", err)
	}
	b := make([]byte, 0, keyLen)
	b = append(b, mode.prefix()...)
	b = b[:prefixLen+randomLen]
	encode(b[prefixLen:], random[:])
	b = appendChecksum(b)
	secret := string(b)
	return Key{Secret: secret, Hash: Hash(secret), Hint: Hint(secret), Mode: mode}, nil
}

// Parse checks that s is a well-formed key (prefix, exact length, charset,
// checksum) and returns its mode. It says nothing about whether the key
// exists or is revoked. Any failure is ErrMalformed (wrapped with a reason).
func Parse(s string) (Mode, error) {
	if len(s) != keyLen {
		return "", errLength
	}
	var mode Mode
	switch s[:prefixLen] {
	case Live.prefix():
		mode = Live
	case Test.prefix():
		mode = Test
	default:
		return "", errPrefix
	}
	for i := prefixLen; i < keyLen; i++ {
		if decodeTable[s[i]] < 0 {
			return "", errCharset
		}
	}
	// The checksum is public (it is part of the key), so a plain comparison
	// leaks nothing worth a constant-time one.
	var sum [checksumLen]byte
	if string(checksum(sum[:], []byte(s[:keyLen-checksumLen]))) != s[keyLen-checksumLen:] {
		return "", errChecksum
	}
	return mode, nil
}

// Hash returns the lowercase hex SHA-256 of the whole key. A fast unsalted
// hash is right here: keys carry 256 random bits, so brute force is hopeless,
// and the lookup must be cheap on every request (never bcrypt per request).
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Hint returns the non-secret display form of a key, its prefix and last
// four characters, e.g. "oct_live_…a1B2". The last characters belong to the
// checksum, so the hint reveals none of the random part. For anything that
// is not a well-formed key it returns "": we never echo part of an arbitrary
// string, which might be some other secret pasted by mistake.
func Hint(secret string) string {
	if _, err := Parse(secret); err != nil {
		return ""
	}
	return secret[:prefixLen] + "…" + secret[len(secret)-4:]
}

// FromAuthorization extracts the key from an Authorization header value. The
// value must be exactly "Bearer <key>": the scheme is case-insensitive (RFC
// 7235 §2.1), then exactly one space, then a non-empty RFC 6750 b64token
// (which excludes spaces and control characters). An empty value is
// ErrMissing, anything else wrong is ErrMalformed. The key itself is not
// validated; call Parse for that.
func FromAuthorization(header string) (string, error) {
	if header == "" {
		return "", ErrMissing
	}
	const scheme = "bearer "
	if len(header) <= len(scheme) || !asciiEqualFold(header[:len(scheme)], scheme) {
		return "", errScheme
	}
	key := header[len(scheme):]
	if !isB64Token(key) {
		return "", errScheme
	}
	return key, nil
}

// asciiEqualFold compares s to the lowercase ASCII string lower ignoring
// ASCII case only. strings.EqualFold would also apply Unicode folding (e.g.
// the Kelvin sign matches "k"), which HTTP scheme names do not have.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// checksum writes the base62 CRC32 (IEEE) of b into dst (len checksumLen)
// and returns it.
func checksum(dst, b []byte) []byte {
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE(b))
	encode(dst, crc[:])
	return dst
}

// appendChecksum appends the checksum of b to b.
func appendChecksum(b []byte) []byte {
	var sum [checksumLen]byte
	return append(b, checksum(sum[:], b)...)
}

// encode writes the big-endian number in src to dst as fixed-width base62,
// left-padded with '0'. dst must be wide enough for any value of len(src)
// bytes; the callers' sizes are constants that guarantee it.
func encode(dst, src []byte) {
	var buf [randomBytes]byte
	n := copy(buf[:], src)
	num := buf[:n]
	// Schoolbook long division by 62, one output digit per pass. The inputs
	// are at most 32 bytes, so this is cheaper and simpler than math/big.
	for i := len(dst) - 1; i >= 0; i-- {
		var rem uint
		for j := range num {
			cur := rem<<8 | uint(num[j])
			num[j] = byte(cur / 62)
			rem = cur % 62
		}
		dst[i] = alphabet[rem]
	}
}

// decodeTable maps a byte to its base62 digit value, or -1.
var decodeTable = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()
