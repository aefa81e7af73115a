package runtimeapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/http1"
	"github.com/fnurl/fnurl/internal/rawconn"
)

// maxHeaderBytes bounds a request's line and headers.
const maxHeaderBytes = 64 << 10

// maxDrain is how much of a request body a handler left unread is
// discarded to keep the connection; a longer rest closes it.
const maxDrain = MaxResponse + 1

// maxConns bounds the connections one environment may hold open to its
// Runtime API; runtimes use one or two. A process of the environment that
// opens more has them closed at once, so it cannot exhaust the server's
// file descriptors or goroutines.
const maxConns = 16

// bigPayload is the size from which writing an event gets a deadline: a
// runtime that stops reading could otherwise hold Invoke forever.
const bigPayload = 64 << 10

// conn is one connection from the runtime.
type conn struct {
	s  *Server
	nc net.Conn
	lr io.LimitedReader // under br: bounds the request line and headers
	br *bufio.Reader

	wmu sync.Mutex // guards bw: Invoke writes the answer to GET /next
	bw  *bufio.Writer
}

// serve accepts the runtime's connections until the listener closes.
func (s *Server) serve() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		if s.authorize != nil && !s.authorize(nc) {
			nc.Close()
			continue
		}
		c, err := s.newConn(rawconn.Wrap(nc))
		switch {
		case errors.Is(err, ErrClosed):
			return
		case err == nil:
			go c.serve()
		}
	}
}

// errTooManyConns refuses a connection over maxConns.
var errTooManyConns = errors.New("runtimeapi: too many connections")

