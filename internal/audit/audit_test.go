package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
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

// stored waits up to 5 s for st to hold n events and reports how many it
// holds.
func (m *memStore) stored(n int) int {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		m.mu.Lock()
		got := len(m.evs)
		m.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			return got
		}
	}
}

// TestLogWritesWithoutFlush: recorded events reach the store by
// themselves, after the flush interval or as soon as a batch is full,
// and not one by one.
func TestLogWritesWithoutFlush(t *testing.T) {
	t.Run("interval", func(t *testing.T) {
		st := &memStore{}
		l := start(Config{Store: st, Logger: slog.Default(), Now: time.Now}, 20*time.Millisecond)
		defer l.Close()
		for range 3 {
			l.Record(Event{RequestID: "r"})
		}
		if got := st.stored(3); got != 3 {
			t.Fatalf("%d events stored without Flush, want 3", got)
		}
	})
	t.Run("full batch", func(t *testing.T) {
		st := &memStore{}
		l := start(Config{Store: st, Logger: slog.Default(), Now: time.Now}, time.Hour)
		defer l.Close()
		for range maxBatch - 1 {
			l.Record(Event{RequestID: "r"})
		}
		time.Sleep(100 * time.Millisecond)
		if got := st.stored(0); got != 0 {
			t.Fatalf("%d events stored before a batch was full and before the interval, want 0", got)
		}
		l.Record(Event{RequestID: "r"})
		if got := st.stored(maxBatch); got != maxBatch {
			t.Fatalf("%d events stored once a batch was full, want %d", got, maxBatch)
		}
		if st.batches != 1 {
			t.Errorf("%d batches, want 1", st.batches)
		}
	})
}

// blockingStore holds the first InsertAuditEvents until release is closed.
type blockingStore struct {
	memStore
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingStore) InsertAuditEvents(ctx context.Context, evs []Event) error {
	b.once.Do(func() {
		close(b.entered)
		<-b.release
	})
	return b.memStore.InsertAuditEvents(ctx, evs)
}

// TestLogQueueFull: while the store is stuck, up to queueSize events wait
// and are written once it is back; past that an event is logged (with its
// request ID, never blocking the request) instead of queued.
func TestLogQueueFull(t *testing.T) {
	st := &blockingStore{entered: make(chan struct{}), release: make(chan struct{})}
	var logged bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))
	l := start(Config{Store: st, Logger: logger, Now: time.Now}, time.Hour)
	for range maxBatch {
		l.Record(Event{RequestID: "first"})
	}
	<-st.entered // the writer holds the first batch, stuck in the store
	for range queueSize {
		l.Record(Event{RequestID: "queued"})
	}
	l.Record(Event{RequestID: "overflow"})
	mu.Lock()
	if !strings.Contains(logged.String(), "audit queue full") || !strings.Contains(logged.String(), "overflow") {
		t.Errorf("log %q: want the overflowing event's request ID", logged.String())
	}
	mu.Unlock()
	close(st.release)
	l.Close()
	if got := st.stored(maxBatch + queueSize); got != maxBatch+queueSize {
		t.Errorf("%d events stored, want %d", got, maxBatch+queueSize)
	}
	for _, e := range st.evs {
		if e.RequestID == "overflow" {
			t.Fatal("the overflowing event was stored")
		}
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
