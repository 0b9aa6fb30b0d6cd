package id

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRandomOverflowBorrowsNextMillisecond exercises the otherwise
// unreachable case of 2^80 ids in one millisecond: the order must hold.
func TestRandomOverflowBorrowsNextMillisecond(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1_700_000_000_000)
	g := &Generator{Now: func() time.Time { return now }}
	first := g.New(Post)
	g.hi, g.lo = hiMask, ^uint64(0)-1 // two steps below overflow

	a := g.New(Post) // random part all ones
	b := g.New(Post) // wraps: next millisecond, random zero
	require.Equal(t, "post_"+first[5:15]+"ZZZZZZZZZZZZZZZZ", a)
	require.Less(t, a, b)
	require.Equal(t, "0000000000000000", b[15:])
	tb, ok := Time(b)
	require.True(t, ok)
	require.Equal(t, now.Add(time.Millisecond).UTC(), tb)
}

func TestEncodeLayout(t *testing.T) {
	t.Parallel()
	var b [suffixLen]byte
	encode(&b, maxTime, hiMask, ^uint64(0))
	require.Equal(t, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", string(b[:]))
	encode(&b, 0, 0, 0)
	require.Equal(t, "00000000000000000000000000", string(b[:]))
	// The top random bit lands in the 11th character, the bottom in the last.
	encode(&b, 0, 1<<15, 0)
	require.Equal(t, "0000000000G000000000000000", string(b[:]))
	encode(&b, 0, 0, 1)
	require.Equal(t, "00000000000000000000000001", string(b[:]))
	// Bit 64 (lowest of hi) sits in the 13th-from-last character.
	encode(&b, 0, 1, 0)
	require.Equal(t, "0000000000000G000000000000", string(b[:]))
}
