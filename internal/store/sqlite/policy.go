package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode"

	"github.com/fnurl/fnurl/internal/iam"
)

const policyColumns = `p.policy_id, p.policy_name, p.path, p.description, p.default_version,
	(SELECT count(*) FROM user_policy_attachments a WHERE a.policy_id = p.policy_id), p.created_at, p.updated_at`

type scanner interface{ Scan(...any) error }

func scanPolicy(row scanner) (*iam.ManagedPolicy, error) {
	var p iam.ManagedPolicy
	var created, updated int64
	err := row.Scan(&p.ID, &p.Name, &p.Path, &p.Description, &p.DefaultVersion, &p.AttachmentCount, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, iam.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p.Created, p.Updated = fromMillis(created), fromMillis(updated)
	return &p, nil
}

// CreatePolicy implements iam.PolicyStore.
func (db *DB) CreatePolicy(ctx context.Context, p *iam.ManagedPolicy, doc string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (policy_id, policy_name, path, description, default_version, next_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'v1', 2, ?, ?)`, p.ID, p.Name, p.Path, p.Description, p.Created.UnixMilli(), p.Updated.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (policy_id, version_id, document, created_at) VALUES (?, 'v1', ?, ?)`,
			p.ID, doc, p.Created.UnixMilli())
		return err
	})
	if isUniqueViolation(err) {
		return iam.ErrExists
	}
	return err
}

// Policy implements iam.PolicyStore.
func (db *DB) Policy(ctx context.Context, name string) (*iam.ManagedPolicy, error) {
	return scanPolicy(db.read.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policies p WHERE p.policy_name = ?`, name))
}

func queryPolicies(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]*iam.ManagedPolicy, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.ManagedPolicy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ListPolicies implements iam.PolicyStore.
func (db *DB) ListPolicies(ctx context.Context, pathPrefix, after string, onlyAttached bool, limit int) ([]*iam.ManagedPolicy, error) {
	attached := ""
	if onlyAttached {
		attached = ` AND EXISTS (SELECT 1 FROM user_policy_attachments a WHERE a.policy_id = p.policy_id)`
	}
	return queryPolicies(ctx, db.read, `SELECT `+policyColumns+` FROM policies p
		WHERE substr(p.path, 1, ?) = ? AND p.policy_name > ?`+attached+`
		ORDER BY p.policy_name LIMIT ?`, len(pathPrefix), pathPrefix, after, limit)
}

// DeletePolicy implements iam.PolicyStore.
func (db *DB) DeletePolicy(ctx context.Context, policyID string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var attached, versions int
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM user_policy_attachments WHERE policy_id = ?),
			(SELECT count(*) FROM policy_versions WHERE policy_id = ?)`, policyID, policyID).Scan(&attached, &versions)
		if err != nil {
			return err
		}
		switch {
		case versions == 0:
			return iam.ErrNotFound
		case attached > 0:
			return iam.ErrAttached
		case versions > 1:
			return iam.ErrHasVersions
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM policies WHERE policy_id = ?`, policyID)
		return err
	})
}

// CreatePolicyVersion implements iam.PolicyStore.
func (db *DB) CreatePolicyVersion(ctx context.Context, policyID, doc string, setDefault bool, created time.Time, max int) (*iam.PolicyVersion, error) {
	var v *iam.PolicyVersion
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var next, count int
		err := tx.QueryRowContext(ctx, `SELECT next_version, (SELECT count(*) FROM policy_versions v WHERE v.policy_id = p.policy_id)
			FROM policies p WHERE policy_id = ?`, policyID).Scan(&next, &count)
		if errors.Is(err, sql.ErrNoRows) {
			return iam.ErrNotFound
		}
		if err != nil {
			return err
		}
		if count >= max {
			return iam.ErrLimit
		}
		v = &iam.PolicyVersion{VersionID: "v" + strconv.Itoa(next), Document: doc, IsDefault: setDefault, Created: created}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (policy_id, version_id, document, created_at) VALUES (?, ?, ?, ?)`,
			policyID, v.VersionID, doc, created.UnixMilli()); err != nil {
			return err
		}
		q := `UPDATE policies SET next_version = next_version + 1, updated_at = ? WHERE policy_id = ?`
		if setDefault {
			q = `UPDATE policies SET next_version = next_version + 1, updated_at = ?, default_version = '` + v.VersionID + `' WHERE policy_id = ?`
		}
		_, err = tx.ExecContext(ctx, q, created.UnixMilli(), policyID)
		return err
	})
	return v, err
}

// PolicyVersion implements iam.PolicyStore.
func (db *DB) PolicyVersion(ctx context.Context, policyID, versionID string) (*iam.PolicyVersion, error) {
	var v iam.PolicyVersion
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT v.version_id, v.document, v.version_id = p.default_version, v.created_at
		FROM policy_versions v JOIN policies p ON p.policy_id = v.policy_id
		WHERE v.policy_id = ? AND v.version_id = ?`, policyID, versionID).Scan(&v.VersionID, &v.Document, &v.IsDefault, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, iam.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	v.Created = fromMillis(created)
	return &v, nil
}

// ListPolicyVersions implements iam.PolicyStore.
func (db *DB) ListPolicyVersions(ctx context.Context, policyID string) ([]*iam.PolicyVersion, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT v.version_id, v.document, v.version_id = p.default_version, v.created_at
		FROM policy_versions v JOIN policies p ON p.policy_id = v.policy_id
		WHERE v.policy_id = ? ORDER BY CAST(substr(v.version_id, 2) AS INTEGER) DESC`, policyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*iam.PolicyVersion
	for rows.Next() {
		var v iam.PolicyVersion
		var created int64
		if err := rows.Scan(&v.VersionID, &v.Document, &v.IsDefault, &created); err != nil {
			return nil, err
		}
		v.Created = fromMillis(created)
		out = append(out, &v)
	}
	return out, rows.Err()
}

