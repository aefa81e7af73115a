package http1

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// maxBuffer is how much of a response body is held back, to be sent with
// a Content-Length in the write that sends the head. A longer body, or one
// flushed before the handler returns, is sent as it comes: with the
// handler's Content-Length, or chunked.
const maxBuffer = 64 << 10

// flushAt is how much of a committed response's output is gathered before
// a write (net/http's buffer size).
const flushAt = 4 << 10

// response is the http.ResponseWriter of a request served here. One per
// connection is reused from request to request.
type response struct {
	c           *conn
	req         *http.Request
	header      http.Header
	status      int
	wroteHeader bool
	committed   bool     // the head has been built and is in out or sent
	chunked     bool     // the body goes out in chunks
	declared    int64    // the handler's Content-Length, or -1
	written     int64    // body bytes accepted from the handler
	buf         []byte   // the body, until committed
	out         []byte   // output not yet written, once committed
	keys        []string // scratch for sorting header names
	closeConn   bool
	err         error // a write failed: the connection is broken
	body        *body // the request's body, nil when it has none
}

func (w *response) reset(r *http.Request) {
	buf, out, keys := w.buf[:0], w.out[:0], w.keys[:0]
	if cap(buf) > 2*maxBuffer {
		buf = nil // keep a connection's memory small after a large response
	}
	if cap(out) > 2*maxBuffer {
		out = nil
	}
	rb, _ := r.Body.(*body)
	*w = response{c: w.c, req: r, declared: -1, buf: buf, out: out, keys: keys, closeConn: r.Close, body: rb}
}

func (w *response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header, 8)
	}
	return w.header
}

func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		return // superfluous, as net/http ignores it
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		// An informational answer goes out at once; the final one follows.
		out := appendStatusLine(w.out[:0], code)
		out = w.appendHeader(out)
		w.out = append(out, "\r\n"...)
		w.write(w.out)
		w.out = w.out[:0]
		return
	}
	w.status, w.wroteHeader = code, true
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.declared = n
		} else {
			w.header.Del("Content-Length")
		}
	}
	if connectionClose(w.header["Connection"]) {
		w.closeConn = true
	}
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.declared >= 0 && w.written > w.declared {
		return 0, http.ErrContentLength
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.committed {
		if len(w.buf)+len(p) <= maxBuffer {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.commit(false, p)
	}
	if w.chunked {
		w.out = strconv.AppendInt(w.out, int64(len(p)), 16)
		w.out = append(w.out, "\r\n"...)
	}
	if len(p) >= flushAt {
		// Written from the caller's slice rather than copied.
		w.flush()
		w.write(p)
	} else {
		w.out = append(w.out, p...)
	}
	if w.chunked {
		w.out = append(w.out, "\r\n"...)
	}
	if len(w.out) >= flushAt {
		w.flush()
	}
	return len(p), w.err
}

// Flush sends what has been written, committing the head: a response
// without a Content-Length is chunked from then on.
func (w *response) Flush() { w.FlushError() }

// FlushError is Flush, returning the write's error (for
// http.ResponseController).
func (w *response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(false, nil)
	}
	w.flush()
	return w.err
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error  { return w.c.setReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.nc.SetWriteDeadline(t) }

// EnableFullDuplex serves http.ResponseController: the request body may
// be read after the response has begun, as it may here anyway.
func (w *response) EnableFullDuplex() error { return nil }

// finish completes the response after the handler returned and reports
// whether the connection may serve another request.
func (w *response) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(true, nil)
	} else if w.chunked {
		w.out = append(w.out, "0\r\n\r\n"...)
	}
	w.flush()
	if w.declared >= 0 && w.written != w.declared && bodyAllowed(w.status) {
		w.closeConn = true // the client cannot tell where this response ends
	}
	return !w.closeConn && w.err == nil
}

