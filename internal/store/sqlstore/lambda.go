package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/fnurl/fnurl/internal/lambda"
)

var _ lambda.Store = (*DB)(nil)

// PutCode implements lambda.Store.
func (db *DB) PutCode(ctx context.Context, key string, zip []byte) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO code_blobs (sha256, zip, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		key, zip, db.now().UnixMilli())
	return err
}

// Code implements lambda.Store.
func (db *DB) Code(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := db.read.QueryRowContext(ctx, `SELECT zip FROM code_blobs WHERE sha256 = ?`, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambda.ErrNotFound
	}
	return b, err
}

// CreateFunction implements lambda.Store.
func (db *DB) CreateFunction(ctx context.Context, f *lambda.Function) error {
	cfg, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO functions (function_name, config, code_sha256, created_at) VALUES (?, ?, ?, ?)`,
		f.Name, string(cfg), f.CodeKey(), f.LastModified.UnixMilli())
	if db.d.IsUniqueViolation(err) {
		return lambda.ErrExists
	}
	return err
}

func scanFunction(row scanner) (*lambda.Function, error) {
	var cfg []byte
	err := row.Scan(&cfg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambda.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var f lambda.Function
	if err := json.Unmarshal(cfg, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// Function implements lambda.Store.
func (db *DB) Function(ctx context.Context, name string) (*lambda.Function, error) {
	return scanFunction(db.read.QueryRowContext(ctx, `SELECT config FROM functions WHERE function_name = ?`, name))
}

// UpdateFunction implements lambda.Store.
func (db *DB) UpdateFunction(ctx context.Context, f *lambda.Function, prevRevision string) error {
	cfg, err := json.Marshal(f)
	if err != nil {
		return err
	}
	res, err := db.write.ExecContext(ctx, `UPDATE functions SET config = ?, code_sha256 = ?
		WHERE function_name = ? AND `+db.d.FunctionRevision+` = ?`, string(cfg), f.CodeKey(), f.Name, prevRevision)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lambda.ErrNotFound
	}
	return nil
}

// ListFunctions implements lambda.Store.
func (db *DB) ListFunctions(ctx context.Context, after string, limit int) ([]*lambda.Function, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT config FROM functions WHERE function_name > ? ORDER BY function_name LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*lambda.Function
	for rows.Next() {
		f, err := scanFunction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// DeleteFunction implements lambda.Store.
func (db *DB) DeleteFunction(ctx context.Context, name string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM functions WHERE function_name = ?`, name)
	return affectedOneErr(res, err, lambda.ErrNotFound)
}

// affectedOneErr turns "no row changed" into notFound.
func affectedOneErr(res sql.Result, err, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// FunctionPolicy implements lambda.Store.
func (db *DB) FunctionPolicy(ctx context.Context, name, qualifier string) (string, string, error) {
	var doc, rev string
	err := db.read.QueryRowContext(ctx, `SELECT policy, revision_id FROM function_policies WHERE function_name = ? AND qualifier = ?`,
		name, qualifier).Scan(&doc, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", lambda.ErrNotFound
	}
	return doc, rev, err
}

// PutFunctionPolicy implements lambda.Store.
func (db *DB) PutFunctionPolicy(ctx context.Context, name, qualifier, doc, revision, prevRevision string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT revision_id FROM function_policies WHERE function_name = ? AND qualifier = ?`,
			name, qualifier).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if cur != prevRevision {
			return lambda.ErrNotFound
		}
		if doc == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?`, name, qualifier)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO function_policies (function_name, qualifier, policy, revision_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (function_name, qualifier) DO UPDATE SET policy = excluded.policy, revision_id = excluded.revision_id`,
			name, qualifier, doc, revision)
		return err
	})
}

// CreateURL implements lambda.URLStore.
func (db *DB) CreateURL(ctx context.Context, u *lambda.URLConfig) error {
	cfg, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO function_urls (url_id, function_name, qualifier, config) VALUES (?, ?, ?, ?)`,
		u.ID, u.FunctionName, u.Qualifier, string(cfg))
	if db.d.IsUniqueViolation(err) {
		return lambda.ErrExists
	}
	return err
}

