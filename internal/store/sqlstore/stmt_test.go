package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// openCached opens a SQLite database the way the sqlite package does (one
// write connection, several readers) with statements cached.
func openCached(t *testing.T) *DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "t.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	read.SetMaxOpenConns(4)
	db := New(write, read, &Dialect{Name: "sqlite", CacheStatements: true})
	t.Cleanup(func() { db.Close() })
	if _, err := write.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func cachedStmt(c *stmtCache, q string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[q]
	return ok
}

func TestStatementCache(t *testing.T) {
	db := openCached(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const insert = `INSERT INTO t (k, v) VALUES (?, ?)`
	const get = `SELECT v FROM t WHERE k = ?`

	// A transaction holds the only write connection: it must not wait for
	// another one to prepare a statement.
	for i := range 3 {
		err := db.InTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, insert, i, "v"+strconv.Itoa(i))
			return err
		})
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if !cachedStmt(db.write.stmts, insert) {
			t.Errorf("after transaction %d the insert is not prepared", i)
		}
	}
	for i := range 3 {
		var v string
		if err := db.read.QueryRowContext(ctx, get, i).Scan(&v); err != nil || v != "v"+strconv.Itoa(i) {
			t.Fatalf("row %d = %q, %v", i, v, err)
		}
	}
	if !cachedStmt(db.read.stmts, get) {
		t.Error("the read query is not prepared")
	}
	// Outside a transaction the write pool prepares at once.
	if _, err := db.write.ExecContext(ctx, `UPDATE t SET v = ? WHERE k = ?`, "x", 0); err != nil {
		t.Fatal(err)
	}
	if !cachedStmt(db.write.stmts, `UPDATE t SET v = ? WHERE k = ?`) {
		t.Error("the update is not prepared")
	}
	// A query that does not prepare reports its error and is not kept.
	const bad = `SELEKT 1`
	if _, err := db.read.QueryContext(ctx, bad); err == nil {
		t.Error("a syntax error went unreported")
	}
	if cachedStmt(db.read.stmts, bad) {
		t.Error("a query that does not prepare was kept")
	}
	// The cache is bounded; queries beyond it still run.
	for i := range maxStmts + 20 {
		var n int
		if err := db.read.QueryRowContext(ctx, "SELECT "+strconv.Itoa(i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	if n := len(db.read.stmts.m); n > maxStmts {
		t.Errorf("%d statements kept, bound %d", n, maxStmts)
	}
}
