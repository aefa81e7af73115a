// Package http1 serves HTTP/1.1 on plain TCP connections with less work per
// request than net/http, and hands everything else to a net/http server.
//
// net/http's server does, for each request on a keep-alive connection,
// work that fnurl's requests do not need: a goroutine reading in the
// background to notice the client hanging up (started, then stopped with
// two read-deadline changes), a cancelable context, a response whose
// header is copied and written through two buffers. On a two-CPU machine
// that is about 8 µs of a hello server's 20 µs per request at concurrency 16
// (docs/benchmarks/README.md). This package reads a request's head in one
// piece from the connection's buffer, parses it with one string copy,
// calls the handler and writes the response's head and a buffered body in
// one write system call.
//
// It takes only the requests whose reading it can keep simple (see
// ParseHead): HTTP/1.1 with a path, a body framed by Content-Length or
// none, a head that fits in the connection's buffer. Any other request, a
// TLS connection, or a head it cannot parse goes, with its connection and
// the bytes already read, to Fallback, a net/http server, which serves that
// connection from then on: it answers malformed requests as net/http
// does, speaks HTTP/2 over TLS, and handles HEAD, chunked bodies, Expect
// and upgrades.
//
// Differences from net/http that a handler can see: a request's context is
// not canceled when the client hangs up (writes to a gone client fail),
// and the response writer supports Flush and http.ResponseController's
// read and write deadlines, not Hijack.
package http1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves HTTP/1.1 requests on a listener's connections.
type Server struct {
	Handler http.Handler
	// Fallback serves the connections this server hands over. Its Handler
	// is normally Handler; Serve calls its Serve with a listener of those
	// connections, and Shutdown its Shutdown.
	Fallback *http.Server
	// HeaderTimeout bounds reading a request's head once its first byte
	// has arrived (net/http's ReadHeaderTimeout); 0 is no limit.
	HeaderTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a kept-alive
	// connection; 0 is no limit.
	IdleTimeout time.Duration
	// Log receives handler panics and failed accepts; nil is
	// slog.Default().
	Log *slog.Logger

	requests, handoffTLS, handoffLongHead, handoffRequest atomic.Uint64

	mu      sync.Mutex
	ln      net.Listener
	conns   map[*conn]struct{}
	handoff *handoffListener
	closing atomic.Bool
	done    chan error // Fallback.Serve's result
}

// Stats counts what a Server has done since it started.
type Stats struct {
	// Requests is the number of requests answered here.
	Requests uint64
	// HandedOver counts the connections given to Fallback, by reason:
	// "tls" (a TLS connection), "long-head" (a request head over 8 KB),
	// "request" (a request this server does not take; see ParseHead).
	HandedOver map[string]uint64
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), HandedOver: map[string]uint64{
		"tls": s.handoffTLS.Load(), "long-head": s.handoffLongHead.Load(), "request": s.handoffRequest.Load()}}
}

// bufSize is a connection's read buffer: a request head must fit in it
// to be served here (longer ones go to net/http, which allows 64 KB).
const bufSize = 8 << 10

// maxDrain is how much of a request body the handler left unread is read
// and discarded to keep the connection (net/http's figure); a longer rest
// closes it.
const maxDrain = 256 << 10

// Serve accepts connections on ln until Shutdown or an error of ln's, and
// returns http.ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.ln, s.conns = ln, make(map[*conn]struct{})
	s.handoff = &handoffListener{addr: ln.Addr(), conns: make(chan net.Conn), closed: make(chan struct{})}
	s.done = make(chan error, 1)
	s.mu.Unlock()
	go func() { s.done <- s.Fallback.Serve(s.handoff) }()

	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				// Out of file descriptors and the like: back off and
				// try again, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log().Warn("http1: accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			s.handoff.Close()
			return err
		}
		delay = 0
		if _, ok := nc.(*tls.Conn); ok {
			s.handoffTLS.Add(1)
			s.handoff.give(nc)
			continue
		}
		c := &conn{s: s, nc: nc}
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			nc.Close()
			return http.ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go c.serve()
	}
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Shutdown stops accepting, closes idle connections, and waits until the
// requests in flight here and in Fallback have been answered or ctx is
// done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	ln, handoff, done := s.ln, s.handoff, s.done
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	ln.Close()
	fallback := make(chan error, 1)
	go func() { fallback <- s.Fallback.Shutdown(ctx) }()
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		s.mu.Lock()
		for c := range s.conns {
			if c.state.CompareAndSwap(stateIdle, stateClosed) {
				c.nc.Close()
			}
		}
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	err := <-fallback
	handoff.Close()
	if serr := <-done; err == nil && serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// Connection states: a connection is idle while it waits for a request,
// so Shutdown may close it.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

// conn is one connection being served here.
type conn struct {
	s          *Server
	nc         net.Conn
	br         *bufio.Reader
	remoteAddr string
	state      atomic.Int32
	w          response  // reused from request to request
	idleSince  time.Time // when the read deadline was set to IdleTimeout from then; zero after any other
}

// setReadDeadline sets a read deadline other than the idle one.
func (c *conn) setReadDeadline(t time.Time) error {
	c.idleSince = time.Time{}
	return c.nc.SetReadDeadline(t)
}

