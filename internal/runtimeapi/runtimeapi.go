// Package runtimeapi serves the AWS Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) to one
// execution environment.
//
// Each environment gets its own Server listening on 127.0.0.1:0: the
// runtime learns the address from AWS_LAMBDA_RUNTIME_API, which is host:port
// only (clients append /2018-06-01/...), so a shared listener could not
// tell environments apart by path; a port per environment can, with no
// routing table and no lock shared between environments. A port is not a
// secret from local processes, so New takes a function that vets each
// connection's peer (package sandbox checks that the peer's socket belongs
// to one of the environment's processes). The paths and
// headers are the ones aws-lambda-go (lambda/runtime_api_client.go) and
// the Node.js and Python runtime interface clients use:
//
//	GET  /2018-06-01/runtime/invocation/next
//	POST /2018-06-01/runtime/invocation/{id}/response   (buffered, or streamed with Lambda-Runtime-Function-Response-Mode: streaming)
//	POST /2018-06-01/runtime/invocation/{id}/error      (Lambda-Runtime-Function-Error-Type)
//	POST /2018-06-01/runtime/init/error
//
// A Server hands one invocation at a time to the runtime: Invoke blocks
// until the runtime asks for the next event and answers it.
//
// The server speaks HTTP/1.1 itself (requests are parsed by
// http.ReadRequest) rather than through net/http's Server, to keep the
// warm invoke path short: a GET /next is answered by the goroutine that
// calls Invoke, writing straight to the runtime's connection, while the
// connection's own goroutine goes back to reading it, which is how a
// runtime that hangs up is noticed. net/http would park the connection's
// goroutine in the handler, start a second goroutine to watch the
// connection, and hand the invocation from one goroutine to another.
package runtimeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Header names of the Runtime API.
const (
	HeaderRequestID       = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs      = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID         = "Lambda-Runtime-Trace-Id"
	HeaderClientContext   = "Lambda-Runtime-Client-Context"
	HeaderCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	HeaderErrorType       = "Lambda-Runtime-Function-Error-Type"
	HeaderErrorBody       = "Lambda-Runtime-Function-Error-Body"
	HeaderResponseMode    = "Lambda-Runtime-Function-Response-Mode"
)

// MaxResponse is the largest buffered response a function may return
// (Lambda's 6 MB synchronous payload limit).
const MaxResponse = 6 * 1024 * 1024

// maxErrorBody bounds error and init error bodies.
const maxErrorBody = 1 << 20

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("runtimeapi: server closed")

// ErrNotDelivered wraps the error of an Invoke whose invocation never
// reached the runtime (it had failed before asking for the next event):
// the invocation may be retried elsewhere.
var ErrNotDelivered = errors.New("runtimeapi: invocation not delivered")

// Invocation is one event handed to the runtime.
type Invocation struct {
	RequestID       string
	Payload         []byte
	Deadline        time.Time
	FunctionARN     string
	TraceID         string
	ClientContext   string // JSON, sent as Lambda-Runtime-Client-Context (already decoded from base64)
	CognitoIdentity string // JSON, optional
	// Streaming asks for the runtime's answer as a stream, as Lambda's
	// InvokeWithResponseStream (a RESPONSE_STREAM function URL) does: the
	// response body is passed on as it arrives even when the runtime does
	// not send Lambda-Runtime-Function-Response-Mode (aws-lambda-go's
	// lambdaurl streams with chunked encoding and trailers only).
	Streaming bool
	// StreamEnd, when set, is called once a streamed response has ended
	// (err is nil, a *StreamError, or the error that cut the stream).
	StreamEnd func(err error)
}

// Result is the runtime's answer to an invocation.
type Result struct {
	// Payload is the buffered response, or for an error the error JSON
	// ({"errorMessage","errorType",...}).
	Payload []byte
	// ErrorType is set when the runtime reported an error (from
	// Lambda-Runtime-Function-Error-Type or the body's errorType).
	ErrorType string
	// Error is true when the runtime posted to .../error.
	Error bool
	// Stream is set when the runtime answered in streaming mode: the body
	// as it arrives. A mid-stream error reported in trailers ends it with a
	// *StreamError. The reader must be closed.
	Stream io.ReadCloser
	// Dispatched is when the event was about to be written to the
	// runtime, and Answered when the runtime's answer had been read (a
	// stream's: when it began). Between them are the function's time, its
	// runtime's and the network's; before and after, the server's.
	Dispatched, Answered time.Time
}

// StreamError ends a stream whose runtime reported an error in the
// Lambda-Runtime-Function-Error-Type / -Body trailers.
type StreamError struct {
	Type string
	Body []byte
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("function error during streaming: %s", e.Type)
}

// InitError is what a runtime posted to /runtime/init/error.
type InitError struct {
	Type    string
	Payload []byte // normalised error JSON
}

