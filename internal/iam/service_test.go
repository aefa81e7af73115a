package iam_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/keyring"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

func openStore(tb testing.TB, dir string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "fnurl.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustKeyring(tb testing.TB, b byte) *keyring.Keyring {
	tb.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestOpenGeneratesStableAccountAndRoot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openStore(t, dir)
	keys := mustKeyring(t, 7)
	s, gen, err := iam.Open(ctx, db, keys, iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !iam.ValidAccountID(s.AccountID()) {
		t.Errorf("account ID %q is not 12 digits", s.AccountID())
	}
	if gen == nil || !strings.HasPrefix(gen.AccessKeyID, "AKIA") || len(gen.AccessKeyID) != 20 || len(gen.SecretAccessKey) != 40 {
		t.Fatalf("generated root credentials = %+v", gen)
	}
	secret, p, err := s.Credential(ctx, gen.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if secret != gen.SecretAccessKey {
		t.Error("Credential returned another secret")
	}
	if p.Type != iam.PrincipalAccount || p.ARN != "arn:aws:iam::"+s.AccountID()+":root" || p.UserID != s.AccountID() {
		t.Errorf("root principal = %+v", p)
	}

	// The sealed secret in the store is not the secret.
	k, err := db.AccessKey(ctx, gen.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(k.SealedSecret, []byte(gen.SecretAccessKey)) {
		t.Error("secret stored in plaintext")
	}

	// Second start: same account, same key, nothing generated.
	s2, gen2, err := iam.Open(ctx, db, keys, iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if gen2 != nil {
		t.Error("second start generated new root credentials")
	}
	if s2.AccountID() != s.AccountID() {
		t.Errorf("account ID changed: %s -> %s", s.AccountID(), s2.AccountID())
	}
	if _, _, err := s2.Credential(ctx, gen.AccessKeyID); err != nil {
		t.Errorf("root key no longer works after restart: %v", err)
	}
}

func TestOpenWithConfiguredCredentials(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, t.TempDir())
	keys := mustKeyring(t, 7)
	cfg := iam.Config{AccountID: "111122223333", RootAccessKeyID: "AKIDEXAMPLE12345", RootSecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	s, gen, err := iam.Open(ctx, db, keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if gen != nil {
		t.Error("credentials generated although configured")
	}
	if s.AccountID() != "111122223333" {
		t.Errorf("account = %s", s.AccountID())
	}
	secret, _, err := s.Credential(ctx, "AKIDEXAMPLE12345")
	if err != nil || secret != cfg.RootSecretAccessKey {
		t.Fatalf("Credential = %v", err)
	}
	// Changing the configured key replaces the old one.
	cfg.RootAccessKeyID = "AKIDOTHEREXAMPLE1"
	if _, _, err := iam.Open(ctx, db, keys, cfg); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Credential(ctx, "AKIDEXAMPLE12345"); awserr.CodeOf(err) != "InvalidClientTokenId" {
		t.Errorf("old root key after replacement: %v, want InvalidClientTokenId", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, t.TempDir())
	if _, _, err := iam.Open(ctx, db, mustKeyring(t, 1), iam.Config{AccountID: "111122223333"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		keys *keyring.Keyring
		cfg  iam.Config
		want string
	}{
		{"other master key", mustKeyring(t, 2), iam.Config{}, "master key does not match"},
		{"other account", mustKeyring(t, 1), iam.Config{AccountID: "999999999999"}, "belongs to account 111122223333"},
		{"bad account", mustKeyring(t, 1), iam.Config{AccountID: "12345"}, "not 12 digits"},
		{"half credentials", mustKeyring(t, 1), iam.Config{RootAccessKeyID: "AKIDEXAMPLE12345"}, "both"},
		{"bad key id", mustKeyring(t, 1), iam.Config{RootAccessKeyID: "AK-ID", RootSecretAccessKey: "0123456789abcdef0123"}, "letters and digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := iam.Open(ctx, db, tt.keys, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestCredentialUnknownKey(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, t.TempDir())
	s, _, err := iam.Open(ctx, db, mustKeyring(t, 1), iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Credential(ctx, "AKIANOTAREALKEY00000")
	e := awserr.As(err)
	if e.Code != "InvalidClientTokenId" || e.HTTPStatus() != 403 {
		t.Errorf("unknown key: %v", err)
	}
}

// gatedStore holds every RootAccessKey read until n of them are waiting,
// so that n Opens all find no root key before any stores one: nodes
// sharing a store that start together.
type gatedStore struct {
	iam.Store
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (s *gatedStore) RootAccessKey(ctx context.Context) (*iam.AccessKey, error) {
	k, err := s.Store.RootAccessKey(ctx)
	s.mu.Lock()
	if s.n--; s.n == 0 {
		close(s.release)
	}
	s.mu.Unlock()
	<-s.release
	return k, err
}

// TestOpenTogetherGeneratesOneRootKey opens four Services on one empty
// store at once, without configured root credentials: exactly one
// generates (and shows) root credentials, and they are the ones stored.
func TestOpenTogetherGeneratesOneRootKey(t *testing.T) {
	const nodes = 4
	ctx := context.Background()
	gs := &gatedStore{Store: openStore(t, t.TempDir()), n: nodes, release: make(chan struct{})}
	var wg sync.WaitGroup
	gen := make([]*iam.RootCredentials, nodes)
	svcs := make([]*iam.Service, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() { svcs[i], gen[i], errs[i] = iam.Open(ctx, gs, mustKeyring(t, 1), iam.Config{}) })
	}
	wg.Wait()
	var shown []*iam.RootCredentials
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		if gen[i] != nil {
			shown = append(shown, gen[i])
		}
	}
	if len(shown) != 1 {
		t.Fatalf("%d Opens showed generated root credentials, want exactly 1", len(shown))
	}
	secret, p, err := svcs[0].Credential(ctx, shown[0].AccessKeyID)
	if err != nil || secret != shown[0].SecretAccessKey || p.Type != iam.PrincipalAccount {
		t.Errorf("the shown root credentials do not work: %v", err)
	}
}
