package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fnurl/fnurl/internal/iam"
)

func scanGroup(row scanner) (*iam.Group, error) {
	var g iam.Group
	var created int64
	err := row.Scan(&g.ID, &g.Name, &g.Path, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, iam.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	g.Created = fromMillis(created)
	return &g, nil
}

func queryGroups(ctx context.Context, db *pool, query string, args ...any) ([]*iam.Group, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// CreateGroup implements iam.GroupStore.
func (db *DB) CreateGroup(ctx context.Context, g *iam.Group) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO groups (group_id, group_name, path, created_at) VALUES (?, ?, ?, ?)`,
		g.ID, g.Name, g.Path, g.Created.UnixMilli())
	if db.d.IsUniqueViolation(err) {
		return iam.ErrExists
	}
	return err
}

// Group implements iam.GroupStore.
func (db *DB) Group(ctx context.Context, name string) (*iam.Group, error) {
	return scanGroup(db.read.QueryRowContext(ctx, `SELECT group_id, group_name, path, created_at FROM groups WHERE group_name = ?`, name))
}

// ListGroups implements iam.GroupStore.
func (db *DB) ListGroups(ctx context.Context, pathPrefix, after string, limit int) ([]*iam.Group, error) {
	return queryGroups(ctx, db.read, `SELECT group_id, group_name, path, created_at FROM groups
		WHERE substr(path, 1, ?) = ? AND group_name > ? ORDER BY group_name LIMIT ?`, len(pathPrefix), pathPrefix, after, limit)
}

// DeleteGroup implements iam.GroupStore.
func (db *DB) DeleteGroup(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT group_id FROM groups WHERE group_name = ?`+db.d.ForUpdate, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return iam.ErrNotFound
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM group_members WHERE group_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iam.ErrHasMembers
		}
		if err := entityInUse(ctx, tx, iam.KindGroup, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM groups WHERE group_id = ?`, id)
		return err
	})
}

// AddUserToGroup implements iam.GroupStore.
func (db *DB) AddUserToGroup(ctx context.Context, groupID, userID string) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, groupID, userID)
	return err
}

// RemoveUserFromGroup implements iam.GroupStore.
func (db *DB) RemoveUserFromGroup(ctx context.Context, groupID, userID string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
	return affectedOne(res, err)
}

// GroupMembers implements iam.GroupStore.
func (db *DB) GroupMembers(ctx context.Context, groupID string) ([]*iam.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.user_id, u.user_name, u.path, u.created_at FROM users u
		JOIN group_members m ON m.user_id = u.user_id WHERE m.group_id = ? ORDER BY u.user_name`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.User
	for rows.Next() {
		var u iam.User
		var created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Path, &created); err != nil {
			return nil, err
		}
		u.Created = fromMillis(created)
		out = append(out, &u)
	}
	return out, rows.Err()
}

// GroupsForUser implements iam.GroupStore.
func (db *DB) GroupsForUser(ctx context.Context, userID string) ([]*iam.Group, error) {
	return queryGroups(ctx, db.read, `SELECT g.group_id, g.group_name, g.path, g.created_at FROM groups g
		JOIN group_members m ON m.group_id = g.group_id WHERE m.user_id = ? ORDER BY g.group_name`, userID)
}
