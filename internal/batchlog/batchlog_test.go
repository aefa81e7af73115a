package batchlog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink records each Write separately.
type sink struct {
	mu     sync.Mutex
	writes []string
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.writes, ""), len(s.writes)
}

func TestBatches(t *testing.T) {
	var s sink
	b := New(&s, time.Hour) // only Flush, Close, a warning or a full buffer write
	for i := range 100 {
		fmt.Fprintf(b, "line %d\n", i)
	}
	if got, n := s.snapshot(); n != 0 {
		t.Fatalf("%d writes (%q) before the interval; want the lines buffered", n, got)
	}
	b.Flush()
	got, n := s.snapshot()
	if n != 1 {
		t.Errorf("Flush made %d writes, want 1", n)
	}
	var want strings.Builder
	for i := range 100 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if got != want.String() {
		t.Errorf("flushed %q, want the lines in order", got)
	}
	b.Flush()
	if _, n := s.snapshot(); n != 1 {
		t.Errorf("an empty Flush wrote")
	}
}

func TestInterval(t *testing.T) {
	var s sink
	b := New(&s, 10*time.Millisecond)
	defer b.Close()
	for round := range 3 {
		io.WriteString(b, "x\n")
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, n := s.snapshot(); n == round+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the line was not written within 5 s", round)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestFullBufferWritesAtOnce(t *testing.T) {
	var s sink
	b := New(&s, time.Hour)
	line := bytes.Repeat([]byte("y"), 1000)
	written := 0
	for written < maxBuffered {
		b.Write(line)
		written += len(line)
	}
	if got, n := s.snapshot(); n != 1 || len(got) != written {
		t.Fatalf("after %d buffered bytes: %d writes of %d bytes, want 1 write of all", written, n, len(got))
	}
}

func TestCloseFlushesAndWritesThrough(t *testing.T) {
	var s sink
	b := New(&s, time.Hour)
	io.WriteString(b, "a\n")
	b.Close()
	if got, _ := s.snapshot(); got != "a\n" {
		t.Fatalf("after Close: %q", got)
	}
	io.WriteString(b, "b\n")
	if got, n := s.snapshot(); got != "a\nb\n" || n != 2 {
		t.Fatalf("a write after Close: %q in %d writes, want it written at once", got, n)
	}
}

// TestWarningsAtOnce checks that a warning is written when it is logged,
// after the info lines buffered before it, in the order they were logged.
func TestWarningsAtOnce(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var s sink
			b := New(&s, time.Hour)
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			log := slog.New(Handler(b, func(w io.Writer) slog.Handler {
				if format == "json" {
					return slog.NewJSONHandler(w, opts)
				}
				return slog.NewTextHandler(w, opts)
			})).With("node", "n1").WithGroup("g")
			log.Debug("one")
			log.Info("two", "k", "v")
			if got, n := s.snapshot(); n != 0 {
				t.Fatalf("info lines written before a flush: %q", got)
			}
			log.Warn("three")
			got, _ := s.snapshot()
			i1, i2, i3 := strings.Index(got, "one"), strings.Index(got, "two"), strings.Index(got, "three")
			if i1 < 0 || i2 < i1 || i3 < i2 {
				t.Fatalf("after a warning: %q, want one, two, three in order", got)
			}
			if !strings.Contains(got, "n1") || !strings.Contains(got, "g.k=v") && !strings.Contains(got, `"g":{"k":"v"}`) {
				t.Errorf("attributes and groups lost: %q", got)
			}
			log.Error("four")
			if got, _ := s.snapshot(); !strings.Contains(got, "four") {
				t.Errorf("an error was not written at once: %q", got)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	var s sink
	b := New(&s, time.Hour)
	log := slog.New(Handler(b, func(w io.Writer) slog.Handler {
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})
	}))
	ctx := context.Background()
	for _, tc := range []struct {
		level slog.Level
		want  bool
	}{{slog.LevelDebug, false}, {slog.LevelInfo, false}, {slog.LevelWarn, true}, {slog.LevelError, true}} {
		if got := log.Enabled(ctx, tc.level); got != tc.want {
			t.Errorf("Enabled(%v) = %v, want %v", tc.level, got, tc.want)
		}
	}
	log.Info("hidden")
	b.Flush()
	if got, _ := s.snapshot(); got != "" {
		t.Errorf("a line below the level was written: %q", got)
	}
}

// TestConcurrent writes from many goroutines while the timer flushes:
// every line arrives whole, once.
func TestConcurrent(t *testing.T) {
	var s sink
	b := New(&s, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				fmt.Fprintf(b, "g%d-%d\n", g, i)
				if i%100 == 0 {
					b.Now().Write([]byte(fmt.Sprintf("now%d-%d\n", g, i)))
				}
			}
		})
	}
	wg.Wait()
	b.Close()
	got, _ := s.snapshot()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	seen := map[string]int{}
	for _, l := range lines {
		seen[l]++
	}
	for g := range 8 {
		for i := range 500 {
			if seen[fmt.Sprintf("g%d-%d", g, i)] != 1 {
				t.Fatalf("line g%d-%d seen %d times", g, i, seen[fmt.Sprintf("g%d-%d", g, i)])
			}
		}
	}
	if want := 8*500 + 8*5; len(lines) != want {
		t.Errorf("%d lines, want %d", len(lines), want)
	}
	// One goroutine's lines keep their order.
	pos := map[string]int{}
	for i, l := range lines {
		pos[l] = i
	}
	for g := range 8 {
		for i := 1; i < 500; i++ {
			if pos[fmt.Sprintf("g%d-%d", g, i)] < pos[fmt.Sprintf("g%d-%d", g, i-1)] {
				t.Fatalf("g%d: line %d before line %d", g, i, i-1)
			}
		}
	}
}
