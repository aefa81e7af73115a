// Package rawconn wraps TCP and Unix stream connections so that their reads
// and writes are made as raw system calls on the non-blocking socket, with
// the Go runtime's network poller still waiting when the socket is not
// ready, and deadlines and Close working as they do on a net.Conn.
//
// A plain net.Conn enters the Go scheduler's system-call state around every
// read and write. On loopback a write runs the receiver's side of the TCP
// stack before it returns, often longer than the 20 µs tick of the runtime's
// monitor thread (sysmon), which then takes the P from the writing thread and
// keeps waking every 20 µs. With one P (fnurl's server at concurrency 1)
// that is a handoff and a few extra wake-ups per request. A non-blocking
// socket never blocks in read or write, so keeping the P through the call
// is safe; the only cost is that no other goroutine runs on that P for the
// microseconds the call takes. Measured in docs/benchmarks/README.md.
//
// Only Linux takes the raw path; elsewhere Wrap returns the connection as
// it is.
package rawconn

import (
	"net"
	"sync"
	"syscall"
)

// Conn is a net.Conn whose Read and Write are raw system calls. Everything
// else (deadlines, Close, addresses, CloseWrite, ReadFrom and WriteTo for
// sendfile and splice) is the wrapped connection's.
type Conn struct {
	net.Conn
	rc   syscall.RawConn
	r, w op
}

// op is a Read or a Write in progress: the function the raw connection
// calls, its buffer and its results. They live in the Conn so that a call
// allocates nothing (a closure over them escapes to the heap on every
// call); mu keeps a second Read (or Write) from another goroutine out of
// them until the first returns.
type op struct {
	mu    sync.Mutex
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// Wrap returns c with raw reads and writes when c is a *net.TCPConn or a
// *net.UnixConn on Linux, and c itself otherwise.
func Wrap(c net.Conn) net.Conn {
	if !supported {
		return c
	}
	var sc syscall.Conn
	switch t := c.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	rw := &Conn{Conn: c, rc: rc}
	rw.setOps()
	return rw
}

// CloseWrite shuts down the writing side, as net/http's server does before
// it closes a connection.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Listener wraps the connections an inner listener accepts.
type Listener struct{ net.Listener }

// Accept waits for the next connection and wraps it.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// opError wraps err as net's own methods do, so that callers that test
// for *net.OpError, net.Error timeouts, net.ErrClosed or io.EOF see what
// they would see from the wrapped connection.
func (c *Conn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		// The raw connection says "raw-read" or "raw-write".
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