type call struct {
	inv  Invocation
	done chan *Result // buffered 1
	pw   *io.PipeWriter
}

// answer hands the runtime's answer to the invocation waiting for it.
func (c *call) answer(r *Result) {
	r.Answered = time.Now()
	c.done <- r
}

// Server is the Runtime API of one execution environment.
type Server struct {
	ln        net.Listener
	authorize func(net.Conn) bool

	ready     chan struct{} // closed on the first /next
	readyOnce sync.Once
	initErr   chan *InitError // buffered 1

	// kick wakes an Invoke waiting for a runtime to ask for an event.
	kick chan struct{} // buffered 1

	mu      sync.Mutex
	waiting []*conn // connections whose GET /next is unanswered, oldest first
	conns   map[*conn]struct{}
	cur     *call // handed to the runtime, not yet answered
	failErr error
	failed  chan struct{}
}

// New starts a Server on 127.0.0.1:0. When authorize is not nil, each
// accepted connection is first passed to it and closed unless it returns
// true: any local process can reach a loopback port, so the caller checks
// that the peer belongs to the environment.
func New(authorize func(net.Conn) bool) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: listen: %w", err)
	}
	s := newServer()
	s.ln = ln
	s.authorize = authorize
	go s.serve()
	return s, nil
}

func newServer() *Server {
	return &Server{
		ready:   make(chan struct{}),
		initErr: make(chan *InitError, 1),
		kick:    make(chan struct{}, 1),
		conns:   map[*conn]struct{}{},
		failed:  make(chan struct{}),
	}
}

// Addr is the host:port for AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Ready is closed when the runtime first asks for an event: its
// initialisation is over.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// InitError delivers what the runtime posted to /runtime/init/error.
func (s *Server) InitError() <-chan *InitError { return s.initErr }

// Fail marks the runtime as gone (crashed, timed out, killed): the
// pending Invoke returns err, a running stream ends with err, and later
// Invoke calls fail at once. The first error wins.
func (s *Server) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failErr != nil {
		return
	}
	s.failErr = err
	close(s.failed)
	if c := s.cur; c != nil && c.pw != nil {
		c.pw.CloseWithError(err)
	}
}

// Close fails the server with ErrClosed and closes its listener and
// connections.
func (s *Server) Close() error {
	s.Fail(ErrClosed)
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	return err
}

func (s *Server) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failErr
}

// Invoke hands inv to the runtime and waits for its answer. It returns
// ctx's error when ctx ends first, or the error given to Fail. For a
// streamed answer it returns as soon as the stream starts.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (*Result, error) {
	c := &call{inv: inv, done: make(chan *Result, 1)}
	var dispatched time.Time
	for delivered := false; !delivered; {
		s.mu.Lock()
		if s.failErr != nil {
			err := s.failErr
			s.mu.Unlock()
			return nil, fmt.Errorf("%w: %w", ErrNotDelivered, err)
		}
		if len(s.waiting) == 0 {
			s.mu.Unlock()
			select {
			case <-s.kick:
				continue
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			case <-s.failed:
				continue
			}
		}
		cn := s.waiting[0]
		s.waiting = s.waiting[1:]
		more := len(s.waiting) > 0
		s.cur = c
		s.mu.Unlock()
		if more {
			s.wake()
		}
		// The answer to the runtime's GET /next is written here, on the
		// caller's goroutine. A connection that cannot take it is closed
		// and the invocation goes to the next runtime that asks.
		dispatched = time.Now()
		if err := cn.writeNext(&c.inv); err != nil {
			cn.nc.Close()
			s.drop(c)
			continue
		}
		delivered = true
	}
	select {
	case r := <-c.done:
		r.Dispatched = dispatched
		return r, nil
	case <-ctx.Done():
		s.drop(c)
		return nil, context.Cause(ctx)
	case <-s.failed:
		// An answer that raced the failure still counts.
		select {
		case r := <-c.done:
			r.Dispatched = dispatched
			return r, nil
		default:
		}
		return nil, s.err()
	}
}

// wake lets one Invoke waiting for a runtime look again.
func (s *Server) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Server) drop(c *call) {
	s.mu.Lock()
	if s.cur == c {
		s.cur = nil
	}
	s.mu.Unlock()
}

const prefix = "/2018-06-01/runtime/"

// ServeHTTP routes the Runtime API's requests other than GET /next.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		writeError(w, http.StatusNotFound, "InvalidPath", "Not Found")
		return
	}
	switch {
	case p == "invocation/next":
		// GET is answered by the connection (see conn.serve).
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Method Not Allowed")
	case p == "init/error":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Method Not Allowed")
			return
		}
		s.handleInitError(w, r)
	case strings.HasPrefix(p, "invocation/"):
		rest := p[len("invocation/"):]
		i := strings.LastIndexByte(rest, '/')
		if i <= 0 || r.Method != http.MethodPost {
			writeError(w, http.StatusNotFound, "InvalidPath", "Not Found")
			return
		}
		id, verb := rest[:i], rest[i+1:]
		switch verb {
		case "response":
			s.handleResponse(w, r, id)
		case "error":
			s.handleError(w, r, id)
		default:
			writeError(w, http.StatusNotFound, "InvalidPath", "Not Found")
		}
	default:
		writeError(w, http.StatusNotFound, "InvalidPath", "Not Found")
	}
}

