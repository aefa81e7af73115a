package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore keeps events in memory; it stands in for the database here
// because this test is about batching, not storage (the SQLite store is
// tested through the server's end-to-end tests).
type memStore struct {
	mu      sync.Mutex
	evs     []Event
	batches int
}

func (m *memStore) InsertAuditEvents(_ context.Context, evs []Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	for _, e := range evs {
		e.ID = int64(len(m.evs) + 1)
		m.evs = append(m.evs, e)
	}
	return nil
}
func (m *memStore) AuditEvents(context.Context, Filter) ([]Event, error) { return nil, nil }
func (m *memStore) DeleteAuditEventsBefore(context.Context, time.Time) (int64, error) {
	return 0, nil
}

func TestLogBatchesAndFlushes(t *testing.T) {
	st := &memStore{}
	var lines bytes.Buffer
	var mu sync.Mutex
	l := New(Config{Store: st, JSONLines: writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return lines.Write(p)
	})})
	for i := range 1000 {
		l.Record(Event{RequestID: strings.Repeat("x", i%7), Status: 200})
	}
	l.Flush()
	st.mu.Lock()
	n, batches := len(st.evs), st.batches
	st.mu.Unlock()
	if n != 1000 {
		t.Fatalf("stored %d events after Flush, want 1000", n)
	}
	if batches >= 1000 || batches < 4 {
		t.Errorf("%d batches for 1000 events; want them grouped (at most %d per batch)", batches, maxBatch)
	}
	l.Record(Event{RequestID: "last"})
	l.Close()
	l.Record(Event{RequestID: "after close"}) // ignored, must not panic
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Count(lines.String(), "\n"); got != 1001 {
		t.Errorf("%d JSON lines, want 1001", got)
	}
	var ev Event
	last := strings.Split(strings.TrimSpace(lines.String()), "\n")[1000]
	if err := json.Unmarshal([]byte(last), &ev); err != nil || ev.RequestID != "last" {
		t.Errorf("last line %q: %v", last, err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestEntryKeepsDenial(t *testing.T) {
	ctx, e := NewContext(context.Background())
	if FromContext(ctx) != e {
		t.Fatal("FromContext does not return the entry")
	}
	e.Decide("iam:PassRole", "arn:role", Allowed, "")
	e.Decide("lambda:CreateFunction", "arn:fn", ImplicitDeny, "no policy")
	e.Decide("lambda:Other", "arn:x", Allowed, "")
	if ev := e.Event(); ev.Decision != ImplicitDeny || ev.Action != "lambda:CreateFunction" || ev.Reason != "no policy" {
		t.Errorf("event = %+v; the denial must stay", ev)
	}
	var nilEntry *Entry
	nilEntry.Update(func(*Event) { t.Error("update on a nil entry ran") })
}