// commit turns the buffered body into output: the head, then the body
// framed by Content-Length (the handler's, or the buffer's length when
// final) or, when neither is known, the first chunk. next is what the
// handler is writing, which the Content-Type is sniffed from when nothing
// was buffered.
func (w *response) commit(final bool, next []byte) {
	body := w.buf
	out := appendStatusLine(w.out, w.status)
	out = w.appendHeader(out)
	h := w.header
	allowed := bodyAllowed(w.status)
	if allowed {
		sniff := body
		if len(sniff) == 0 {
			sniff = next
		}
		if _, ok := h["Content-Type"]; !ok && len(sniff) > 0 {
			out = append(out, "Content-Type: "...)
			out = append(out, http.DetectContentType(sniff[:min(len(sniff), 512)])...)
			out = append(out, "\r\n"...)
		}
		switch {
		case w.declared >= 0:
		case final:
			out = append(out, "Content-Length: "...)
			out = strconv.AppendInt(out, int64(len(body)), 10)
			out = append(out, "\r\n"...)
		default:
			w.chunked = true
			out = append(out, "Transfer-Encoding: chunked\r\n"...)
		}
	}
	if w.c.s.closing.Load() {
		w.closeConn = true // shutting down: the client should not send another request here
	}
	if b := w.body; b != nil && (b.err != nil || b.n > maxDrain) {
		// The rest of the body will not be drained, so the connection
		// ends with this response, as net/http's does past 256 KB.
		w.closeConn = true
	}
	if _, ok := h["Date"]; !ok {
		out = append(out, "Date: "...)
		out = append(out, httpDate()...)
		out = append(out, "\r\n"...)
	}
	if w.closeConn && !connectionClose(h["Connection"]) {
		out = append(out, "Connection: close\r\n"...)
	}
	out = append(out, "\r\n"...)
	if allowed && len(body) > 0 {
		if w.chunked {
			out = strconv.AppendInt(out, int64(len(body)), 16)
			out = append(out, "\r\n"...)
			out = append(out, body...)
			out = append(out, "\r\n"...)
		} else {
			out = append(out, body...)
		}
	}
	w.committed, w.out, w.buf = true, out, body[:0]
}

// flush writes the output gathered so far.
func (w *response) flush() {
	if len(w.out) > 0 {
		w.write(w.out)
		w.out = w.out[:0]
	}
}

func (w *response) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.c.nc.Write(b); err != nil {
		w.err, w.closeConn = err, true
	}
}

// appendHeader appends the handler's header fields, sorted by name, as
// net/http writes them: names that are not valid tokens are left out, and
// line breaks in values become spaces.
func (w *response) appendHeader(out []byte) []byte {
	keys := w.keys[:0]
	for k := range w.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.keys = keys
	for _, k := range keys {
		if !validToken(k) {
			continue
		}
		for _, v := range w.header[k] {
			out = append(out, k...)
			out = append(out, ": "...)
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			out = append(out, strings.Trim(v, " \t")...)
			out = append(out, "\r\n"...)
		}
	}
	return out
}

var newlineToSpace = strings.NewReplacer("\r", " ", "\n", " ")

func appendStatusLine(out []byte, code int) []byte {
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, ' ')
	if text := http.StatusText(code); text != "" {
		out = append(out, text...)
	} else {
		out = append(out, "status code "...)
		out = strconv.AppendInt(out, int64(code), 10)
	}
	return append(out, "\r\n"...)
}

// bodyAllowed reports whether a response with this status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// connectionClose reports whether Connection header values ask to close.
func connectionClose(vs []string) bool {
	for _, v := range vs {
		if hasToken(v, "close") {
			return true
		}
	}
	return false
}

// httpDate returns the current time in the Date header's format, formatted
// once a second.
func httpDate() string {
	now := time.Now()
	sec := now.Unix()
	if d := date.Load(); d != nil && d.sec == sec {
		return d.s
	}
	d := &dated{sec: sec, s: now.UTC().Format(http.TimeFormat)}
	date.Store(d)
	return d.s
}

type dated struct {
	sec int64
	s   string
}

var date atomic.Pointer[dated]
