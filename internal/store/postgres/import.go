package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Tables are the store's tables in an order that satisfies their foreign
// keys; Import copies them in this order.
var Tables = []string{
	"settings", "users", "access_keys", "policies", "policy_versions", "groups", "group_members", "roles",
	"policy_attachments", "inline_policies", "entity_tags",
	"code_blobs", "functions", "function_versions", "function_aliases", "function_policies", "function_urls",
	"audit_events",
}

// ErrNotEmpty is returned by Import when the target database already holds
// data.
var ErrNotEmpty = errors.New("postgres: the target database is not empty")

// Import copies every table of src, an embedded store's database with the
// same tables and columns, into this database, which must be empty, in one
// transaction: on any error nothing is copied. src is read in one
// transaction too, so the copy is a consistent snapshot. It returns the
// number of rows copied per table.
func (db *DB) Import(ctx context.Context, src *sql.DB) (map[string]int64, error) {
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer stx.Rollback()
	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Keep other nodes from starting on the database while it fills.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return nil, err
	}
	for _, t := range Tables {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+t+` LIMIT 1) x`).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: table %s has rows", ErrNotEmpty, t)
		}
	}
	counts := make(map[string]int64)
	for _, t := range Tables {
		n, err := copyTable(ctx, stx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", t, err)
		}
		counts[t] = n
	}
	// Identity values continue after the copied IDs.
	if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('audit_events', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM audit_events`); err != nil {
		return nil, err
	}
	for _, t := range Tables {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return nil, err
		}
		if n != counts[t] {
			return nil, fmt.Errorf("copy %s: %d rows read but %d in the target", t, counts[t], n)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return counts, nil
}

func copyTable(ctx context.Context, src, dst *sql.Tx, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	st, err := dst.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			// Text that PostgreSQL keeps as bytes (see BinarySettings).
			if s, ok := v.(string); ok && table == "settings" && cols[i] == "value" {
				vals[i] = []byte(s)
			}
		}
		if _, err := st.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
