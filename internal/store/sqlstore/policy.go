package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
	"unicode"

	"github.com/fnurl/fnurl/internal/iam"
)

const policyColumns = `p.policy_id, p.policy_name, p.path, p.description, p.default_version,
	(SELECT count(*) FROM policy_attachments a WHERE a.policy_id = p.policy_id), p.created_at, p.updated_at`

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
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (policy_id, policy_name, path, description, default_version, next_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'v1', 2, ?, ?)`, p.ID, p.Name, p.Path, p.Description, p.Created.UnixMilli(), p.Updated.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (policy_id, version_id, document, created_at) VALUES (?, 'v1', ?, ?)`,
			p.ID, doc, p.Created.UnixMilli())
		return err
	})
	if db.d.IsUniqueViolation(err) {
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
		attached = ` AND EXISTS (SELECT 1 FROM policy_attachments a WHERE a.policy_id = p.policy_id)`
	}
	return queryPolicies(ctx, db.read, `SELECT `+policyColumns+` FROM policies p
		WHERE substr(p.path, 1, ?) = ? AND p.policy_name > ?`+attached+`
		ORDER BY p.policy_name LIMIT ?`, len(pathPrefix), pathPrefix, after, limit)
}

// DeletePolicy implements iam.PolicyStore.
func (db *DB) DeletePolicy(ctx context.Context, policyID, arn string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var attached, versions int
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM policy_attachments WHERE policy_id = ?)
				+ (SELECT count(*) FROM users WHERE permissions_boundary = ?)
				+ (SELECT count(*) FROM roles WHERE permissions_boundary = ?),
			(SELECT count(*) FROM policy_versions WHERE policy_id = ?)`, policyID, arn, arn, policyID).Scan(&attached, &versions)
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
	err := db.inTx(ctx, func(tx *Tx) error {
		var next, count int
		err := tx.QueryRowContext(ctx, `SELECT next_version, (SELECT count(*) FROM policy_versions v WHERE v.policy_id = p.policy_id)
			FROM policies p WHERE policy_id = ?`+db.d.ForUpdate, policyID).Scan(&next, &count)
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
	return db.inTx(ctx, func(tx *Tx) error {
		var def string
		err := tx.QueryRowContext(ctx, `SELECT default_version FROM policies WHERE policy_id = ?`+db.d.ForUpdate, policyID).Scan(&def)
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

// AttachPolicy implements iam.PolicyStore.
func (db *DB) AttachPolicy(ctx context.Context, e iam.Entity, policyID string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockEntity(ctx, tx, e); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_attachments (entity_kind, entity_id, policy_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, e.Kind, e.ID, policyID)
		return err
	})
}

// lockEntity returns iam.ErrNotFound unless the entity exists and, where
// writers run concurrently, share-locks its row until the transaction
// ends: a concurrent delete of the entity, which checks for attached and
// inline policies and tags under an exclusive lock, then runs entirely
// before or after this transaction, never leaving policies or tags behind.
func (db *DB) lockEntity(ctx context.Context, tx *Tx, e iam.Entity) error {
	var q string
	switch e.Kind {
	case iam.KindUser:
		q = `SELECT user_id FROM users WHERE user_id = ?`
	case iam.KindGroup:
		q = `SELECT group_id FROM groups WHERE group_id = ?`
	case iam.KindRole:
		q = `SELECT role_id FROM roles WHERE role_id = ?`
	default:
		return iam.ErrNotFound
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+db.d.ForShare+`) x`, e.ID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return iam.ErrNotFound
	}
	return nil
}

// DetachPolicy implements iam.PolicyStore.
func (db *DB) DetachPolicy(ctx context.Context, e iam.Entity, policyID string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM policy_attachments WHERE entity_kind = ? AND entity_id = ? AND policy_id = ?`,
		e.Kind, e.ID, policyID)
	return affectedOne(res, err)
}

// ListAttachedPolicies implements iam.PolicyStore.
func (db *DB) ListAttachedPolicies(ctx context.Context, e iam.Entity) ([]*iam.ManagedPolicy, error) {
	return queryPolicies(ctx, db.read, `SELECT `+policyColumns+` FROM policies p
		JOIN policy_attachments a ON a.policy_id = p.policy_id WHERE a.entity_kind = ? AND a.entity_id = ?
		ORDER BY p.policy_name`, e.Kind, e.ID)
}

