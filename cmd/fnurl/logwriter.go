package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logWriter batches the server's log lines: every request writes an access
// log line, and one write system call per line cost about a twentieth of
// the server's CPU per warm invocation. Lines are written when 32 KiB have
// gathered, at the latest after flushDelay, and at once with any line at
// warning level or above (see flushHandler). Each Write holds whole lines
// (slog's handlers write one record per call), so batching never splits
// or interleaves them.
type logWriter struct {
	w     io.Writer
	delay time.Duration

	mu      sync.Mutex
	buf     []byte
	timer   *time.Timer
	closed  bool
	lastErr error
}

const logBufferSize = 32 << 10

func newLogWriter(w io.Writer, delay time.Duration) *logWriter {
	return &logWriter{w: w, delay: delay}
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.w.Write(p)
	}
	l.buf = append(l.buf, p...)
	if len(l.buf) >= logBufferSize {
		l.flushLocked()
	} else if l.timer == nil {
		l.timer = time.AfterFunc(l.delay, l.Flush)
	}
	return len(p), nil
}

// Flush writes what is gathered.
func (l *logWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *logWriter) flushLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if len(l.buf) == 0 {
		return
	}
	if _, err := l.w.Write(l.buf); err != nil {
		l.lastErr = err
	}
	if cap(l.buf) > 4*logBufferSize {
		l.buf = nil // after a burst, do not keep a large buffer
	} else {
		l.buf = l.buf[:0]
	}
}

// Close flushes and makes later writes go straight through.
func (l *logWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	l.closed = true
	return l.lastErr
}

// flushHandler writes records through h and flushes w after each record
// at warning level or above, so that warnings and errors are never held
// back.
type flushHandler struct {
	h slog.Handler
	w *logWriter
}

func (f flushHandler) Enabled(ctx context.Context, l slog.Level) bool { return f.h.Enabled(ctx, l) }

func (f flushHandler) Handle(ctx context.Context, r slog.Record) error {
	err := f.h.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		f.w.Flush()
	}
	return err
}

func (f flushHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flushHandler{f.h.WithAttrs(as), f.w}
}

func (f flushHandler) WithGroup(name string) slog.Handler {
	return flushHandler{f.h.WithGroup(name), f.w}
}
