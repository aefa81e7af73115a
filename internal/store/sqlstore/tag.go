package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/fnurl/fnurl/internal/iam"
)

// Tags implements iam.TagStore.
func (db *DB) Tags(ctx context.Context, e iam.Entity) ([]iam.Tag, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tag_key, tag_value FROM entity_tags WHERE entity_kind = ? AND entity_id = ? ORDER BY tag_key`,
		e.Kind, e.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.Tag
	for rows.Next() {
		var t iam.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TagEntity implements iam.TagStore.
func (db *DB) TagEntity(ctx context.Context, e iam.Entity, tags []iam.Tag, max int) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockEntity(ctx, tx, e); err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO entity_tags (entity_kind, entity_id, tag_key, tag_value) VALUES (?, ?, ?, ?)
				ON CONFLICT (entity_kind, entity_id, tag_key) DO UPDATE SET tag_key = excluded.tag_key, tag_value = excluded.tag_value`,
				e.Kind, e.ID, t.Key, t.Value); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM entity_tags WHERE entity_kind = ? AND entity_id = ?`, e.Kind, e.ID).Scan(&n); err != nil {
			return err
		}
		if n > max {
			return iam.ErrLimit
		}
		return nil
	})
}

// UntagEntity implements iam.TagStore.
func (db *DB) UntagEntity(ctx context.Context, e iam.Entity, keys []string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM entity_tags WHERE entity_kind = ? AND entity_id = ? AND tag_key = ?`, e.Kind, e.ID, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// TouchAccessKey implements iam.TagStore.
func (db *DB) TouchAccessKey(ctx context.Context, id string, at time.Time, service, region string) error {
	_, err := db.write.ExecContext(ctx, `UPDATE access_keys SET last_used_at = ?, last_used_service = ?, last_used_region = ? WHERE access_key_id = ?`,
		at.UnixMilli(), service, region, id)
	return err
}

// AccessKeyLastUsed implements iam.TagStore.
func (db *DB) AccessKeyLastUsed(ctx context.Context, id string) (string, time.Time, string, string, error) {
	var user, service, region string
	var at sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(u.user_name, ''), k.last_used_at, k.last_used_service, k.last_used_region
		FROM access_keys k LEFT JOIN users u ON u.user_id = k.user_id WHERE k.access_key_id = ?`, id).Scan(&user, &at, &service, &region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, "", "", iam.ErrNotFound
	}
	if err != nil || !at.Valid {
		return user, time.Time{}, service, region, err
	}
	return user, fromMillis(at.Int64), service, region, nil
}