// entityInUse returns ErrHasPolicies or ErrHasInline while policies are
// attached to or embedded in the entity.
func entityInUse(ctx context.Context, tx *Tx, kind iam.EntityKind, id string) error {
	var attached, inline int
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM policy_attachments WHERE entity_kind = ? AND entity_id = ?),
		(SELECT count(*) FROM inline_policies WHERE entity_kind = ? AND entity_id = ?)`, kind, id, kind, id).Scan(&attached, &inline)
	switch {
	case err != nil:
		return err
	case attached > 0:
		return iam.ErrHasPolicies
	case inline > 0:
		return iam.ErrHasInline
	}
	return nil
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

// PutInlinePolicy implements iam.PolicyStore.
func (db *DB) PutInlinePolicy(ctx context.Context, e iam.Entity, name, doc string, maxSize int) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if err := db.lockEntity(ctx, tx, e); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT document FROM inline_policies
			WHERE entity_kind = ? AND entity_id = ? AND policy_name <> ?`, e.Kind, e.ID, name)
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
		_, err = tx.ExecContext(ctx, `INSERT INTO inline_policies (entity_kind, entity_id, policy_name, document) VALUES (?, ?, ?, ?)
			ON CONFLICT (entity_kind, entity_id, policy_name) DO UPDATE SET document = excluded.document`, e.Kind, e.ID, name, doc)
		return err
	})
}

// InlinePolicy implements iam.PolicyStore.
func (db *DB) InlinePolicy(ctx context.Context, e iam.Entity, name string) (string, error) {
	var doc string
	err := db.read.QueryRowContext(ctx, `SELECT document FROM inline_policies WHERE entity_kind = ? AND entity_id = ? AND policy_name = ?`,
		e.Kind, e.ID, name).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", iam.ErrNotFound
	}
	return doc, err
}

// DeleteInlinePolicy implements iam.PolicyStore.
func (db *DB) DeleteInlinePolicy(ctx context.Context, e iam.Entity, name string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM inline_policies WHERE entity_kind = ? AND entity_id = ? AND policy_name = ?`,
		e.Kind, e.ID, name)
	return affectedOne(res, err)
}

// ListInlinePolicies implements iam.PolicyStore.
func (db *DB) ListInlinePolicies(ctx context.Context, e iam.Entity) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT policy_name FROM inline_policies WHERE entity_kind = ? AND entity_id = ?
		ORDER BY policy_name`, e.Kind, e.ID)
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

// IdentityPolicies implements iam.PolicyStore. For a user, the policies of
// its groups come after its own.
func (db *DB) IdentityPolicies(ctx context.Context, e iam.Entity) ([]iam.StoredPolicy, error) {
	// owners: (kind, id, label) of every entity whose policies apply.
	owners := `SELECT 'role' AS kind, role_id AS id, 'role ' || role_name AS label, 0 AS ord FROM roles WHERE ? = 'role' AND role_id = ?`
	switch e.Kind {
	case iam.KindGroup:
		owners = `SELECT 'group' AS kind, group_id AS id, 'group ' || group_name AS label, 0 AS ord FROM groups WHERE ? = 'group' AND group_id = ?`
	case iam.KindUser:
		owners = `SELECT 'user' AS kind, user_id AS id, 'user ' || user_name AS label, 0 AS ord FROM users WHERE ? = 'user' AND user_id = ?
			UNION ALL
			SELECT 'group', g.group_id, 'group ' || g.group_name, 1 FROM group_members m JOIN groups g ON g.group_id = m.group_id
			WHERE m.user_id = ?`
	}
	args := []any{e.Kind, e.ID}
	if e.Kind == iam.KindUser {
		args = append(args, e.ID)
	}
	rows, err := db.read.QueryContext(ctx, `WITH owners AS (`+owners+`)
		SELECT o.ord, o.label, 0, i.policy_name, '', i.document
			FROM owners o JOIN inline_policies i ON i.entity_kind = o.kind AND i.entity_id = o.id
		UNION ALL
		SELECT o.ord, o.label, 1, p.policy_name, p.path, v.document
			FROM owners o
			JOIN policy_attachments a ON a.entity_kind = o.kind AND a.entity_id = o.id
			JOIN policies p ON p.policy_id = a.policy_id
			JOIN policy_versions v ON v.policy_id = p.policy_id AND v.version_id = p.default_version
		ORDER BY 1, 2, 3, 4`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []iam.StoredPolicy
	for rows.Next() {
		var ord, managed int
		var label, name, path, doc string
		if err := rows.Scan(&ord, &label, &managed, &name, &path, &doc); err != nil {
			return nil, err
		}
		sp := iam.StoredPolicy{Name: name, Source: label + " (inline)", Document: doc}
		if managed == 1 {
			sp.Managed, sp.Path, sp.Source = true, path, label+" (managed)"
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}
