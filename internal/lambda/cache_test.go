package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// countingStore counts the reads the cache may answer and can hold one
// Function read until released.
type countingStore struct {
	lambda.Store
	functions, versions, aliases, urls, policies atomic.Int64

	mu    sync.Mutex
	block chan struct{} // when set, the next Function read waits for it to close
	held  chan struct{} // closed once that read has read the store
}

func (s *countingStore) Function(ctx context.Context, name string) (*lambda.Function, error) {
	s.functions.Add(1)
	s.mu.Lock()
	block, held := s.block, s.held
	s.block = nil
	s.mu.Unlock()
	f, err := s.Store.Function(ctx, name)
	if block != nil {
		close(held)
		<-block
	}
	return f, err
}

func (s *countingStore) Version(ctx context.Context, name string, v int) (*lambda.Function, error) {
	s.versions.Add(1)
	return s.Store.Version(ctx, name, v)
}

func (s *countingStore) Alias(ctx context.Context, name, alias string) (*lambda.Alias, error) {
	s.aliases.Add(1)
	return s.Store.Alias(ctx, name, alias)
}

func (s *countingStore) URLByID(ctx context.Context, id string) (*lambda.URLConfig, error) {
	s.urls.Add(1)
	return s.Store.URLByID(ctx, id)
}

func (s *countingStore) FunctionPolicy(ctx context.Context, name, qualifier string) (string, string, error) {
	s.policies.Add(1)
	return s.Store.FunctionPolicy(ctx, name, qualifier)
}

type anyRole struct{}

func (anyRole) LambdaCanAssume(context.Context, string) (bool, error) { return true, nil }

const role = "arn:aws:iam::123456789012:role/exec"

func zipFile(t *testing.T, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.js")
	w.Write([]byte(body))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newCached returns a caching Service over a fresh SQLite store with a
// function "f" and the counting store beneath.
func newCached(t *testing.T) (*lambda.Service, *countingStore) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "fnurl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cs := &countingStore{Store: db}
	s := lambda.New(cs, anyRole{}, "123456789012", "us-east-1", nil)
	s.CacheReads()
	if _, err := s.CreateFunction(context.Background(), lambda.CreateInput{Name: "f", Runtime: "nodejs20.x", Role: role,
		Handler: "index.handler", ZipFile: zipFile(t, "v1"), Environment: map[string]string{"K": "1"}}); err != nil {
		t.Fatal(err)
	}
	return s, cs
}

func TestCacheReadsOnce(t *testing.T) {
	ctx := context.Background()
	s, cs := newCached(t)
	authType := lambda.AuthAWSIAM
	u, err := s.CreateURL(ctx, "f", "", lambda.URLInput{AuthType: &authType})
	if err != nil {
		t.Fatal(err)
	}
	cs.functions.Store(0)
	for range 3 {
		if _, err := s.URLByID(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, "f", ""); err != nil {
			t.Fatal(err)
		}
		if doc, err := s.ResourcePolicy(ctx, "f", ""); err != nil || doc != "" {
			t.Fatalf("ResourcePolicy = %q, %v", doc, err)
		}
	}
	for name, n := range map[string]int64{"URLByID": cs.urls.Load(), "Function": cs.functions.Load(), "FunctionPolicy": cs.policies.Load()} {
		if n != 1 {
			t.Errorf("%s read the store %d times for 3 calls, want 1", name, n)
		}
	}
	// An unknown url-id is not remembered: each request asks the store.
	for range 2 {
		if _, err := s.URLByID(ctx, "nosuchurlidnosuchurlidnosuchurl0"); !errors.Is(err, lambda.ErrNotFound) {
			t.Fatalf("unknown url-id: %v", err)
		}
	}
	if got := cs.urls.Load(); got != 3 {
		t.Errorf("URLByID store reads = %d, want 3", got)
	}
}

