package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// rawConn replays one serialised HTTP/1.1 request on a keep-alive
// connection and reads the answer with as little work as a client can do,
// so that the measurement is about the server, not about the client's
// own goroutine hand-offs (net/http's client runs two goroutines per
// connection).
type rawConn struct {
	addr string
	req  []byte
	conn net.Conn
	br   *bufio.Reader
}

// newRawRequest serialises r (with its body) for replaying.
func newRawRequest(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func dialRaw(addr string, req []byte) (*rawConn, error) {
	c := &rawConn{addr: addr, req: req}
	return c, c.dial()
}

func (c *rawConn) dial() error {
	if c.conn != nil {
		c.conn.Close()
	}
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		return err
	}
	c.conn, c.br = conn, bufio.NewReaderSize(conn, 16<<10)
	return nil
}

func (c *rawConn) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// do sends the request and reads the whole response; it returns the
// status code. A connection the server closed is redialled once.
func (c *rawConn) do() (int, error) {
	for attempt := 0; ; attempt++ {
		status, keep, err := c.roundTrip()
		if err == nil {
			if !keep {
				err = c.dial()
			}
			return status, err
		}
		if attempt > 0 || !retryable(err) {
			return 0, err
		}
		if err := c.dial(); err != nil {
			return 0, err
		}
	}
}

func retryable(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset")
}

func (c *rawConn) roundTrip() (status int, keepAlive bool, err error) {
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, false, err
	}
	return readResponse(c.br)
}

// readResponse reads one HTTP/1.1 response from br, discarding its body.
// It understands Content-Length and chunked bodies.
func readResponse(br *bufio.Reader) (status int, keepAlive bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	keepAlive = line[7] == '1'
	length, chunked := int64(-1), false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case asciiEqualFold(k, "Content-Length"):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case asciiEqualFold(k, "Transfer-Encoding"):
			chunked = asciiEqualFold(v, "chunked")
		case asciiEqualFold(k, "Connection"):
			if asciiEqualFold(v, "close") {
				keepAlive = false
			}
		}
	}
	switch {
	case chunked:
		err = discardChunked(br)
	case length >= 0:
		_, err = br.Discard(int(length))
	case status == http.StatusNoContent || status == http.StatusNotModified || status < 200:
	default:
		// No length: the body runs to the end of the connection.
		_, err = io.Copy(io.Discard, br)
		keepAlive = false
	}
	return status, keepAlive, err
}

func discardChunked(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			// Trailers, then an empty line.
			for {
				l, err := br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(l, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := br.Discard(int(n) + 2); err != nil {
			return err
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// op is one request of a load worker; it returns an error for a failed
// request or an unexpected answer.
type op func() error

// load is what one phase measured on the client side.
type load struct {
	n       int
	errs    int
	errMsg  string
	elapsed time.Duration
	lat     []time.Duration
}

// runLoad runs ops (one per worker, each used by one goroutine) until d
// has passed or maxN requests were sent in all. begin is called just
// before the clock starts.
func runLoad(ops []op, d time.Duration, maxN int, begin func()) load {
	var sent atomic.Int64
	lats := make([][]time.Duration, len(ops))
	errs := make([]int, len(ops))
	var firstErr atomic.Value
	var wg sync.WaitGroup
	begin()
	start := time.Now()
	deadline := start.Add(d)
	for i, o := range ops {
		lats[i] = make([]time.Duration, 0, min(maxN/len(ops)+1, 1<<16))
		wg.Go(func() {
			for sent.Add(1) <= int64(maxN) {
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				err := o()
				lats[i] = append(lats[i], time.Since(t0))
				if err != nil {
					errs[i]++
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	l := load{elapsed: time.Since(start)}
	for i := range ops {
		l.lat = append(l.lat, lats[i]...)
		l.errs += errs[i]
	}
	l.n = len(l.lat)
	if s, ok := firstErr.Load().(string); ok {
		l.errMsg = s
	}
	return l
}

// Clients the load generator can send its requests with (-client).
const (
	clientRaw     = "raw"
	clientNetHTTP = "net/http"
)

// clientOps returns the ops of c workers replaying req to addr through the
// named client.
func clientOps(client, addr string, req []byte, c int, ok func(int) bool) ([]op, func(), error) {
	if client == clientNetHTTP {
		return httpOps(addr, req, c, ok)
	}
	return rawOps(addr, req, c, ok)
}

// rawOps dials c connections replaying req and returns their ops, which
// fail unless the status is accepted by ok.
func rawOps(addr string, req []byte, c int, ok func(int) bool) ([]op, func(), error) {
	conns := make([]*rawConn, 0, c)
	closeAll := func() {
		for _, rc := range conns {
			rc.Close()
		}
	}
	ops := make([]op, 0, c)
	for range c {
		rc, err := dialRaw(addr, req)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		conns = append(conns, rc)
		ops = append(ops, func() error {
			status, err := rc.do()
			if err != nil {
				return err
			}
			if !ok(status) {
				return fmt.Errorf("status %d", status)
			}
			return nil
		})
	}
	return ops, closeAll, nil
}

// httpOps is rawOps through Go's own HTTP client: a Transport keeping c
// connections alive, each read and written on goroutines of its own, and
// a request and a response built and parsed for every call, as a program
// on an AWS SDK sends its requests. What it adds to each request over
// rawConn is a client's cost that every target pays alike: it moves the
// ratios to the hello server (docs/benchmarks/README.md, round 12).
func httpOps(addr string, req []byte, c int, ok func(int) bool) ([]op, func(), error) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req)))
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}
	client := &http.Client{Transport: tr}
	url := "http://" + addr + r.RequestURI
	ops := make([]op, 0, c)
	for range c {
		ops = append(ops, func() error {
			q, err := http.NewRequest(r.Method, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			q.Host, q.Header = r.Host, r.Header.Clone()
			resp, err := client.Do(q)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			if !ok(resp.StatusCode) {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		})
	}
	return ops, tr.CloseIdleConnections, nil
}
