package sandbox

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
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
	done chan struct{}

	nread, nproc atomic.Int64 // bytes read from the pipe, bytes processed

	mu        sync.Mutex
	reqID     string
	tail      []byte // nil when not collecting
	collect   bool
	partial   []byte
	invBytes  int
	truncated bool
}

func (m *Manager) newCapture(name string) *capture {
	c := &capture{m: m, ring: m.ring(name), done: make(chan struct{})}
	r, w, err := os.Pipe()
	if err != nil {
		close(c.done)
		return c
	}
	c.r, c.w = r, w
	go c.loop()
	return c
}

func (c *capture) loop() {
	defer close(c.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.r.Read(buf)
		c.nread.Add(int64(n))
		if n > 0 {
			c.mu.Lock()
			c.feed(buf[:n])
			c.mu.Unlock()
		}
		c.nproc.Add(int64(n))
		if err != nil {
			c.mu.Lock()
			c.flushPartial()
			c.mu.Unlock()
			return
		}
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

// flush waits (briefly) until everything the runtime wrote before
// answering has been read and recorded: a runtime writes its output
// before it posts its answer, so the bytes are in the pipe by now.
func (c *capture) flush() {
	if c.r == nil {
		return
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	stable := 0
	for i := 0; ; i++ {
		if c.pending() == 0 && c.nread.Load() == c.nproc.Load() {
			// Twice, with the reader given a chance to run in between:
			// it may have just taken bytes out of the pipe.
			if stable++; stable >= 2 {
				break
			}
		} else {
			stable = 0
		}
		if time.Now().After(deadline) {
			break
		}
		if i < 50 {
			runtime.Gosched()
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}
	c.mu.Lock()
	c.flushPartial()
	c.mu.Unlock()
}

// pending is the number of unread bytes in the pipe (FIONREAD).
func (c *capture) pending() int {
	n := 0
	sc, err := c.r.SyscallConn()
	if err != nil {
		return 0
	}
	sc.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v))); e == 0 {
			n = int(v)
		}
	})
	return n
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
