package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/store/postgres"
)

// TestWatchChanges checks what a node hears of the database's changes:
// committed changes to what servers cache (and nothing rolled back, nothing
// of the audit trail or of an access key's last use), and a lost
// connection, reported at once and followed by listening again.
func TestWatchChanges(t *testing.T) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 100)
	listening := make(chan bool, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.WatchChanges(ctx, postgres.Watcher{
			Changed:   func() { changed <- struct{}{} },
			Listening: func(on bool) { listening <- on },
		})
	}()
	expectListening := func(want bool) {
		t.Helper()
		select {
		case on := <-listening:
			if on != want {
				t.Fatalf("Listening(%v), want Listening(%v)", on, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no Listening(%v) within 10s", want)
		}
	}
	// heard reports whether a change is heard within d, and forgets any
	// other heard by then.
	heard := func(d time.Duration) bool {
		select {
		case <-changed:
			for len(changed) > 0 {
				<-changed
			}
			return true
		case <-time.After(d):
			return false
		}
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	expectListening(true)

	for _, tc := range []struct {
		name  string
		write func()
		want  bool
	}{
		{"setting", func() { exec(`INSERT INTO settings (name, value) VALUES ('watch', 'x')`) }, true},
		{"access key created", func() {
			exec(`INSERT INTO access_keys (access_key_id, is_root, status, secret_sealed, created_at) VALUES ('AKIAWATCH', 1, 'Active', 'x', 0)`)
		}, true},
		{"access key last used", func() {
			exec(`UPDATE access_keys SET last_used_at = 1, last_used_service = 'sts' WHERE access_key_id = 'AKIAWATCH'`)
		}, false},
		{"access key deactivated", func() { exec(`UPDATE access_keys SET status = 'Inactive' WHERE access_key_id = 'AKIAWATCH'`) }, true},
		{"audit events", func() {
			if err := db.InsertAuditEvents(ctx, []audit.Event{{Time: time.Now(), RequestID: "w1", Decision: audit.Allowed}}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"rolled back", func() {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE name = 'watch'`); err != nil {
				t.Fatal(err)
			}
			tx.Rollback()
		}, false},
		{"function URL deleted", func() { exec(`DELETE FROM function_urls WHERE url_id = 'none'`) }, true},
	} {
		tc.write()
		wait := 2 * time.Second
		if !tc.want {
			wait = 300 * time.Millisecond
		}
		if got := heard(wait); got != tc.want {
			t.Errorf("%s: change heard: %v, want %v", tc.name, got, tc.want)
		}
	}

	// A lost connection is reported, and the watcher listens again.
	var pids []int
	rows, err := db.SQL().QueryContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN fnurl_changes'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		pids = append(pids, 0)
	}
	rows.Close()
	if len(pids) != 1 {
		t.Fatalf("%d listening connections terminated, want 1", len(pids))
	}
	expectListening(false)
	expectListening(true)
	exec(`UPDATE settings SET value = 'y' WHERE name = 'watch'`)
	if !heard(2 * time.Second) {
		t.Error("no change heard after reconnecting")
	}

	cancel()
	<-done
	expectListening(false)
}

// TestEveryTableNotifies checks that every table but the audit trail (and
// the migrations' own) announces its changes: a table added without a
// trigger would let nodes serve stale reads.
func TestEveryTableNotifies(t *testing.T) {
	db := open(t)
	rows, err := db.SQL().QueryContext(context.Background(), `SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'
		AND NOT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
			WHERE g.tgrelid = c.oid AND p.proname = 'fnurl_notify_change')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var silent []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		silent = append(silent, name)
	}
	if want := []string{"audit_events", "schema_migrations"}; !slices.Equal(silent, want) {
		t.Errorf("tables without the change trigger: %q, want %q", silent, want)
	}
}
