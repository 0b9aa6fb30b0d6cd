// Package sandboxid cuts made-up ids of every platform's shape (digits, base32, base64,
// AT Protocol TIDs) from a hash. Each platform's Spec says, with these, what its sandbox
// accounts and posts look like; package sandbox chooses the seed: random for an account,
// the idempotency key for a post, so a retried publish gets the same id.
package sandboxid

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// Digest is a hash from which ids of every shape are cut.
type Digest [32]byte

// New returns the Digest of seed.
func New(seed []byte) Digest { return sha256.Sum256(seed) }

// Digits returns n (at most 32) decimal digits.
func (d Digest) Digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + d[i]%10
	}
	return string(b)
}

// Base32 returns n characters of lower-case base32, the alphabet of did:plc and CIDs.
func (d Digest) Base32(n int) string {
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(append(d[:], d[:]...))
	return strings.ToLower(s[:n])
}

// Base64 returns n characters of URL-safe base64, the alphabet of YouTube ids and
// Instagram shortcodes.
func (d Digest) Base64(n int) string {
	return base64.RawURLEncoding.EncodeToString(d[:])[:n]
}

// TID returns an AT Protocol TID: 13 base32-sortable characters, top bit clear.
func (d Digest) TID() string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	v := binary.BigEndian.Uint64(d[:8]) >> 1
	out := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return string(out)
}

// Uint32 returns the digest's first four bytes as a number.
func (d Digest) Uint32() uint32 { return binary.BigEndian.Uint32(d[:4]) }