// take returns the current call if its id is id and marks it answered.
func (s *Server) take(id string) *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cur
	if c == nil || c.inv.RequestID != id {
		return nil
	}
	s.cur = nil
	return c
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request, id string) {
	c := s.take(id)
	if c == nil {
		drain(r.Body)
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	if c.inv.Streaming || strings.EqualFold(r.Header.Get(HeaderResponseMode), "streaming") {
		s.stream(w, r, c)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponse+1))
	if err != nil {
		c.answer(&Result{Error: true, ErrorType: "Runtime.ResponseReadError",
			Payload: ErrorJSON("Runtime.ResponseReadError", "Error while reading the function's response: "+err.Error())})
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Error reading the response body")
		return
	}
	if len(body) > MaxResponse {
		drain(r.Body)
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponse)
		c.answer(&Result{Error: true, ErrorType: "Function.ResponseSizeTooLarge", Payload: ErrorJSON("Function.ResponseSizeTooLarge", msg)})
		writeError(w, http.StatusRequestEntityTooLarge, "Function.ResponseSizeTooLarge", msg)
		return
	}
	c.answer(&Result{Payload: body})
	accepted(w)
}

// stream relays a streamed response through a pipe: Invoke returns as soon
// as the runtime starts posting, and the body reaches the reader as it is
// produced.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, c *call) {
	pr, pw := io.Pipe()
	s.mu.Lock()
	failed := s.failErr
	if failed == nil {
		c.pw = pw
		s.cur = c // so that Fail can cut the stream
	}
	s.mu.Unlock()
	if failed != nil {
		pw.CloseWithError(failed)
	}
	c.answer(&Result{Stream: pr})
	_, err := io.CopyBuffer(pw, r.Body, make([]byte, 32<<10))
	if err == nil {
		if t := r.Trailer.Get(HeaderErrorType); t != "" {
			b := []byte(r.Trailer.Get(HeaderErrorBody))
			if d, derr := base64.StdEncoding.DecodeString(string(b)); derr == nil {
				b = d
			}
			err = &StreamError{Type: t, Body: NormalizeError(t, b)}
		}
	}
	s.mu.Lock()
	if s.cur == c {
		s.cur = nil
	}
	c.pw = nil
	s.mu.Unlock()
	if err != nil {
		pw.CloseWithError(err)
	} else {
		pw.Close()
	}
	if c.inv.StreamEnd != nil {
		c.inv.StreamEnd(err)
	}
	if err != nil {
		var se *StreamError
		if !errors.As(err, &se) {
			writeError(w, http.StatusBadRequest, "StreamError", "The response stream was interrupted")
			return
		}
	}
	accepted(w)
}

func (s *Server) handleError(w http.ResponseWriter, r *http.Request, id string) {
	c := s.take(id)
	if c == nil {
		drain(r.Body)
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	drain(r.Body)
	t := r.Header.Get(HeaderErrorType)
	p := NormalizeError(t, body)
	if t == "" {
		t = errorTypeOf(p)
	}
	c.answer(&Result{Error: true, ErrorType: t, Payload: p})
	accepted(w)
}

func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	drain(r.Body)
	t := r.Header.Get(HeaderErrorType)
	p := NormalizeError(t, body)
	if t == "" {
		t = errorTypeOf(p)
	}
	select {
	case s.initErr <- &InitError{Type: t, Payload: p}:
	default: // only the first one counts
	}
	accepted(w)
}

// NormalizeError returns an error body as Lambda returns it to the
// invoker: the runtime's JSON object when the body is one, otherwise
// {"errorMessage": body, "errorType": typ}.
func NormalizeError(typ string, body []byte) []byte {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' && json.Valid(body) {
		return body
	}
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	msg := string(body)
	if msg == "" {
		msg = "Unknown application error occurred"
	}
	return ErrorJSON(typ, msg)
}

// ErrorJSON renders {"errorMessage":msg,"errorType":typ}.
func ErrorJSON(typ, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, typ})
	return b
}

func errorTypeOf(p []byte) string {
	var v struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(p, &v) == nil && v.ErrorType != "" {
		return v.ErrorType
	}
	return "Runtime.Unknown"
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(ErrorJSON(typ, msg))
}

// drain discards a bounded amount of an unread body so the connection can
// be reused.
func drain(r io.Reader) { io.Copy(io.Discard, io.LimitReader(r, MaxResponse)) }