// DeletePolicyVersion implements iam.PolicyStore.
func (db *DB) DeletePolicyVersion(ctx context.Context, policyID, versionID string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var def string
		err := tx.QueryRowContext(ctx, `SELECT default_version FROM policies WHERE policy_id = ?`, policyID).Scan(&def)
		if errors.Is(err, sql.ErrNoRows) {
			return iam.ErrNotFound
		}
		if err != nil {
			return err
		}
		if def == versionID {
			return iam.ErrDefaultVersion
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE policy_id = ? AND version_id = ?`, policyID, versionID)
		return affectedOne(res, err)
	})
}

// SetDefaultPolicyVersion implements iam.PolicyStore.
func (db *DB) SetDefaultPolicyVersion(ctx context.Context, policyID, versionID string, updated time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE policies SET default_version = ?, updated_at = ?
		WHERE policy_id = ? AND EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = ? AND version_id = ?)`,
		versionID, updated.UnixMilli(), policyID, policyID, versionID)
	return affectedOne(res, err)
}

// AttachUserPolicy implements iam.PolicyStore.
func (db *DB) AttachUserPolicy(ctx context.Context, userID, policyID string) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO user_policy_attachments (user_id, policy_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, policyID)
	return err
}

// DetachUserPolicy implements iam.PolicyStore.
func (db *DB) DetachUserPolicy(ctx context.Context, userID, policyID string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM user_policy_attachments WHERE user_id = ? AND policy_id = ?`, userID, policyID)
	return affectedOne(res, err)
}

// ListAttachedUserPolicies implements iam.PolicyStore.
func (db *DB) ListAttachedUserPolicies(ctx context.Context, userID string) ([]*iam.ManagedPolicy, error) {
	return queryPolicies(ctx, db.read, `SELECT `+policyColumns+` FROM policies p
		JOIN user_policy_attachments a ON a.policy_id = p.policy_id WHERE a.user_id = ? ORDER BY p.policy_name`, userID)
}

// policySize counts a document's characters other than whitespace, as
// IAM's size quotas do.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// PutUserPolicy implements iam.PolicyStore.
func (db *DB) PutUserPolicy(ctx context.Context, userID, name, doc string, maxSize int) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT document FROM user_inline_policies WHERE user_id = ? AND policy_name <> ?`, userID, name)
		if err != nil {
			return err
		}
		total := policySize(doc)
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			total += policySize(d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if total > maxSize {
			return iam.ErrLimit
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO user_inline_policies (user_id, policy_name, document) VALUES (?, ?, ?)
			ON CONFLICT (user_id, policy_name) DO UPDATE SET document = excluded.document`, userID, name, doc)
		return err
	})
}

// UserPolicy implements iam.PolicyStore.
func (db *DB) UserPolicy(ctx context.Context, userID, name string) (string, error) {
	var doc string
	err := db.read.QueryRowContext(ctx, `SELECT document FROM user_inline_policies WHERE user_id = ? AND policy_name = ?`, userID, name).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", iam.ErrNotFound
	}
	return doc, err
}

// DeleteUserPolicy implements iam.PolicyStore.
func (db *DB) DeleteUserPolicy(ctx context.Context, userID, name string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM user_inline_policies WHERE user_id = ? AND policy_name = ?`, userID, name)
	return affectedOne(res, err)
}

// ListUserPolicies implements iam.PolicyStore.
func (db *DB) ListUserPolicies(ctx context.Context, userID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT policy_name FROM user_inline_policies WHERE user_id = ? ORDER BY policy_name`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// UserIdentityPolicies implements iam.PolicyStore.
func (db *DB) UserIdentityPolicies(ctx context.Context, userID string) ([]iam.StoredPolicy, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT 0, i.policy_name, '', u.user_name, i.document
			FROM user_inline_policies i JOIN users u ON u.user_id = i.user_id WHERE i.user_id = ?
		UNION ALL
		SELECT 1, p.policy_name, p.path, u.user_name, v.document
			FROM user_policy_attachments a
			JOIN users u ON u.user_id = a.user_id
			JOIN policies p ON p.policy_id = a.policy_id
			JOIN policy_versions v ON v.policy_id = p.policy_id AND v.version_id = p.default_version
			WHERE a.user_id = ?
		ORDER BY 1, 2`, userID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.StoredPolicy
	for rows.Next() {
		var managed int
		var name, path, user, doc string
		if err := rows.Scan(&managed, &name, &path, &user, &doc); err != nil {
			return nil, err
		}
		sp := iam.StoredPolicy{Name: name, Source: fmt.Sprintf("user %s (inline)", user), Document: doc}
		if managed == 1 {
			sp.Managed, sp.Path = true, path
			sp.Source = fmt.Sprintf("user %s (managed)", user)
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}
