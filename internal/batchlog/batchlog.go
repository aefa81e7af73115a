// Package batchlog buffers a server's log output and writes it in batches,
// so that a log line per request (the access log) is not a write system
// call per request.
//
// A write is more than its own cost in a Go program: entering a system call
// wakes the runtime's monitor thread (sysmon) when it sleeps, as it does
// whenever the server waits, and sysmon then polls every 20 µs until the
// server is idle again. On fnurl's warm invoke path at concurrency 1 the
// access log's write was 4 to 5 of the server's 21 system calls and 3 to 4
// of its 6 to 7 context switches per request (docs/benchmarks/README.md).
//
// Lines below slog.LevelWarn wait at most the flush interval; warnings and
// errors are written at once, after whatever is buffered, so that the
// lines explaining a failure are out before the process can die of it.
package batchlog

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// maxBuffered bounds the buffer: a Write that fills it writes the batch
// itself.
const maxBuffered = 256 << 10

// Writer buffers what is written to it and writes it to the underlying
// writer within an interval, in order. It is safe for concurrent use.
type Writer struct {
	w        io.Writer
	interval time.Duration

	wmu   sync.Mutex // held while writing to w: keeps batches in order
	spare []byte     // the last batch's buffer, reused; guarded by wmu

	mu     sync.Mutex
	buf    []byte
	armed  bool // the timer will flush buf
	closed bool
	timer  *time.Timer
}

// New returns a Writer that writes to w at most interval after a Write.
func New(w io.Writer, interval time.Duration) *Writer {
	b := &Writer{w: w, interval: interval}
	b.timer = time.AfterFunc(time.Hour, func() { b.Flush() })
	b.timer.Stop()
	return b
}

// Write buffers p. It always succeeds while the Writer is open; after
// Close it writes p at once.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.writeNow(p)
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= maxBuffered
	if !full && !b.armed {
		b.armed = true
		b.timer.Reset(b.interval)
	}
	b.mu.Unlock()
	if full {
		if err := b.Flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (b *Writer) Flush() error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return b.flushLocked()
}

// flushLocked writes the buffer; b.wmu is held.
func (b *Writer) flushLocked() error {
	b.mu.Lock()
	out := b.buf
	b.buf, b.spare = b.spare[:0], nil
	b.armed = false
	b.mu.Unlock()
	if len(out) == 0 {
		b.spare = out
		return nil
	}
	_, err := b.w.Write(out)
	if cap(out) <= 2*maxBuffered {
		b.spare = out[:0]
	}
	return err
}

// writeNow writes what is buffered, then p.
func (b *Writer) writeNow(p []byte) (int, error) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if err := b.flushLocked(); err != nil {
		return 0, err
	}
	return b.w.Write(p)
}

// Now returns a writer that writes through b at once: what b holds first,
// then what is written to it.
func (b *Writer) Now() io.Writer { return now{b} }

type now struct{ b *Writer }

func (n now) Write(p []byte) (int, error) { return n.b.writeNow(p) }

// Close writes what is buffered; later writes go straight through.
func (b *Writer) Close() error {
	b.mu.Lock()
	b.closed = true
	b.timer.Stop()
	b.mu.Unlock()
	return b.Flush()
}

// Handler returns a slog.Handler that writes records below slog.LevelWarn
// through b's buffer and the others at once, each with a handler made by
// newHandler (for example slog.NewTextHandler with the logger's options).
func Handler(b *Writer, newHandler func(io.Writer) slog.Handler) slog.Handler {
	return split{low: newHandler(b), high: newHandler(b.Now())}
}

// split sends records to low or high by level.
type split struct{ low, high slog.Handler }

func (s split) Enabled(ctx context.Context, l slog.Level) bool {
	if l >= slog.LevelWarn {
		return s.high.Enabled(ctx, l)
	}
	return s.low.Enabled(ctx, l)
}

func (s split) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		return s.high.Handle(ctx, r)
	}
	return s.low.Handle(ctx, r)
}

func (s split) WithAttrs(attrs []slog.Attr) slog.Handler {
	return split{low: s.low.WithAttrs(attrs), high: s.high.WithAttrs(attrs)}
}

func (s split) WithGroup(name string) slog.Handler {
	return split{low: s.low.WithGroup(name), high: s.high.WithGroup(name)}
}
