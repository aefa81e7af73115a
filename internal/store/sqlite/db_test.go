package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// MustOpen opens a store in a temporary directory.
func MustOpen(tb testing.TB) (*sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fnurl.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenTwiceKeepsData(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpen(t)
	if _, err := db.InitSetting(ctx, "account_id", "123456789012"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	got, err := db2.Setting(ctx, "account_id")
	if err != nil || got != "123456789012" {
		t.Fatalf("Setting after reopen = %q, %v", got, err)
	}
	if err := db2.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	if _, err := db.Setting(ctx, "missing"); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("Setting(missing) error = %v, want ErrNotFound", err)
	}
	v, err := db.InitSetting(ctx, "k", "first")
	if err != nil || v != "first" {
		t.Fatalf("InitSetting = %q, %v", v, err)
	}
	v, err = db.InitSetting(ctx, "k", "second")
	if err != nil || v != "first" {
		t.Fatalf("second InitSetting = %q, %v; want the first value kept", v, err)
	}
}

func TestRootAccessKey(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	if _, err := db.RootAccessKey(ctx); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("RootAccessKey on empty store = %v, want ErrNotFound", err)
	}
	created := time.UnixMilli(1700000000123).UTC()
	k1 := &iam.AccessKey{ID: "AKIAAAAAAAAAAAAAAAAA", Root: true, Status: iam.StatusActive, Created: created, SealedSecret: []byte{1, 2, 3}}
	if err := db.ReplaceRootAccessKey(ctx, k1); err != nil {
		t.Fatal(err)
	}
	got, err := db.AccessKey(ctx, k1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Root || got.Status != iam.StatusActive || !got.Created.Equal(created) || string(got.SealedSecret) != "\x01\x02\x03" || got.UserID != "" {
		t.Errorf("AccessKey = %+v", got)
	}
	k2 := &iam.AccessKey{ID: "AKIABBBBBBBBBBBBBBBB", Root: true, Status: iam.StatusActive, Created: created, SealedSecret: []byte{4}}
	if err := db.ReplaceRootAccessKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AccessKey(ctx, k1.ID); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("replaced root key still found: %v", err)
	}
	root, err := db.RootAccessKey(ctx)
	if err != nil || root.ID != k2.ID {
		t.Errorf("RootAccessKey = %v, %v; want %s", root, err, k2.ID)
	}
}