func (c *conn) serve() {
	s := c.s
	handedOver := false
	var rb *body // the last request's body
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		switch {
		case handedOver:
		case rb != nil && rb.n > 0 && rb.err == nil:
			c.lingerClose()
		default:
			c.nc.Close()
		}
	}()
	c.remoteAddr = c.nc.RemoteAddr().String()
	c.br = bufio.NewReaderSize(c.nc, bufSize)
	c.w.c = c
	for first := true; ; first = false {
		// The first request's head has HeaderTimeout from the
		// connection's start, as in net/http; later ones may be awaited
		// for IdleTimeout. Setting a deadline costs about as much as
		// parsing a head, so an idle deadline set less than a 64th of
		// IdleTimeout (at most a second) ago is left as it is.
		switch now := time.Now(); {
		case first && s.HeaderTimeout > 0:
			c.setReadDeadline(now.Add(s.HeaderTimeout))
		case !first && s.IdleTimeout > 0 && (c.idleSince.IsZero() || now.Sub(c.idleSince) > min(time.Second, s.IdleTimeout/64)):
			c.nc.SetReadDeadline(now.Add(s.IdleTimeout))
			c.idleSince = now
		}
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return // Shutdown closed it
		}
		head, ok := c.readHead(first)
		if !ok {
			return
		}
		var r *http.Request
		if head == nil {
			s.handoffLongHead.Add(1)
		} else if r = ParseHead(head, false); r == nil {
			s.handoffRequest.Add(1)
		}
		if r == nil {
			// Not ours: net/http reads it again from the start.
			handedOver = true
			s.handoff.give(&replayConn{Conn: c.nc, r: c.br})
			return
		}
		c.br.Discard(len(head))
		r.RemoteAddr = c.remoteAddr
		rb = nil
		if r.ContentLength > 0 {
			rb = &body{c: c, n: r.ContentLength}
			r.Body = rb
			if c.br.Buffered() < int(r.ContentLength) {
				c.setReadDeadline(time.Time{}) // the handler sets its own for the body
			}
		}
		s.requests.Add(1)
		if !c.handle(r) {
			return
		}
		if rb != nil && rb.n > 0 && !rb.drain() {
			return
		}
		if !c.state.CompareAndSwap(stateActive, stateIdle) {
			return
		}
	}
}

// lingerTimeout bounds how long lingerClose waits for the client.
const lingerTimeout = 500 * time.Millisecond

// lingerClose closes a connection whose request body was left unread.
// Closing a socket with unread data sends a reset, which can discard the
// response before the client, still writing its body, reads it. So it
// ends the response side first, discards what the client still sends
// until the client closes or lingerTimeout passes, then closes (net/http
// waits 500 ms after the same half-close).
func (c *conn) lingerClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, c.nc)
	}
	c.nc.Close()
}

// readHead returns the request head at the start of the buffer, up to and
// including its empty line, reading more as needed; deadline says the
// header deadline is set already. It returns nil, true
// when the head does not fit in the buffer (net/http takes the request),
// and false when the connection failed or timed out.
func (c *conn) readHead(deadline bool) ([]byte, bool) {
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		if n := HeadLen(buf); n > 0 {
			return buf[:n], true
		}
		if len(buf) >= bufSize {
			return nil, true
		}
		if !deadline && c.s.HeaderTimeout > 0 {
			c.setReadDeadline(time.Now().Add(c.s.HeaderTimeout))
			deadline = true
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			return nil, false
		}
	}
}

// handle calls the handler and finishes the response. It reports whether
// the connection may serve another request.
func (c *conn) handle(r *http.Request) (keep bool) {
	w := &c.w
	w.reset(r)
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.s.log().Error("http1: panic serving", "remote", c.remoteAddr, "panic", v, "stack", string(debug.Stack()))
			}
			keep = false
		}
	}()
	c.s.Handler.ServeHTTP(w, r)
	return w.finish()
}

// body is a request body of known length, read from the connection's
// buffer.
type body struct {
	c      *conn
	n      int64 // left to read
	closed bool
	err    error
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.c.br.Read(p)
	b.n -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return n, err
	}
	if b.n == 0 {
		return n, io.EOF
	}
	return n, nil
}

func (b *body) Close() error {
	b.closed = true
	return nil
}

// drain discards the rest of a body the handler left unread, if short
// enough, and reports whether the connection can go on.
func (b *body) drain() bool {
	if b.err != nil || b.n > maxDrain {
		return false
	}
	if d := b.c.s.HeaderTimeout; d > 0 {
		b.c.setReadDeadline(time.Now().Add(d))
	}
	_, err := b.c.br.Discard(int(b.n))
	b.n = 0
	b.closed = true
	return err == nil
}

// replayConn is a connection handed to net/http, which reads first what
// this server had read ahead.
type replayConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(p)
		}
		c.r = nil
	}
	return c.Conn.Read(p)
}

// handoffListener is the listener Fallback serves: it accepts the
// connections handed over.
type handoffListener struct {
	addr   net.Addr
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func (l *handoffListener) give(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.closed:
		c.Close()
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
