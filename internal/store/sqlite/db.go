// Package sqlite is fnurl's embedded default store: one SQLite database file
// in the data directory, opened with a pure-Go driver (no cgo). The queries
// live in internal/store/sqlstore; this package opens the file, applies its
// migrations and supplies the SQLite dialect.
//
// The database runs in WAL mode with synchronous=FULL, so a transaction that
// has committed survives a crash of the process or the machine, and with
// foreign keys on (SQLite leaves them off unless asked). Writes go through a
// single connection with BEGIN IMMEDIATE, which is how SQLite serialises
// writers anyway and avoids SQLITE_BUSY storms; reads use a separate pool.
//
// Migrations are embedded in the binary and applied in order at Open, each
// in its own transaction and recorded with a checksum; a changed migration
// that was already applied stops the start.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/fnurl/fnurl/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is SQLite's dialect for sqlstore.
var Dialect = &sqlstore.Dialect{
	Name:              "sqlite",
	IsUniqueViolation: isUniqueViolation,
	IsStorageFull:     isFull,
	Contains:          func(col string) string { return "instr(" + col + ", ?) > 0" },
	FunctionRevision:  "json_extract(config, '$.revision')",
	CacheStatements:   true,
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isFull reports whether err is SQLite's "database or disk is full".
func isFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
}

// DB is an open store.
type DB struct {
	*sqlstore.DB
	write *sql.DB // one connection: SQLite has one writer
	read  *sql.DB
	now   func() time.Time
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// busy_timeout first so that setting journal_mode waits for other
	// processes rather than failing.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()

	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read.SetMaxOpenConns(8)
	db := &DB{DB: sqlstore.New(write, read, Dialect), write: write, read: read, now: time.Now}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// The database holds sealed secrets only, but keep it private anyway.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			db.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		checksum   TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		n, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(n)
		if !ok || err != nil {
			return fmt.Errorf("sqlite: migration %s: name must start with a number and _", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		if err := db.apply(ctx, version, base, string(body), hex.EncodeToString(sum[:])); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", base, err)
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, version int, name, body, checksum string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var have string
	err = tx.QueryRowContext(ctx, `SELECT checksum FROM schema_migrations WHERE version = ?`, version).Scan(&have)
	switch {
	case err == nil:
		if have != checksum {
			return fmt.Errorf("already applied with a different checksum; migrations must never change once released")
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
		version, name, checksum, db.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// IntegrityCheck runs SQLite's integrity check and returns an error unless
// it reports "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := db.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: integrity check: %s", res)
	}
	return nil
}

// SQL returns the read pool, for tools such as fnurl migrate.
func (db *DB) SQL() *sql.DB { return db.read }
