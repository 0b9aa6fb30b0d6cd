package apikey

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEncodeMatchesMathBig cross-checks the hand-written base62 encoder
// against math/big, including the extremes that decide the fixed widths.
func TestEncodeMatchesMathBig(t *testing.T) {
	t.Parallel()
	inputs := [][]byte{
		make([]byte, randomBytes),
		bytes.Repeat([]byte{0xff}, randomBytes),
		append(make([]byte, randomBytes-1), 1),
	}
	for range 100 {
		b := make([]byte, randomBytes)
		_, _ = rand.Read(b)
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		dst := make([]byte, randomLen)
		encode(dst, in)
		require.Equal(t, bigBase62(in, randomLen), string(dst))
	}
	for _, in := range [][]byte{{0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff}, {0x12, 0x34, 0x56, 0x78}} {
		dst := make([]byte, checksumLen)
		encode(dst, in)
		require.Equal(t, bigBase62(in, checksumLen), string(dst))
	}
}

// TestWidths guards the constants: the widths must fit the largest value,
// and be no wider than needed (a wider field would always start with '0').
func TestWidths(t *testing.T) {
	t.Parallel()
	maxRandom := new(big.Int).Lsh(big.NewInt(1), 8*randomBytes)
	require.Len(t, new(big.Int).Sub(maxRandom, big.NewInt(1)).Text(62), randomLen)
	require.Len(t, big.NewInt(1<<32-1).Text(62), checksumLen)
	require.Equal(t, 58, keyLen)
}

// bigBase62 encodes b with math/big, mapped onto our alphabet (math/big puts
// lowercase before uppercase) and left-padded to width.
func bigBase62(b []byte, width int) string {
	const bigAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	s := new(big.Int).SetBytes(b).Text(62)
	var out strings.Builder
	out.WriteString(strings.Repeat("0", width-len(s)))
	for i := 0; i < len(s); i++ {
		out.WriteByte(alphabet[strings.IndexByte(bigAlphabet, s[i])])
	}
	return out.String()
}