// TestCacheSeesEveryWrite changes each cached thing through the Service
// and checks that the next read sees the change.
func TestCacheSeesEveryWrite(t *testing.T) {
	ctx := context.Background()
	s, _ := newCached(t)
	authType := lambda.AuthAWSIAM
	u, err := s.CreateURL(ctx, "f", "", lambda.URLInput{AuthType: &authType})
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(q string) *lambda.Function {
		t.Helper()
		f, err := s.Resolve(ctx, "f", q)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	resolve("")
	s.URLByID(ctx, u.ID)
	s.ResourcePolicy(ctx, "f", "")

	t.Run("configuration", func(t *testing.T) {
		timeout := 9
		if _, err := s.UpdateConfiguration(ctx, "f", lambda.ConfigInput{Timeout: &timeout}, ""); err != nil {
			t.Fatal(err)
		}
		if got := resolve("").Timeout; got != 9 {
			t.Errorf("Timeout after update = %d, want 9", got)
		}
	})
	t.Run("code", func(t *testing.T) {
		before := resolve("").CodeSha256
		if _, err := s.UpdateCode(ctx, "f", zipFile(t, "v2"), ""); err != nil {
			t.Fatal(err)
		}
		if resolve("").CodeSha256 == before {
			t.Error("CodeSha256 unchanged after UpdateCode")
		}
	})
	t.Run("concurrency", func(t *testing.T) {
		zero := 0
		if _, err := s.SetConcurrency(ctx, "f", &zero); err != nil {
			t.Fatal(err)
		}
		if rc := resolve("").ReservedConcurrency; rc == nil || *rc != 0 {
			t.Errorf("ReservedConcurrency = %v, want 0", rc)
		}
		if _, err := s.SetConcurrency(ctx, "f", nil); err != nil {
			t.Fatal(err)
		}
		if rc := resolve("").ReservedConcurrency; rc != nil {
			t.Errorf("ReservedConcurrency = %d, want none", *rc)
		}
	})
	t.Run("policy", func(t *testing.T) {
		if _, err := s.AddPermission(ctx, "f", "", lambda.PermissionInput{StatementID: "s1", Action: "lambda:InvokeFunctionUrl",
			Principal: "*", FunctionURLAuthType: "NONE"}); err != nil {
			t.Fatal(err)
		}
		if doc, _ := s.ResourcePolicy(ctx, "f", ""); doc == "" {
			t.Fatal("no policy after AddPermission")
		}
		if err := s.RemovePermission(ctx, "f", "", "s1", ""); err != nil {
			t.Fatal(err)
		}
		if doc, _ := s.ResourcePolicy(ctx, "f", ""); doc != "" {
			t.Errorf("policy after RemovePermission = %s", doc)
		}
	})
	t.Run("url", func(t *testing.T) {
		none := lambda.AuthNone
		if _, err := s.UpdateURL(ctx, "f", "", lambda.URLInput{AuthType: &none}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.URLByID(ctx, u.ID); err != nil || got.AuthType != lambda.AuthNone {
			t.Errorf("URLByID after UpdateURL = %v, %v", got, err)
		}
		if err := s.DeleteURL(ctx, "f", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.URLByID(ctx, u.ID); !errors.Is(err, lambda.ErrNotFound) {
			t.Errorf("URLByID after DeleteURL: %v", err)
		}
	})
	t.Run("alias", func(t *testing.T) {
		v1, err := s.PublishVersion(ctx, "f", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAlias(ctx, "f", "live", v1.Version, ""); err != nil {
			t.Fatal(err)
		}
		if got := resolve("live").Version; got != v1.Version {
			t.Errorf("alias resolves to %s, want %s", got, v1.Version)
		}
		latest := "$LATEST"
		if _, err := s.UpdateAlias(ctx, "f", "live", &latest, nil, ""); err != nil {
			t.Fatal(err)
		}
		if got := resolve("live").Version; got != "$LATEST" {
			t.Errorf("alias resolves to %s after UpdateAlias, want $LATEST", got)
		}
		if err := s.DeleteAlias(ctx, "f", "live"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, "f", "live"); err == nil {
			t.Error("deleted alias still resolves")
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := s.DeleteFunction(ctx, "f"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, "f", ""); err == nil {
			t.Error("deleted function still resolves")
		}
	})
}

func TestCacheReturnsCopies(t *testing.T) {
	ctx := context.Background()
	s, _ := newCached(t)
	f, err := s.Resolve(ctx, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	f.Environment["K"] = "changed"
	f.Timeout = 99
	g, err := s.Resolve(ctx, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Environment["K"] != "1" || g.Timeout == 99 {
		t.Errorf("a caller's change reached the cache: %v, timeout %d", g.Environment, g.Timeout)
	}
}

// TestCacheReadRacingWrite holds a read of the old configuration while a
// write happens; what it read must not be remembered.
func TestCacheReadRacingWrite(t *testing.T) {
	ctx := context.Background()
	s, cs := newCached(t)
	block, held := make(chan struct{}), make(chan struct{})
	cs.mu.Lock()
	cs.block, cs.held = block, held
	cs.mu.Unlock()
	old := make(chan *lambda.Function, 1)
	go func() {
		f, err := s.Resolve(ctx, "f", "")
		if err != nil {
			t.Error(err)
		}
		old <- f
	}()
	<-held // the read has the old configuration in hand
	timeout := 7
	// UpdateConfiguration reads the function (not blocked: only one read
	// is held) and writes it.
	if _, err := s.UpdateConfiguration(ctx, "f", lambda.ConfigInput{Timeout: &timeout}, ""); err != nil {
		t.Fatal(err)
	}
	close(block)
	if f := <-old; f.Timeout == 7 {
		t.Fatal("the held read saw the write: the test did not race")
	}
	if f, err := s.Resolve(ctx, "f", ""); err != nil || f.Timeout != 7 {
		t.Fatalf("after the racing read: %v, %v; want timeout 7", f, err)
	}
}

// TestCacheConcurrent reads and writes from several goroutines (for the
// race detector); the last write is what is read at the end.
func TestCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := newCached(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				if g == 0 {
					env := map[string]string{"K": fmt.Sprint(i)}
					if _, err := s.UpdateConfiguration(ctx, "f", lambda.ConfigInput{Environment: &env}, ""); err != nil {
						t.Error(err)
					}
					continue
				}
				if _, err := s.Resolve(ctx, "f", ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if f, err := s.Resolve(ctx, "f", ""); err != nil || f.Environment["K"] != "19" {
		t.Fatalf("after the writes: %v, %v; want K=19", f, err)
	}
}
