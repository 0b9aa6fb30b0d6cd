// Package password hashes the dashboard users' passwords with argon2id and checks them.
//
// A hash is stored as a PHC string, "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", the
// salt (16 random bytes) and the hash (32 bytes) in unpadded standard base64, as the
// reference implementation and most other libraries write them. The parameters are
// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane. Verify reads them back
// from the stored string, not from these constants, so they can be raised later: hashes
// made before keep verifying with the parameters they were made with.
//
// Each hash costs its memory (19 MiB) for its duration; the caller bounds how many run at
// once (service.hashSlots).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The parameters new hashes are made with.
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	hashLen   = 32
)

// Bounds on the parameters Verify accepts from a stored string, so that a corrupted or
// planted row cannot make one check cost gigabytes or hours.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxPasses    = 100
	maxLanes     = 255 // argon2's own limit
	minSaltLen   = 8
	maxSaltLen   = 64
	minHashLen   = 16
	maxHashLen   = 64
)

// ErrMalformed is returned by Verify for a stored string that is not an argon2id hash
// this package can check.
var ErrMalformed = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of pw's argon2id hash with a fresh random salt.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	sum := argon2.IDKey([]byte(pw), salt, passes, memoryKiB, lanes, hashLen)
	return encode(params{memory: memoryKiB, passes: passes, lanes: lanes}, salt, sum), nil
}

// Verify reports whether pw is the password stored was made from. The comparison takes
// the same time wherever the hashes differ. A stored string that is not a well-formed
// argon2id hash is an error (wrapping ErrMalformed), never a plain false.
func Verify(stored, pw string) (bool, error) {
	p, salt, want, err := decode(stored)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.passes, p.memory, p.lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

type params struct {
	memory, passes uint32
	lanes          uint8
}

func encode(p params, salt, sum []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.passes, p.lanes, b64.EncodeToString(salt), b64.EncodeToString(sum))
}

func decode(stored string) (params, []byte, []byte, error) {
	bad := func(why string) (params, []byte, []byte, error) {
		return params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not a PHC string of 5 fields")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version")
	}
	var p params
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return bad("parameters are not m,t,p")
	}
	for i, name := range []string{"m", "t", "p"} {
		k, v, ok := strings.Cut(fields[i], "=")
		if !ok || k != name {
			return bad("parameters are not m,t,p")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || v != strconv.FormatUint(n, 10) {
			return bad("parameter " + name + " is not a number")
		}
		switch name {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.passes = uint32(n)
		case "p":
			if n > maxLanes {
				return bad("parameter p out of range")
			}
			p.lanes = uint8(n)
		}
	}
	switch {
	case p.lanes < 1:
		return bad("parameter p out of range")
	case p.passes < 1 || p.passes > maxPasses:
		return bad("parameter t out of range")
	case p.memory < 8*uint32(p.lanes) || p.memory > maxMemoryKiB:
		return bad("parameter m out of range")
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("salt is not base64 of 8 to 64 bytes")
	}
	sum, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(sum) < minHashLen || len(sum) > maxHashLen {
		return bad("hash is not base64 of 16 to 64 bytes")
	}
	return p, salt, sum, nil
}
