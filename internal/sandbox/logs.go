package sandbox

import (
	"bytes"
	"context"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fnurl/fnurl/internal/rawconn"
)

// Log limits.
const (
	ringLines     = 10000   // events kept per function
	ringBytes     = 8 << 20 // bytes of messages kept per function
	maxLine       = 256 << 10
	maxInvocation = 1 << 20 // output kept per invocation; the rest is dropped
	tailBytes     = 4096
)

// logRing is the bounded log of one function.
type logRing struct {
	mu     sync.Mutex
	events []LogEvent // oldest first
	bytes  int
	subs   map[chan LogEvent]struct{}
}

func (m *Manager) ring(name string) *logRing {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.logs[name]
	if r == nil {
		r = &logRing{subs: map[chan LogEvent]struct{}{}}
		m.logs[name] = r
	}
	return r
}

func (r *logRing) add(ev LogEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	r.bytes += len(ev.Message)
	drop := 0
	for len(r.events)-drop > ringLines || (r.bytes > ringBytes && len(r.events)-drop > 1) {
		r.bytes -= len(r.events[drop].Message)
		drop++
	}
	if drop > 0 {
		// Compact only now and then to keep appends amortised O(1).
		if drop > len(r.events)/8 || cap(r.events) > 4*ringLines {
			n := copy(r.events, r.events[drop:])
			clear(r.events[n:])
			r.events = r.events[:n]
		} else {
			clear(r.events[:drop])
			r.events = r.events[drop:]
		}
	}
	for ch := range r.subs {
		select {
		case ch <- ev:
		default: // a slow follower misses events rather than stalling functions
		}
	}
}

// Logs returns the function's captured log events (newest last) from
// since on.
func (m *Manager) Logs(name string, since time.Time) []LogEvent {
	r := m.ring(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.events), func(i int) bool { return !r.events[i].Time.Before(since) })
	return append([]LogEvent(nil), r.events[i:]...)
}

// Follow streams the function's new log events until ctx ends; then the
// channel is closed. A follower that does not keep up misses events.
func (m *Manager) Follow(ctx context.Context, name string) <-chan LogEvent {
	r := m.ring(name)
	ch := make(chan LogEvent, 256)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		delete(r.subs, ch)
		close(ch)
		r.mu.Unlock()
	})
	return ch
}

// capture reads one environment's stdout and stderr (one pipe) and turns
// them into log events of the current invocation.
type capture struct {
	m    *Manager
	ring *logRing
	r, w *os.File
	rc   syscall.RawConn // of r
	done chan struct{}

	// mu is held while a chunk is read from the pipe and recorded, by
	// loop and by flush alike, so what has left the pipe has been
	// recorded.
	mu        sync.Mutex
	buf       []byte
	reqID     string
	tail      []byte // nil when not collecting
	collect   bool
	partial   []byte
	invBytes  int
	truncated bool

	// dropSchedTrace drops the Go scheduler's trace lines, which the
	// GODEBUG setting that keeps a Go function's sysmon awake may print
	// (sysmonAwake).
	dropSchedTrace bool
	inSchedDump    bool // after a dropped trace line: its per-P, M and G lines follow
}

// dropSchedTraces makes c drop the Go scheduler's trace lines.
func (c *capture) dropSchedTraces() {
	c.mu.Lock()
	c.dropSchedTrace = true
	c.mu.Unlock()
}

func (m *Manager) newCapture(name string) *capture {
	c := &capture{m: m, ring: m.ring(name), done: make(chan struct{}), buf: make([]byte, 32<<10)}
	r, w, err := os.Pipe()
	if err != nil {
		close(c.done)
		return c
	}
	if c.rc, err = r.SyscallConn(); err == nil {
		// Reads under c.mu must never block (os.Pipe registers the read
		// end with the poller, which already makes it non-blocking).
		c.rc.Control(func(fd uintptr) { err = syscall.SetNonblock(int(fd), true) })
	}
	if err != nil {
		r.Close()
		w.Close()
		close(c.done)
		return c
	}
	c.r, c.w = r, w
	go c.loop()
	return c
}

// loop records the pipe's data until the writers are gone. Each read and
// the recording of what it read happen under c.mu, so that flush, which
// reads what is left under the same lock, never misses a chunk that has
// left the pipe but is not recorded yet.
func (c *capture) loop() {
	defer close(c.done)
	// Read returns at the end of the pipe, or with an error once close
	// has closed it.
	c.rc.Read(func(fd uintptr) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for {
			more, eof := c.readLocked(int(fd))
			if eof {
				return true
			}
			if !more {
				return false // wait until the pipe is readable
			}
		}
	})
	c.mu.Lock()
	c.flushPartial()
	c.mu.Unlock()
}

