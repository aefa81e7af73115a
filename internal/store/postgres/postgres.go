// Package postgres is fnurl's PostgreSQL store, for running several fnurl
// nodes on one database. The queries live in internal/store/sqlstore; this
// package opens the database through pgx, applies its own migrations and
// supplies the PostgreSQL dialect.
//
// Several nodes may start at once: migrations run in one transaction that
// first takes a transaction-level advisory lock, so one node applies them
// and the others wait, then find them applied. Each applied migration is
// recorded with a checksum, and a changed one stops the start, as in the
// SQLite store.
//
// Write transactions that read before they write run SERIALIZABLE, lock
// their parent row with SELECT … FOR UPDATE, and are retried on a
// serialization failure or deadlock (see sqlstore).
//
// Every committed change to what servers keep in memory is announced on a
// notification channel (a trigger on each table but the audit trail), so
// that nodes may cache reads and forget them when any node writes
// (WatchChanges).
package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/fnurl/fnurl/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is PostgreSQL's dialect for sqlstore.
var Dialect = &sqlstore.Dialect{
	Name:              "postgres",
	Numbered:          true,
	IsUniqueViolation: func(err error) bool { return sqlState(err) == "23505" },
	IsStorageFull:     func(err error) bool { return sqlState(err) == "53100" }, // disk_full
	IsRetryable: func(err error) bool {
		s := sqlState(err)
		return s == "40001" || s == "40P01" // serialization_failure, deadlock_detected
	},
	ForUpdate:        " FOR UPDATE",
	ForShare:         " FOR SHARE",
	TxOptions:        &sql.TxOptions{Isolation: sql.LevelSerializable},
	Contains:         func(col string) string { return "strpos(" + col + ", ?) > 0" },
	FunctionRevision: "COALESCE(config::jsonb ->> 'revision', '')",
	BinarySettings:   true,
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// migrationLock is the key of the advisory lock taken while migrating
// ("fnurl" in ASCII).
const migrationLock = 0x666e75726c

// DB is an open store.
type DB struct {
	*sqlstore.DB
	pool *sql.DB
	url  string // for WatchChanges' own connection; may hold a password
}

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (postgres://user@host:port/db?…)
// and applies pending migrations. The url is never included in errors, as
// it may hold a password.
func Open(ctx context.Context, url string) (*DB, error) {
	if !IsURL(url) {
		return nil, errors.New("postgres: the store URL must start with postgres:// or postgresql://")
	}
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, errors.New("postgres: invalid store URL")
	}
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{DB: sqlstore.New(pool, pool, Dialect), pool: pool, url: url}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// SQL returns the connection pool, for tools such as fnurl migrate.
func (db *DB) SQL() *sql.DB { return db.pool }

type migration struct {
	version        int
	name, body, id string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		n, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("postgres: migration %s: name must start with a number and _", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		out = append(out, migration{version, base, string(body), hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// migrate applies every pending migration in one transaction holding the
// migration advisory lock.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		checksum   TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("postgres: migrations table: %w", err)
	}
	for _, m := range ms {
		var have string
		err := tx.QueryRowContext(ctx, `SELECT checksum FROM schema_migrations WHERE version = $1`, m.version).Scan(&have)
		switch {
		case err == nil:
			if have != m.id {
				return fmt.Errorf("postgres: migration %s: already applied with a different checksum; migrations must never change once released", m.name)
			}
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.body); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
			m.version, m.name, m.id, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}
