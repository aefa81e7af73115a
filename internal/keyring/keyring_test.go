package keyring_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnurl/fnurl/internal/keyring"
)

func mustKeyring(tb testing.TB, b byte) *keyring.Keyring {
	tb.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{b}, keyring.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := mustKeyring(t, 1)
	secret := []byte("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	sealed, err := k.Seal("access-key", []byte("AKIAEXAMPLE"), secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open("access-key", []byte("AKIAEXAMPLE"), sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want %q", got, err, secret)
	}

	tests := []struct {
		name    string
		k       *keyring.Keyring
		purpose string
		aad     string
		sealed  []byte
	}{
		{"other master key", mustKeyring(t, 2), "access-key", "AKIAEXAMPLE", sealed},
		{"other purpose", k, "session-token", "AKIAEXAMPLE", sealed},
		{"other aad", k, "access-key", "AKIAOTHER", sealed},
		{"truncated", k, "access-key", "AKIAEXAMPLE", sealed[:10]},
		{"empty", k, "access-key", "AKIAEXAMPLE", nil},
		{"bad version", k, "access-key", "AKIAEXAMPLE", append([]byte{9}, sealed[1:]...)},
		{"flipped byte", k, "access-key", "AKIAEXAMPLE", flip(sealed, len(sealed)-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.k.Open(tt.purpose, []byte(tt.aad), tt.sealed); !errors.Is(err, keyring.ErrOpen) {
				t.Errorf("Open = %v, want ErrOpen", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func TestSealIsRandomized(t *testing.T) {
	k := mustKeyring(t, 1)
	a, _ := k.Seal("p", nil, []byte("x"))
	b, _ := k.Seal("p", nil, []byte("x"))
	if bytes.Equal(a, b) {
		t.Error("two seals of the same value are equal")
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 32)
	tests := []struct {
		in      string
		wantErr bool
	}{
		{base64.StdEncoding.EncodeToString(raw), false},
		{base64.RawURLEncoding.EncodeToString(raw), false},
		{strings.Repeat("ab", 32), false},
		{" " + base64.StdEncoding.EncodeToString(raw) + "\n", false},
		{base64.StdEncoding.EncodeToString(raw[:16]), true},
		{"not a key", true},
		{"", true},
	}
	for _, tt := range tests {
		got, err := keyring.ParseKey(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseKey(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && !bytes.Equal(got, raw) {
			t.Errorf("ParseKey(%q) = %x, want %x", tt.in, got, raw)
		}
	}
}

func TestLoadOrCreateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k1, created, err := keyring.LoadOrCreateFile(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateFile = %v, created %v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want 0600", got)
	}
	k2, created, err := keyring.LoadOrCreateFile(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateFile = %v, created %v", err, created)
	}
	if !bytes.Equal(k1, k2) {
		t.Error("key changed across loads")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keyring.LoadOrCreateFile(path); err == nil {
		t.Error("world-readable key file accepted")
	}
}