// readLocked reads once from the pipe (non-blocking) and records what it
// read. more reports that the pipe may hold more; eof that the writers are
// gone (or the pipe failed). c.mu is held.
func (c *capture) readLocked(fd int) (more, eof bool) {
	n, err := rawconn.ReadFD(uintptr(fd), c.buf)
	switch {
	case n > 0:
		c.feed(c.buf[:n])
		return true, false
	case err == syscall.EINTR:
		return true, false
	case err == syscall.EAGAIN:
		return false, false
	default: // n == 0: end of file; or an error
		return false, true
	}
}

func (c *capture) feed(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.partial = append(c.partial, b...)
			if len(c.partial) >= maxLine {
				c.flushPartial()
			}
			return
		}
		if len(c.partial) > 0 {
			c.partial = append(c.partial, b[:i]...)
			c.emit(string(c.partial), false)
			c.partial = c.partial[:0]
		} else {
			c.emit(string(b[:i]), false)
		}
		b = b[i+1:]
	}
}

func (c *capture) flushPartial() {
	if len(c.partial) > 0 {
		c.emit(string(c.partial), false)
		c.partial = c.partial[:0]
	}
}

// emit records one line; c.mu is held. System lines (START, END, REPORT)
// are never dropped.
func (c *capture) emit(msg string, system bool) {
	msg = string(bytes.TrimSuffix([]byte(msg), []byte("\r")))
	if !system && c.dropSchedTrace {
		switch {
		case isSchedTrace(msg):
			c.inSchedDump = true
			return
		case c.inSchedDump && isSchedDetail(msg):
			return
		}
		c.inSchedDump = false
	}
	if !system {
		c.invBytes += len(msg) + 1
		if c.invBytes > maxInvocation {
			if c.truncated {
				return
			}
			c.truncated = true
			msg = "fnurl: log output of this invocation exceeded 1 MB; the rest is dropped"
		}
	}
	c.ring.add(LogEvent{Time: time.Now(), RequestID: c.reqID, Message: msg})
	if c.collect {
		c.tail = append(c.tail, msg...)
		c.tail = append(c.tail, '\n')
		if len(c.tail) > 2*tailBytes {
			c.tail = append(c.tail[:0], c.tail[len(c.tail)-tailBytes:]...)
		}
	}
}

// begin attributes the following output to reqID; collecting a tail that
// is already being collected (a cold start's init output) goes on.
func (c *capture) begin(reqID string, tail bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqID = reqID
	if tail && !c.collect {
		c.collect = true
		c.tail = c.tail[:0]
	}
	c.invBytes = 0
	c.truncated = false
}

func (c *capture) system(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emit(msg, true)
}

// end returns the tail (the last 4 KB) and stops collecting.
func (c *capture) end() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []byte
	if c.collect {
		t := c.tail
		if len(t) > tailBytes {
			t = t[len(t)-tailBytes:]
		}
		out = append([]byte(nil), t...)
	}
	c.collect = false
	c.tail = nil
	c.reqID = ""
	return out
}

// flush records everything the runtime wrote before answering: a runtime
// writes its output before it posts its answer, so the bytes are in the
// pipe by now, or already recorded by loop. It reads what is left itself,
// under the lock loop reads under: usually one read that finds the pipe
// empty.
func (c *capture) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rc != nil {
		// Control, not Read: loop may be waiting in Read, and Control
		// fails once the pipe is closed.
		c.rc.Control(func(fd uintptr) {
			for {
				if more, _ := c.readLocked(int(fd)); !more {
					return
				}
			}
		})
	}
	c.flushPartial()
}

// close stops reading (after what is already in the pipe).
func (c *capture) close() {
	if c.r == nil {
		return
	}
	c.w.Close()
	select {
	case <-c.done:
	case <-time.After(100 * time.Millisecond):
		// Leftover processes still hold the pipe: stop reading anyway.
		c.r.Close()
		<-c.done
	}
	c.r.Close()
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// isSchedTrace reports whether line is the first line of the Go runtime's
// scheduler trace ("SCHED 0ms: gomaxprocs=1 idleprocs=1 threads=5 …"),
// which a Go program with schedtrace set prints every so often and, with
// its state in detail, when it crashes.
func isSchedTrace(line string) bool {
	rest, ok := strings.CutPrefix(line, "SCHED ")
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && strings.HasPrefix(rest[i:], "ms: gomaxprocs=")
}

// isSchedDetail reports whether line is one of the lines of processor,
// thread and goroutine state ("  P0: status=1 …", "  M2: p=nil …",
// "  G6: status=2() …") that follow a crashing program's scheduler trace.
func isSchedDetail(line string) bool {
	rest, ok := strings.CutPrefix(line, "  ")
	if !ok || rest == "" || (rest[0] != 'P' && rest[0] != 'M' && rest[0] != 'G') {
		return false
	}
	i := 1
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 1 && strings.HasPrefix(rest[i:], ": ")
}
