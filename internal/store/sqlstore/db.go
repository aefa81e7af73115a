// Package sqlstore holds fnurl's store queries once for every SQL database it
// supports. A Dialect says how one database differs (placeholder style,
// unique-violation errors, row locks, a few functions); the packages
// internal/store/sqlite and internal/store/postgres open their database, run
// their own migrations and wrap a DB from this package.
//
// Queries are written with ? placeholders; for databases that number their
// parameters ($1, $2, …) each query string is rewritten once and cached.
//
// Concurrency: read-then-write transactions that enforce limits or refuse
// deletes (two access keys per user, five policy versions, deleting an entity
// that still has policies) run in one transaction. SQLite has a single
// writer, so they are serial there. On PostgreSQL every write transaction
// runs SERIALIZABLE; in addition the limit checks and deletes lock the
// parent row with SELECT … FOR UPDATE, and attaching, embedding or tagging
// takes SELECT … FOR SHARE on the entity, so conflicting callers queue on
// that row instead of failing. A serialization failure or deadlock that
// still happens is retried with the whole transaction, up to 10 times.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/lambda"
)

// Dialect describes one SQL database.
type Dialect struct {
	// Name is a short name for errors and metrics: "sqlite", "postgres".
	Name string
	// Numbered rewrites ? placeholders to $1, $2, ….
	Numbered bool
	// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
	// violation.
	IsUniqueViolation func(error) bool
	// IsRetryable reports whether a transaction that failed with err may be
	// run again from the start (serialization failure, deadlock). Nil means
	// never.
	IsRetryable func(error) bool
	// IsStorageFull reports whether err says the database's disk is full.
	// Nil means never.
	IsStorageFull func(error) bool
	// ForUpdate is appended to a SELECT of a parent row to lock it for the
	// rest of the transaction ("" where writers are serial anyway).
	ForUpdate string
	// ForShare is appended to a SELECT of a parent row to keep it from
	// being deleted for the rest of the transaction.
	ForShare string
	// TxOptions are the options of write transactions.
	TxOptions *sql.TxOptions
	// Contains returns a condition true when the text column col contains
	// the next ? parameter.
	Contains func(col string) string
	// FunctionRevision is the expression giving the revision ID of the
	// function configuration in the column config of table functions.
	FunctionRevision string
	// BinarySettings says that settings.value is a binary column: values
	// are written as []byte.
	BinarySettings bool
	// CacheStatements keeps every query prepared, per pool connection,
	// instead of preparing it again on each call: for drivers that do not
	// cache prepared statements themselves (SQLite's parses each query
	// anew, which cost more than the query on the invoke path).
	CacheStatements bool
}

// Store is everything a store implements.
type Store interface {
	iam.Store
	lambda.Store
	audit.Store
}

var _ Store = (*DB)(nil)

// DB is a store over database/sql.
type DB struct {
	write *pool
	read  *pool
	d     *Dialect
	now   func() time.Time
}

// New returns a store that writes through write and reads through read
// (which may be the same pool).
func New(write, read *sql.DB, d *Dialect) *DB {
	wp := &pool{DB: write, d: d}
	rp := wp
	if read != write {
		rp = &pool{DB: read, d: d}
	}
	if d.CacheStatements {
		wp.stmts = &stmtCache{db: write, m: map[string]*sql.Stmt{}}
		if rp != wp {
			rp.stmts = &stmtCache{db: read, m: map[string]*sql.Stmt{}}
		}
	}
	return &DB{write: wp, read: rp, d: d, now: time.Now}
}

// Close closes the pools.
func (db *DB) Close() error {
	if db.read.DB == db.write.DB {
		return db.write.close()
	}
	return errors.Join(db.read.close(), db.write.close())
}

// Dialect returns the store's dialect.
func (db *DB) Dialect() *Dialect { return db.d }

var rewritten sync.Map // query string → numbered query string

// Rebind rewrites the ? placeholders of query for d. The queries of this
// package never contain ? inside string literals.
func (d *Dialect) Rebind(query string) string {
	if !d.Numbered || !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rewritten.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			if i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
				b.WriteByte(' ') // ?0 must not become $10
			}
			continue
		}
		b.WriteByte(query[i])
	}
	q := b.String()
	rewritten.Store(query, q)
	return q
}

// pool is a *sql.DB whose queries are rebound for the dialect, and
// prepared once when the dialect caches statements.
type pool struct {
	*sql.DB
	d     *Dialect
	stmts *stmtCache // nil: queries are not kept prepared
}

