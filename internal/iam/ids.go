package iam

import (
	"crypto/rand"
	"encoding/base64"
)

// Unique-ID and access-key prefixes, as AWS uses them.
const (
	PrefixUser          = "AIDA"
	PrefixRole          = "AROA"
	PrefixGroup         = "AGPA"
	PrefixPolicy        = "ANPA"
	PrefixAccessKey     = "AKIA"
	PrefixTemporaryKey  = "ASIA"
	uniqueIDRandomChars = 17 // AWS unique IDs are the prefix and 17 characters
	accessKeyRandChars  = 16 // access key IDs are 20 characters in all
)

// Access key IDs use the base-32 alphabet AWS's keys are drawn from.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

// NewUniqueID returns a unique ID with the given prefix (AIDA, AROA, ...).
func NewUniqueID(prefix string) string {
	return prefix + randomString(keyAlphabet, uniqueIDRandomChars)
}

// NewAccessKeyID returns a 20-character access key ID with the given prefix
// (AKIA for long-term keys, ASIA for temporary ones).
func NewAccessKeyID(prefix string) string {
	return prefix + randomString(keyAlphabet, accessKeyRandChars)
}

// NewSecretAccessKey returns a 40-character secret access key.
func NewSecretAccessKey() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// NewAccountID returns a random 12-digit account ID.
func NewAccountID() string {
	return randomDigits(12)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		var r [1]byte
		for {
			rand.Read(r[:])
			if r[0] < 250 { // reject to keep digits uniform
				break
			}
		}
		b[i] = '0' + r[0]%10
	}
	return string(b)
}

// ValidAccountID reports whether s is a 12-digit account ID.
func ValidAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidAccessKeyID reports whether s looks like an access key ID: 16 to 128
// characters of [A-Za-z0-9], as the IAM API's accessKeyIdType allows.
func ValidAccessKeyID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
