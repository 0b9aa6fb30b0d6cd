// Package secretbox encrypts the platform credentials Octopost stores (access tokens, app
// passwords, webhook URLs), so that a copy of the database alone does not give them away.
//
// A sealed value is a version byte, a random 96-bit nonce and the AES-256-GCM ciphertext
// with its tag. The version byte names the key and algorithm, so a later release can
// rotate either and still open what was sealed before.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version1 is AES-256-GCM with a 12-byte random nonce under the one configured key.
const version1 byte = 1

const nonceSize = 12

// ErrOpen is returned for a sealed value that does not open: it was sealed with another
// key, or changed since it was sealed, or is not a sealed value at all.
var ErrOpen = errors.New("secretbox: cannot open sealed value (wrong key, or damaged)")

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts and authenticates plaintext. Sealing the same plaintext twice gives two
// different values.
func (b *Box) Seal(plaintext []byte) []byte {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	rand.Read(out[1:]) // never fails: crypto/rand aborts the program if it cannot read
	return b.aead.Seal(out, out[1:1+nonceSize], plaintext, out[:1])
}

// Open returns the plaintext of a value Seal made with the same key, or ErrOpen.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < 1+nonceSize+b.aead.Overhead() {
		return nil, ErrOpen
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrOpen, sealed[0])
	}
	// The version byte is authenticated too, so it cannot be swapped for another.
	plaintext, err := b.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], sealed[:1])
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// GenerateKey returns a new random key in standard base64, the form ParseKey reads.
func GenerateKey() string {
	key := make([]byte, KeySize)
	rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// ParseKey decodes a key given as base64 (standard or URL alphabet, padded or not), such
// as GenerateKey's or `openssl rand -base64 32`'s output. Its errors never include the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secretbox: key is empty: want 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("secretbox: key decodes to %d bytes, want %d (e.g. `openssl rand -base64 32`)", len(key), KeySize)
		}
		return key, nil
	}
	return nil, errors.New("secretbox: key is not valid base64: want 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
}

// LoadOrCreateKeyFile reads the key in the file at path, or, when there is no such file,
// generates one and writes it there readable by its owner only (mode 0600). created
// reports which. This is how a single-node install keeps its key next to its database
// without the operator having to make one; the file must then be backed up with the
// database, since the stored credentials cannot be opened without it.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	encoded := GenerateKey()
	// The key is written to a temporary file and linked into place, so the file appears
	// whole or not at all: two instances starting together never read a half-written
	// key, and the one that links second reads the first one's.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".octopost-key-*") // mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(encoded + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			key, err := readKeyFile(path)
			return key, false, err
		}
		return nil, false, fmt.Errorf("secretbox: create key file: %w", err)
	}
	key, err = ParseKey(encoded)
	return key, true, err
}

func readKeyFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: read key file: %w", err)
	}
	key, err := ParseKey(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%w (key file %s)", err, path)
	}
	return key, nil
}