func scanURL(row scanner) (*lambda.URLConfig, error) {
	var cfg []byte
	err := row.Scan(&cfg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambda.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var u lambda.URLConfig
	if err := json.Unmarshal(cfg, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// URL implements lambda.URLStore.
func (db *DB) URL(ctx context.Context, name, qualifier string) (*lambda.URLConfig, error) {
	return scanURL(db.read.QueryRowContext(ctx, `SELECT config FROM function_urls WHERE function_name = ? AND qualifier = ?`, name, qualifier))
}

// URLByID implements lambda.URLStore.
func (db *DB) URLByID(ctx context.Context, id string) (*lambda.URLConfig, error) {
	return scanURL(db.read.QueryRowContext(ctx, `SELECT config FROM function_urls WHERE url_id = ?`, id))
}

// UpdateURL implements lambda.URLStore.
func (db *DB) UpdateURL(ctx context.Context, u *lambda.URLConfig) error {
	cfg, err := json.Marshal(u)
	if err != nil {
		return err
	}
	res, err := db.write.ExecContext(ctx, `UPDATE function_urls SET config = ? WHERE url_id = ?`, string(cfg), u.ID)
	return affectedOneErr(res, err, lambda.ErrNotFound)
}

// DeleteURL implements lambda.URLStore.
func (db *DB) DeleteURL(ctx context.Context, name, qualifier string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM function_urls WHERE function_name = ? AND qualifier = ?`, name, qualifier)
	return affectedOneErr(res, err, lambda.ErrNotFound)
}

// ListURLs implements lambda.URLStore.
func (db *DB) ListURLs(ctx context.Context, name string) ([]*lambda.URLConfig, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT config FROM function_urls WHERE function_name = ? ORDER BY qualifier`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*lambda.URLConfig
	for rows.Next() {
		u, err := scanURL(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// PublishVersion implements lambda.VersionStore.
func (db *DB) PublishVersion(ctx context.Context, f *lambda.Function) (*lambda.Function, error) {
	var out *lambda.Function
	err := db.inTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM function_versions WHERE function_name = ?`, f.Name).Scan(&n); err != nil {
			return err
		}
		v := *f
		v.Version = strconv.Itoa(n)
		cfg, err := json.Marshal(&v)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO function_versions (function_name, version, config, code_sha256) VALUES (?, ?, ?, ?)`,
			f.Name, n, string(cfg), f.CodeKey()); err != nil {
			return err
		}
		out = &v
		return nil
	})
	return out, err
}

// Version implements lambda.VersionStore.
func (db *DB) Version(ctx context.Context, name string, version int) (*lambda.Function, error) {
	return scanFunction(db.read.QueryRowContext(ctx, `SELECT config FROM function_versions WHERE function_name = ? AND version = ?`, name, version))
}

// ListVersions implements lambda.VersionStore.
func (db *DB) ListVersions(ctx context.Context, name string) ([]*lambda.Function, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT config FROM function_versions WHERE function_name = ? ORDER BY version`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*lambda.Function
	for rows.Next() {
		f, err := scanFunction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func scanAlias(row scanner) (*lambda.Alias, error) {
	var cfg []byte
	err := row.Scan(&cfg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lambda.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var a lambda.Alias
	return &a, json.Unmarshal(cfg, &a)
}

// CreateAlias implements lambda.VersionStore.
func (db *DB) CreateAlias(ctx context.Context, a *lambda.Alias) error {
	cfg, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO function_aliases (function_name, alias_name, config) VALUES (?, ?, ?)`,
		a.FunctionName, a.Name, string(cfg))
	if db.d.IsUniqueViolation(err) {
		return lambda.ErrExists
	}
	return err
}

// Alias implements lambda.VersionStore.
func (db *DB) Alias(ctx context.Context, name, alias string) (*lambda.Alias, error) {
	return scanAlias(db.read.QueryRowContext(ctx, `SELECT config FROM function_aliases WHERE function_name = ? AND alias_name = ?`, name, alias))
}

// ListAliases implements lambda.VersionStore.
func (db *DB) ListAliases(ctx context.Context, name string) ([]*lambda.Alias, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT config FROM function_aliases WHERE function_name = ? ORDER BY alias_name`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*lambda.Alias
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAlias implements lambda.VersionStore.
func (db *DB) UpdateAlias(ctx context.Context, a *lambda.Alias) error {
	cfg, err := json.Marshal(a)
	if err != nil {
		return err
	}
	res, err := db.write.ExecContext(ctx, `UPDATE function_aliases SET config = ? WHERE function_name = ? AND alias_name = ?`,
		string(cfg), a.FunctionName, a.Name)
	return affectedOneErr(res, err, lambda.ErrNotFound)
}

// DeleteAlias implements lambda.VersionStore.
func (db *DB) DeleteAlias(ctx context.Context, name, alias string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM function_aliases WHERE function_name = ? AND alias_name = ?`, name, alias)
		if err := affectedOneErr(res, err, lambda.ErrNotFound); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM function_urls WHERE function_name = ? AND qualifier = ?`, name, alias); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?`, name, alias)
		return err
	})
}
