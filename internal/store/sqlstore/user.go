package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/fnurl/fnurl/internal/iam"
)

// CreateUser implements iam.UserStore.
func (db *DB) CreateUser(ctx context.Context, u *iam.User) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO users (user_id, user_name, path, created_at) VALUES (?, ?, ?, ?)`,
		u.ID, u.Name, u.Path, u.Created.UnixMilli())
	if db.d.IsUniqueViolation(err) {
		return iam.ErrExists
	}
	return err
}

// User implements iam.UserStore.
func (db *DB) User(ctx context.Context, name string) (*iam.User, error) {
	return db.user(ctx, `user_name = ?`, name)
}

// UserByID implements iam.UserStore.
func (db *DB) UserByID(ctx context.Context, id string) (*iam.User, error) {
	return db.user(ctx, `user_id = ?`, id)
}

func (db *DB) user(ctx context.Context, where string, arg any) (*iam.User, error) {
	var u iam.User
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT user_id, user_name, path, created_at, permissions_boundary FROM users WHERE `+where, arg).
		Scan(&u.ID, &u.Name, &u.Path, &created, &u.PermissionsBoundary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, iam.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.Created = fromMillis(created)
	return &u, nil
}

// likePrefix escapes s for use as a LIKE prefix pattern with ESCAPE '\'.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// ListUsers implements iam.UserStore.
func (db *DB) ListUsers(ctx context.Context, pathPrefix, after string, limit int) ([]*iam.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, user_name, path, created_at, permissions_boundary FROM users
		WHERE path LIKE ? ESCAPE '\' AND substr(path, 1, ?) = ? AND user_name > ?
		ORDER BY user_name LIMIT ?`, likePrefix(pathPrefix), len(pathPrefix), pathPrefix, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.User
	for rows.Next() {
		var u iam.User
		var created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Path, &created, &u.PermissionsBoundary); err != nil {
			return nil, err
		}
		u.Created = fromMillis(created)
		out = append(out, &u)
	}
	return out, rows.Err()
}

// SetPermissionsBoundary implements iam.PolicyStore.
func (db *DB) SetPermissionsBoundary(ctx context.Context, e iam.Entity, arn string) error {
	q := `UPDATE users SET permissions_boundary = ? WHERE user_id = ?`
	if e.Kind == iam.KindRole {
		q = `UPDATE roles SET permissions_boundary = ? WHERE role_id = ?`
	}
	res, err := db.write.ExecContext(ctx, q, arn, e.ID)
	return affectedOne(res, err)
}

// DeleteUser implements iam.UserStore.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM users WHERE user_name = ?`+db.d.ForUpdate, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return iam.ErrNotFound
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM access_keys WHERE user_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iam.ErrUserHasKeys
		}
		if err := entityInUse(ctx, tx, iam.KindUser, id); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM group_members WHERE user_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iam.ErrInGroups
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM entity_tags WHERE entity_kind = 'user' AND entity_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE user_id = ?`, id)
		return err
	})
}

// CreateAccessKey implements iam.UserStore.
func (db *DB) CreateAccessKey(ctx context.Context, k *iam.AccessKey, max int) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT user_id FROM users WHERE user_id = ?`+db.d.ForUpdate+`) u`, k.UserID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return iam.ErrNotFound
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM access_keys WHERE user_id = ?`, k.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return iam.ErrLimit
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (access_key_id, user_id, is_root, status, secret_sealed, created_at)
			VALUES (?, ?, 0, ?, ?, ?)`, k.ID, k.UserID, k.Status, k.SealedSecret, k.Created.UnixMilli())
		return err
	})
}

// ListAccessKeys implements iam.UserStore.
func (db *DB) ListAccessKeys(ctx context.Context, userID string) ([]*iam.AccessKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accessKeyColumns+`
		FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id
		WHERE k.user_id = ? ORDER BY k.created_at, k.access_key_id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.AccessKey
	for rows.Next() {
		var k iam.AccessKey
		var created int64
		if err := rows.Scan(&k.ID, &k.UserID, &k.UserName, &k.UserPath, &k.Root, &k.Status, &created, &k.SealedSecret); err != nil {
			return nil, err
		}
		k.Created = fromMillis(created)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// SetAccessKeyStatus implements iam.UserStore.
func (db *DB) SetAccessKeyStatus(ctx context.Context, userID, keyID, status string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE access_keys SET status = ? WHERE user_id = ? AND access_key_id = ?`, status, userID, keyID)
	return affectedOne(res, err)
}

// DeleteAccessKey implements iam.UserStore.
func (db *DB) DeleteAccessKey(ctx context.Context, userID, keyID string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM access_keys WHERE user_id = ? AND access_key_id = ?`, userID, keyID)
	return affectedOne(res, err)
}

// affectedOne turns "no row changed" into iam.ErrNotFound.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return iam.ErrNotFound
	}
	return nil
}