// newConn tracks nc. After Close, or when the environment holds maxConns
// connections already, it closes nc and returns an error (ErrClosed,
// errTooManyConns).
func (s *Server) newConn(nc net.Conn) (*conn, error) {
	c := &conn{s: s, nc: nc}
	c.lr.R = nc
	c.br = bufio.NewReaderSize(&c.lr, 8<<10)
	c.bw = bufio.NewWriterSize(nc, 8<<10)
	s.mu.Lock()
	var err error
	switch {
	case s.failErr == ErrClosed:
		err = ErrClosed
	case len(s.conns) >= maxConns:
		err = errTooManyConns
	default:
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// serve reads the connection's requests one after the other. A GET /next
// leaves the connection waiting for Invoke to answer it; reading goes on,
// so that a runtime hanging up is noticed at once.
func (c *conn) serve() {
	s := c.s
	defer func() {
		s.mu.Lock()
		s.unwait(c)
		delete(s.conns, c)
		s.mu.Unlock()
		c.nc.Close()
	}()
	for {
		c.lr.N = maxHeaderBytes
		r, err := readRequest(c.br)
		if err != nil {
			switch {
			case c.lr.N <= 0:
				c.respond(http.StatusRequestHeaderFieldsTooLarge, http.Header{"Connection": {"close"}},
					ErrorJSON("InvalidRequest", "Request Header Fields Too Large"))
			case !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed):
				c.respond(http.StatusBadRequest, http.Header{"Connection": {"close"}}, ErrorJSON("InvalidRequest", "Bad Request"))
			}
			return
		}
		c.lr.N = math.MaxInt64
		s.mu.Lock()
		pending := slices.Contains(s.waiting, c)
		s.mu.Unlock()
		if pending {
			// A request sent before its GET /next was answered: the
			// answers would be out of order.
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == prefix+"invocation/next" {
			if !drainBody(r.Body) {
				return
			}
			// Connection: close is not honoured here: the connection
			// stays open for Invoke's answer, and the runtime closes it.
			if !s.await(c) {
				c.respond(http.StatusGone, nil, ErrorJSON("RuntimeGone", "The environment is shutting down"))
				return
			}
			continue
		}
		if r.Header.Get("Expect") == "100-continue" && r.ContentLength != 0 {
			c.wmu.Lock()
			c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			err := c.bw.Flush()
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
		w := &response{header: http.Header{}, code: http.StatusOK}
		s.ServeHTTP(w, r)
		// The body must be read to its end before the next request.
		keep := drainBody(r.Body) && !r.Close
		if !keep {
			w.header.Set("Connection", "close")
		}
		if c.respond(w.code, w.header, w.body) != nil || !keep {
			return
		}
	}
}

// readRequest reads the next request from br. The Runtime API's own
// requests (a GET /next; a result or an error posted with a length, or
// chunked as aws-lambda-go posts them) are parsed by http1.ParseHead, which
// takes what net/http reads the same way; anything else, and a head longer
// than br's buffer, is left to http.ReadRequest. A runtime makes two
// requests per invocation, and ReadRequest's header maps, line reader and
// body wrappers cost several microseconds of each.
func readRequest(br *bufio.Reader) (*http.Request, error) {
	n, err := peekUntil(br, http1.HeadLen)
	if n == 0 && err != nil && br.Buffered() == 0 {
		return nil, err
	}
	if n > 0 {
		buf, _ := br.Peek(n)
		if r := http1.ParseHead(buf, true); r != nil {
			br.Discard(n)
			switch {
			case r.TransferEncoding != nil:
				r.Body = &chunkedBody{r: r, br: br, chunks: httputil.NewChunkedReader(br)}
			case r.ContentLength > 0:
				r.Body = &lengthBody{br: br, n: r.ContentLength}
			}
			return r, nil
		}
	}
	return http.ReadRequest(br) // it reports what is wrong with the rest
}

// peekUntil reads into br's buffer until end finds where what it looks for
// ends in the buffered bytes, and returns that length. It returns 0 and
// no error when the buffer filled up first, 0 and the error when reading
// failed first.
func peekUntil(br *bufio.Reader, end func([]byte) int) (int, error) {
	for {
		buf, _ := br.Peek(br.Buffered())
		if n := end(buf); n > 0 {
			return n, nil
		}
		if len(buf) >= br.Size() {
			return 0, nil
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return 0, err
		}
	}
}

// sectionEnd returns the length of buf up to its first empty line, or 0.
func sectionEnd(buf []byte) int {
	if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return 0
}

// lengthBody is a body of n more bytes.
type lengthBody struct {
	br *bufio.Reader
	n  int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }

// chunkedBody is a chunked body followed by its trailers, which it puts
// into r.Trailer when it reaches the end, as net/http does.
type chunkedBody struct {
	r      *http.Request
	br     *bufio.Reader
	chunks io.Reader // httputil's chunked reader: the chunks, up to the last
	err    error     // sticky
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.chunks.Read(p)
	if err == io.EOF {
		err = b.readTrailer()
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (b *chunkedBody) Close() error { return nil }

// readTrailer reads the trailer section after the last chunk, up to its
// empty line, and returns io.EOF when it is well formed. Like net/http,
// it takes a trailer section only if it ends within br's buffer.
func (b *chunkedBody) readTrailer() error {
	buf, err := b.br.Peek(2)
	if string(buf) == "\r\n" {
		b.br.Discard(2)
		return io.EOF
	}
	if len(buf) < 2 {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	// The section must end within the buffer.
	if n, err := peekUntil(b.br, sectionEnd); n == 0 {
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		return errors.New("runtimeapi: suspiciously long trailer after chunked body")
	}
	hdr, err := textproto.NewReader(b.br).ReadMIMEHeader()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if b.r.Trailer == nil {
		b.r.Trailer = make(http.Header, len(hdr))
	}
	for k, v := range hdr {
		b.r.Trailer[k] = v
	}
	return io.EOF
}

// drainBody reads what is left of a request body, up to maxDrain, and
// reports whether it reached the end: the connection can take another
// request.
func drainBody(body io.Reader) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	return err == nil && n < maxDrain
}

// await registers c as waiting for an event. It reports false when the
// environment has failed.
func (s *Server) await(c *conn) bool {
	s.readyOnce.Do(func() { close(s.ready) })
	s.mu.Lock()
	if s.failErr != nil {
		s.mu.Unlock()
		return false
	}
	s.waiting = append(s.waiting, c)
	s.mu.Unlock()
	s.wake()
	return true
}

// unwait removes c from the waiting connections. s.mu is held.
func (s *Server) unwait(c *conn) {
	if i := slices.Index(s.waiting, c); i >= 0 {
		s.waiting = slices.Delete(s.waiting, i, i+1)
	}
}

// writeNext answers the connection's GET /next with inv.
func (c *conn) writeNext(inv *Invocation) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(inv.Payload) > bigPayload && !inv.Deadline.IsZero() {
		c.nc.SetWriteDeadline(inv.Deadline)
		defer c.nc.SetWriteDeadline(time.Time{})
	}
	b := c.bw
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
	writeHeader(b, HeaderRequestID, inv.RequestID)
	writeHeader(b, HeaderDeadlineMs, strconv.FormatInt(inv.Deadline.UnixMilli(), 10))
	writeHeader(b, HeaderFunctionARN, inv.FunctionARN)
	if inv.TraceID != "" {
		writeHeader(b, HeaderTraceID, inv.TraceID)
	}
	if inv.ClientContext != "" {
		writeHeader(b, HeaderClientContext, inv.ClientContext)
	}
	if inv.CognitoIdentity != "" {
		writeHeader(b, HeaderCognitoIdentity, inv.CognitoIdentity)
	}
	b.WriteString("Content-Length: ")
	b.WriteString(strconv.Itoa(len(inv.Payload)))
	b.WriteString("\r\n\r\n")
	b.Write(inv.Payload)
	return b.Flush()
}

// respond writes a whole response.
func (c *conn) respond(code int, h http.Header, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := c.bw
	b.WriteString("HTTP/1.1 ")
	b.WriteString(strconv.Itoa(code))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(code))
	b.WriteString("\r\n")
	if h.Get("Content-Type") == "" {
		b.WriteString("Content-Type: application/json\r\n")
	}
	for k, vs := range h {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			writeHeader(b, k, v)
		}
	}
	b.WriteString("Content-Length: ")
	b.WriteString(strconv.Itoa(len(body)))
	b.WriteString("\r\n\r\n")
	b.Write(body)
	return b.Flush()
}

// headerValue keeps a header on its line, as net/http does: CR and LF
// become spaces.
var headerValue = strings.NewReplacer("\r", " ", "\n", " ")

func writeHeader(b *bufio.Writer, k, v string) {
	b.WriteString(k)
	b.WriteString(": ")
	if strings.ContainsAny(v, "\r\n") {
		v = headerValue.Replace(v)
	}
	b.WriteString(v)
	b.WriteString("\r\n")
}

// response collects a handler's answer, which is small: the event, the
// only large body the Runtime API sends, is written by writeNext.
type response struct {
	header http.Header
	code   int
	wrote  bool
	body   []byte
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
}

func (w *response) Write(p []byte) (int, error) {
	w.wrote = true
	w.body = append(w.body, p...)
	return len(p), nil
}
