package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter counts the writes that reach it.
type countingWriter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.b.Write(p)
}

func (c *countingWriter) state() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String(), c.writes
}

func TestLogWriter(t *testing.T) {
	out := &countingWriter{}
	lw := newLogWriter(out, time.Hour) // only size, warnings and Close flush
	log := slog.New(flushHandler{slog.NewTextHandler(lw, nil), lw})

	for i := range 100 {
		log.Info("request", "n", i)
	}
	if s, w := out.state(); w != 0 || s != "" {
		t.Fatalf("info lines were written at once: %d writes", w)
	}
	log.Warn("something wrong")
	s, w := out.state()
	if w != 1 || strings.Count(s, "msg=request") != 100 || !strings.HasSuffix(s, "msg=\"something wrong\"\n") {
		t.Fatalf("after a warning: %d writes, %d info lines, ends %q", w, strings.Count(s, "msg=request"), s[max(0, len(s)-40):])
	}
	// A burst flushes by size, in whole lines.
	long := strings.Repeat("x", 1000)
	for range 100 {
		log.Info("request", "pad", long)
	}
	s, w = out.state()
	if w < 2 || !strings.HasSuffix(s, "\n") {
		t.Errorf("a 100 KB burst was written in %d writes, ending %q", w, s[len(s)-10:])
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = out.state()
	if n := strings.Count(s, "pad="); n != 100 {
		t.Errorf("after Close %d of 100 burst lines are written", n)
	}
	log.Info("after close")
	if s, _ := out.state(); !strings.HasSuffix(s, "msg=\"after close\"\n") {
		t.Error("a line after Close was not written at once")
	}

	// The delay flushes too.
	out2 := &countingWriter{}
	lw2 := newLogWriter(out2, 10*time.Millisecond)
	defer lw2.Close()
	lw2.Write([]byte("one line\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := out2.state(); s == "one line\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a line was not written after the delay")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
