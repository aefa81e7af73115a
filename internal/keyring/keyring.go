// Package keyring holds fnurl's master key and seals small secrets with it:
// secret access keys at rest, session tokens and anything else that must not
// be readable from the data directory or the database alone.
//
// Every purpose ("access-key", "session-token", ...) gets its own AES-256-GCM
// key derived from the master key with HKDF-SHA256, and every sealed value is
// bound to associated data chosen by the caller (for example the access key
// ID), so a ciphertext copied to another row does not open.
//
// Sealed format: one version byte (1), a 12-byte random nonce, the
// ciphertext and the 16-byte tag.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// KeySize is the size of the master key in bytes.
const KeySize = 32

const version byte = 1

// ErrOpen is returned when a sealed value does not open: wrong master key,
// wrong purpose or associated data, or a damaged value.
var ErrOpen = errors.New("keyring: sealed value does not open")

// Keyring seals and opens values under one master key. It is safe for
// concurrent use.
type Keyring struct {
	master []byte
	mu     sync.Mutex
	aeads  map[string]cipher.AEAD
}

// New returns a keyring for the 32-byte master key.
func New(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("keyring: master key must be %d bytes, got %d", KeySize, len(master))
	}
	return &Keyring{master: append([]byte(nil), master...), aeads: map[string]cipher.AEAD{}}, nil
}

// ParseKey decodes a master key given as base64 (standard or URL alphabet,
// padded or not) or as 64 hexadecimal digits.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("master key must decode to %d bytes, got %d", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("master key must be 32 bytes in base64 or 64 hex digits")
}

// LoadOrCreateFile reads the master key from path, or, when path does not
// exist, generates a new key and writes it there with mode 0600. created
// reports whether the key is new. A key file that others can read is refused.
func LoadOrCreateFile(path string) (key []byte, created bool, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		key = make([]byte, KeySize)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create master key file: %w", err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("write master key file: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("sync master key file: %w", err)
		}
		return key, true, f.Close()
	case err != nil:
		return nil, false, fmt.Errorf("master key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("master key file %s has mode %v; it must not be accessible to group or others (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read master key file: %w", err)
	}
	key, err = ParseKey(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, false, nil
}

func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.aeads[purpose]; ok {
		return a, nil
	}
	sub, err := hkdf.Key(sha256.New, k.master, nil, "fnurl/"+purpose, KeySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	k.aeads[purpose] = a
	return a, nil
}

// Seal encrypts plaintext for purpose, bound to aad.
func (k *Keyring) Seal(purpose string, aad, plaintext []byte) ([]byte, error) {
	a, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, 1+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = version
	return a.Seal(out, nil, plaintext, aad), nil
}

// Open decrypts a value sealed for purpose with aad. It returns ErrOpen when
// the value does not open.
func (k *Keyring) Open(purpose string, aad, sealed []byte) ([]byte, error) {
	a, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := a.Open(nil, nil, sealed[1:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