func (p *pool) close() error {
	p.stmts.close()
	return p.DB.Close()
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = p.d.Rebind(query)
	var res sql.Result
	var err error
	if st := p.stmts.get(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = p.DB.ExecContext(ctx, query, args...)
	}
	return res, p.d.storageFull(err)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = p.d.Rebind(query)
	if st := p.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query = p.d.Rebind(query)
	if st := p.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// maxStmts bounds the statements a pool keeps prepared. The queries of
// this package are constants, with a few built from a handful of parts, so
// the bound is not reached; were it reached, further queries would run
// unprepared.
const maxStmts = 512

// stmtCache keeps prepared statements by query. A *sql.Stmt prepares
// itself on each pool connection it runs on, once.
//
// A transaction cannot prepare a statement for the pool: it holds a
// connection that the preparation may need (SQLite's write pool has only
// that one). It uses statements already prepared and notes the others,
// which are prepared once it has released its connection.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool // queries transactions ran unprepared
}

// get returns the prepared statement of query, preparing it on first use,
// or nil when c is nil, full or query does not prepare (the caller then
// runs query unprepared, which reports the error). It must not be called
// while the caller holds a connection of the pool.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, ok := c.m[query]
	n := len(c.m)
	c.mu.Unlock()
	if ok || n >= maxStmts {
		return st
	}
	return c.prepare(ctx, query)
}

func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		st.Close() // prepared twice at once: keep the first
		return prev
	}
	if len(c.m) >= maxStmts {
		st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

// lookup returns the prepared statement of query without preparing it,
// or nil; a query not yet prepared is noted for prepareWanted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if !ok && len(c.m)+len(c.wanted) < maxStmts {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	return st
}

// prepareWanted prepares the queries transactions ran unprepared.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for q := range wanted {
		c.prepare(ctx, q)
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// Tx is a *sql.Tx whose queries are rebound for the dialect.
type Tx struct {
	*sql.Tx
	d     *Dialect
	stmts *stmtCache // the write pool's
}

// stmt returns the transaction's copy of the pool's prepared statement
// for query, or nil.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.stmts.lookup(query); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	return nil
}

// ExecContext runs query with its placeholders rebound.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = t.d.Rebind(query)
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query with its placeholders rebound.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = t.d.Rebind(query)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query with its placeholders rebound.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query = t.d.Rebind(query)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// PrepareContext prepares query with its placeholders rebound.
func (t *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.Tx.PrepareContext(ctx, t.d.Rebind(query))
}

// maxAttempts bounds the runs of a transaction that keeps failing with a
// retryable error.
const maxAttempts = 10

// InTx runs fn in a write transaction and commits it if fn returns nil. fn
// may run more than once (after a serialization failure), so it must only
// set variables it also resets.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = db.inTxOnce(ctx, fn)
		if err == nil || db.d.IsRetryable == nil || !db.d.IsRetryable(err) || attempt == maxAttempts {
			return err
		}
		wait := time.Duration(attempt) * time.Duration(1+rand.IntN(5)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// ErrStorageFull is the answer to a write that failed because the store's
// disk is full: nothing of it was applied, and it may be retried once space
// has been freed.
var ErrStorageFull = awserr.New("ServiceUnavailable", 503,
	"The server's storage is full, so the request was not applied. Free disk space on the server and retry.")

// storageFull returns ErrStorageFull (wrapping err) when err says the disk
// is full, and err otherwise.
func (d *Dialect) storageFull(err error) error {
	if err != nil && d.IsStorageFull != nil && d.IsStorageFull(err) {
		return ErrStorageFull.Wrap(err)
	}
	return err
}

func (db *DB) inTxOnce(ctx context.Context, fn func(*Tx) error) error {
	return db.d.storageFull(db.inTxOnceRaw(ctx, fn))
}

func (db *DB) inTxOnceRaw(ctx context.Context, fn func(*Tx) error) error {
	err := db.runTx(ctx, fn)
	db.write.stmts.prepareWanted(ctx) // the transaction's connection is back in the pool
	return err
}

func (db *DB) runTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.write.BeginTx(ctx, db.d.TxOptions)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(&Tx{Tx: tx, d: db.d, stmts: db.write.stmts}); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) inTx(ctx context.Context, fn func(*Tx) error) error { return db.InTx(ctx, fn) }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
