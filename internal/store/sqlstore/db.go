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
	return &DB{write: &pool{write, d}, read: &pool{read, d}, d: d, now: time.Now}
}

// Close closes the pools.
func (db *DB) Close() error {
	if db.read.DB == db.write.DB {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
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

// pool is a *sql.DB whose queries are rebound for the dialect.
type pool struct {
	*sql.DB
	d *Dialect
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := p.DB.ExecContext(ctx, p.d.Rebind(query), args...)
	return res, p.d.storageFull(err)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.DB.QueryContext(ctx, p.d.Rebind(query), args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(ctx, p.d.Rebind(query), args...)
}

// Tx is a *sql.Tx whose queries are rebound for the dialect.
type Tx struct {
	*sql.Tx
	d *Dialect
}

// ExecContext runs query with its placeholders rebound.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.d.Rebind(query), args...)
}

// QueryContext runs query with its placeholders rebound.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.d.Rebind(query), args...)
}

// QueryRowContext runs query with its placeholders rebound.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.Rebind(query), args...)
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
	tx, err := db.write.BeginTx(ctx, db.d.TxOptions)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(&Tx{tx, db.d}); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) inTx(ctx context.Context, fn func(*Tx) error) error { return db.InTx(ctx, fn) }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
