package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fnurl/fnurl/internal/iam"
)

const roleColumns = `role_id, role_name, path, description, trust_policy, max_session_duration, created_at, permissions_boundary`

func scanRole(row scanner) (*iam.Role, error) {
	var r iam.Role
	var created int64
	err := row.Scan(&r.ID, &r.Name, &r.Path, &r.Description, &r.TrustPolicy, &r.MaxSessionDuration, &created, &r.PermissionsBoundary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, iam.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Created = fromMillis(created)
	return &r, nil
}

// CreateRole implements iam.RoleStore.
func (db *DB) CreateRole(ctx context.Context, r *iam.Role) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Name, r.Path, r.Description, r.TrustPolicy, r.MaxSessionDuration, r.Created.UnixMilli(), r.PermissionsBoundary)
	if db.d.IsUniqueViolation(err) {
		return iam.ErrExists
	}
	return err
}

// Role implements iam.RoleStore.
func (db *DB) Role(ctx context.Context, name string) (*iam.Role, error) {
	return scanRole(db.read.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE role_name = ?`, name))
}

// RoleByID implements iam.RoleStore.
func (db *DB) RoleByID(ctx context.Context, id string) (*iam.Role, error) {
	return scanRole(db.read.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE role_id = ?`, id))
}

// ListRoles implements iam.RoleStore.
func (db *DB) ListRoles(ctx context.Context, pathPrefix, after string, limit int) ([]*iam.Role, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles
		WHERE substr(path, 1, ?) = ? AND role_name > ? ORDER BY role_name LIMIT ?`, len(pathPrefix), pathPrefix, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteRole implements iam.RoleStore.
func (db *DB) DeleteRole(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT role_id FROM roles WHERE role_name = ?`+db.d.ForUpdate, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return iam.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := entityInUse(ctx, tx, iam.KindRole, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM entity_tags WHERE entity_kind = 'role' AND entity_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM roles WHERE role_id = ?`, id)
		return err
	})
}

// UpdateRole implements iam.RoleStore.
func (db *DB) UpdateRole(ctx context.Context, r *iam.Role) error {
	res, err := db.write.ExecContext(ctx, `UPDATE roles SET description = ?, trust_policy = ?, max_session_duration = ? WHERE role_id = ?`,
		r.Description, r.TrustPolicy, r.MaxSessionDuration, r.ID)
	return affectedOne(res, err)
}
