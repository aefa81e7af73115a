package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
)

var _ audit.Store = (*DB)(nil)

// InsertAuditEvents implements audit.Store: one transaction per batch,
// rows inserted up to auditRowsPerInsert at a time (one statement per row
// cost about twice as much per event on SQLite: see
// BenchmarkInsertAuditEvents). Statements insert a power of two of rows,
// so that a handful of them, prepared once like every other query, serve
// every batch size.
func (db *DB) InsertAuditEvents(ctx context.Context, evs []audit.Event) error {
	return db.inTx(ctx, func(tx *Tx) error {
		args := make([]any, 0, auditColumns*min(len(evs), auditRowsPerInsert))
		for rest := evs; len(rest) > 0; {
			n := auditRowsPerInsert
			for n > len(rest) {
				n /= 2
			}
			args = args[:0]
			for _, e := range rest[:n] {
				args = append(args, e.Time.UnixMilli(), e.RequestID, e.SourceIP, e.UserAgent, e.PrincipalARN, e.AccessKeyID,
					e.CredentialType, e.Service, e.Action, e.Resource, e.Decision, e.Reason, e.ErrorCode, e.Status, e.LatencyMS)
			}
			if _, err := tx.ExecContext(ctx, insertAuditSQL[n], args...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
}

// auditColumns is the number of values of one row of an audit INSERT;
// auditRowsPerInsert × auditColumns stays far below the bound on the
// parameters of one statement (32,766 in SQLite, 65,535 in PostgreSQL).
const (
	auditColumns       = 15
	auditRowsPerInsert = 32 // a power of two
)

// insertAuditSQL holds the INSERT of n audit events for n = 1, 2, 4, …,
// auditRowsPerInsert.
var insertAuditSQL = func() map[int]string {
	m := map[int]string{}
	row := "(" + strings.Repeat("?, ", auditColumns-1) + "?)"
	for n := 1; n <= auditRowsPerInsert; n *= 2 {
		m[n] = `INSERT INTO audit_events (time, request_id, source_ip, user_agent, principal_arn, access_key_id,
		credential_type, service, action, resource, decision, reason, error_code, status, latency_ms) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	return m
}()

// AuditEvents implements audit.Store.
func (db *DB) AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	var where []string
	var args []any
	where = append(where, "id > ?")
	args = append(args, f.AfterID)
	if f.RequestID != "" {
		where = append(where, "request_id = ?")
		args = append(args, f.RequestID)
	}
	if f.Denied {
		where = append(where, "decision IN ('explicit_deny', 'implicit_deny', 'authentication_failed')")
	}
	if f.Principal != "" {
		where = append(where, db.d.Contains("principal_arn"))
		args = append(args, f.Principal)
	}
	if f.Function != "" {
		where = append(where, db.d.Contains("resource"))
		args = append(args, ":function:"+f.Function)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := db.read.QueryContext(ctx, `SELECT id, time, request_id, source_ip, user_agent, principal_arn, access_key_id, credential_type,
		service, action, resource, decision, reason, error_code, status, latency_ms FROM audit_events
		WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var e audit.Event
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.RequestID, &e.SourceIP, &e.UserAgent, &e.PrincipalARN, &e.AccessKeyID, &e.CredentialType,
			&e.Service, &e.Action, &e.Resource, &e.Decision, &e.Reason, &e.ErrorCode, &e.Status, &e.LatencyMS); err != nil {
			return nil, err
		}
		e.Time = fromMillis(t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteAuditEventsBefore implements audit.Store.
func (db *DB) DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM audit_events WHERE time < ?`, t.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
