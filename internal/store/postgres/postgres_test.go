package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/fnurl/fnurl/internal/store/pgtest"
	"github.com/fnurl/fnurl/internal/store/postgres"
	"github.com/fnurl/fnurl/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store on a new database.
func open(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

// TestConcurrentMigrations opens the same empty database from several
// goroutines at once, as several nodes starting together would.
func TestConcurrentMigrations(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(context.Background(), url)
			if err == nil {
				_, err = db.InitSetting(context.Background(), "k", "v")
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	for _, url := range []string{"", "file:x.db", "mysql://u:secretpw@h/db"} {
		_, err := postgres.Open(context.Background(), url)
		if err == nil {
			t.Errorf("Open(%q) succeeded", url)
		}
	}
	_, err := postgres.Open(context.Background(), "postgres://u:secretpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
	if s := err.Error(); contains(s, "secretpw") {
		t.Errorf("error leaks the password: %s", s)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
