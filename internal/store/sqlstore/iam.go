package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fnurl/fnurl/internal/iam"
)

var _ iam.Store = (*DB)(nil)

// Setting implements iam.Store.
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", iam.ErrNotFound
	}
	return v, err
}

// InitSetting implements iam.Store.
func (db *DB) InitSetting(ctx context.Context, name, value string) (string, error) {
	var v string
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, db.settingValue(value)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	})
	return v, err
}

const accessKeyColumns = `k.access_key_id, COALESCE(k.user_id, ''), COALESCE(u.user_name, ''), COALESCE(u.path, ''), k.is_root, k.status, k.created_at, k.secret_sealed`

func scanAccessKey(row *sql.Row) (*iam.AccessKey, error) {
	var k iam.AccessKey
	var created int64
	err := row.Scan(&k.ID, &k.UserID, &k.UserName, &k.UserPath, &k.Root, &k.Status, &created, &k.SealedSecret)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, iam.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	k.Created = fromMillis(created)
	return &k, nil
}

// settingValue is value as the settings table takes it: settings may hold
// arbitrary bytes (a sealed canary), which PostgreSQL's text refuses.
func (db *DB) settingValue(value string) any {
	if db.d.BinarySettings {
		return []byte(value)
	}
	return value
}

// AccessKey implements iam.Store.
func (db *DB) AccessKey(ctx context.Context, id string) (*iam.AccessKey, error) {
	return scanAccessKey(db.read.QueryRowContext(ctx, `SELECT `+accessKeyColumns+`
		FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id WHERE k.access_key_id = ?`, id))
}

// RootAccessKey implements iam.Store.
func (db *DB) RootAccessKey(ctx context.Context) (*iam.AccessKey, error) {
	return scanAccessKey(db.read.QueryRowContext(ctx, `SELECT `+accessKeyColumns+`
		FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id WHERE k.is_root = 1`))
}

// CreateRootAccessKey implements iam.Store: the unique index on is_root
// refuses a second root key, also to a node that raced this one.
func (db *DB) CreateRootAccessKey(ctx context.Context, k *iam.AccessKey) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO access_keys (access_key_id, user_id, is_root, status, secret_sealed, created_at)
		VALUES (?, NULL, 1, ?, ?, ?)`, k.ID, k.Status, k.SealedSecret, k.Created.UnixMilli())
	if db.d.IsUniqueViolation(err) {
		return iam.ErrExists
	}
	return err
}

// ReplaceRootAccessKey implements iam.Store.
func (db *DB) ReplaceRootAccessKey(ctx context.Context, k *iam.AccessKey) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE is_root = 1`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (access_key_id, user_id, is_root, status, secret_sealed, created_at)
			VALUES (?, NULL, 1, ?, ?, ?)`, k.ID, k.Status, k.SealedSecret, k.Created.UnixMilli())
		return err
	})
}
