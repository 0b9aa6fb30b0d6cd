// Package id makes Octopost's resource ids: a type prefix, an underscore and
// a 26-character ULID-style suffix (48-bit Unix milliseconds + 80 random
// bits in Crockford base32), e.g. "post_01JQ8Z7X4T9M2K5V6W3N0P1R8S".
//
// Ids sort as strings in creation order: across processes to the
// millisecond, and strictly within a process (ids made in the same
// millisecond increment the random part instead of drawing a new one). That
// is what lets list endpoints paginate by id (keyset) and still be "newest
// first". Ids are opaque to clients; they are not secrets and not
// unguessable within a millisecond, so access control must never rely on
// them (every query is scoped by user and mode anyway).
package id

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Type prefixes from the API contract (§1). System presets use
// "preset_sys_…" ids, which are fixed names rather than generated ids.
const (
	Post     = "post"
	Account  = "acc"
	Preset   = "preset"
	Webhook  = "wh"
	Event    = "evt"
	APIKey   = "key" // the key's id, never its secret
	Delivery = "del"
	User     = "usr"
)

const (
	// suffixLen is the length of the part after "prefix_".
	suffixLen = 26
	// alphabet is Crockford's base32. It is in ASCII order, which is what
	// makes the string order of ids equal their numeric order.
	alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	timeLen  = 10             // 10 chars × 5 bits = 50 ≥ 48 bits
	maxTime  = 1<<48 - 1      // milliseconds; year 10889
	maxFirst = '7'            // the top 2 of the 50 time bits are zero
	hiMask   = 1<<(80-64) - 1 // the random part's top 16 bits
)

// Generator makes ids. The zero value is ready to use and reads the system
// clock; it is safe for concurrent use. Most code uses the package-level New.
type Generator struct {
	// Now is the clock, for tests; nil means time.Now. Set it before the
	// first call to New.
	Now func() time.Time

	mu     sync.Mutex
	lastMs uint64
	hi     uint64 // top 16 of the last id's 80 random bits
	lo     uint64 // bottom 64 bits
}

var std Generator

// New returns a new id with the given prefix from the process-wide
// generator, e.g. New(Post) = "post_01JQ8Z7X4T9M2K5V6W3N0P1R8S".
func New(prefix string) string { return std.New(prefix) }

// New returns a new id with the given prefix, greater (as a string) than
// every id g returned before with the same prefix.
func (g *Generator) New(prefix string) string {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	ms := clampMs(now().UnixMilli())

	g.mu.Lock()
	if ms > g.lastMs {
		var b [10]byte
		// crypto/rand.Read never returns an error since Go 1.24 (it crashes
		// the program instead), so there is nothing to handle.
		_, _ = rand.Read(b[:])
		g.lastMs = ms
		g.hi = uint64(binary.BigEndian.Uint16(b[:2]))
		g.lo = binary.BigEndian.Uint64(b[2:])
	} else {
		// Same millisecond, or the clock stepped back: keep the last
		// timestamp and count up so order still matches creation order. The
		// timestamp may then run slightly ahead of the clock, never behind
		// an earlier id.
		g.lo++
		if g.lo == 0 {
			g.hi = (g.hi + 1) & hiMask
			if g.hi == 0 && g.lastMs < maxTime {
				// 2^80 ids in one millisecond is impossible in practice, but
				// borrowing the next millisecond keeps the order correct
				// rather than wrapping around.
				g.lastMs++
			}
		}
	}
	var b [suffixLen]byte
	encode(&b, g.lastMs, g.hi, g.lo)
	g.mu.Unlock()

	return prefix + "_" + string(b[:])
}

// Time returns the creation time encoded in an id (millisecond precision,
// UTC). ok is false if id does not end in "_" plus a well-formed suffix.
func Time(id string) (t time.Time, ok bool) {
	i := strings.LastIndexByte(id, '_')
	if i < 0 || !validSuffix(id[i+1:]) {
		return time.Time{}, false
	}
	var ms int64
	for _, c := range []byte(id[i+1 : i+1+timeLen]) {
		ms = ms<<5 | int64(decodeTable[c])
	}
	return time.UnixMilli(ms).UTC(), true
}

// Valid reports whether s has the shape of an id with the given prefix:
// prefix, "_", and a 26-character canonical (uppercase) suffix whose
// timestamp fits in 48 bits. It is a cheap syntax check for rejecting junk
// (bad path ids, forged cursors) before touching the database.
func Valid(prefix, s string) bool {
	return len(s) == len(prefix)+1+suffixLen &&
		strings.HasPrefix(s, prefix) &&
		s[len(prefix)] == '_' &&
		validSuffix(s[len(prefix)+1:])
}

func validSuffix(s string) bool {
	if len(s) != suffixLen || s[0] > maxFirst {
		return false
	}
	for i := 0; i < len(s); i++ {
		if decodeTable[s[i]] < 0 {
			return false
		}
	}
	return true
}

// clampMs maps a Unix-millisecond time into the 48-bit range, so a broken
// clock yields a valid (if odd) id rather than a corrupt one.
func clampMs(ms int64) uint64 {
	switch {
	case ms < 0:
		return 0
	case ms > maxTime:
		return maxTime
	}
	return uint64(ms)
}

// encode writes the 48-bit time and 80-bit random value (hi:lo) as 26
// base32 characters, most significant first.
func encode(b *[suffixLen]byte, ms, hi, lo uint64) {
	for i := timeLen - 1; i >= 0; i-- {
		b[i] = alphabet[ms&31]
		ms >>= 5
	}
	// 80 bits = 16 chars: the low 64 bits fill 12 chars and 4 bits of a
	// 13th; that char's 5th bit is the lowest bit of hi.
	for i := suffixLen - 1; i >= timeLen; i-- {
		b[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
}

// decodeTable maps a byte to its base32 digit value, or -1. Only canonical
// uppercase digits are accepted: New never emits anything else, and one
// spelling per id keeps string comparison meaningful.
var decodeTable = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()
