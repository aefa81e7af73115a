package runtimeapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runtime is a minimal runtime client driving s over real HTTP.
type runtime struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newRuntime(t testing.TB, s *Server) *runtime {
	return &runtime{t: t, base: "http://" + s.Addr() + "/2018-06-01/runtime", c: &http.Client{}}
}

func (r *runtime) next() (*http.Response, []byte) {
	r.t.Helper()
	resp, err := r.c.Get(r.base + "/invocation/next")
	if err != nil {
		r.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func (r *runtime) post(path string, body io.Reader, h http.Header) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.base+path, body)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := r.c.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

func start(t testing.TB) *Server {
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestInvokeRoundTrip(t *testing.T) {
	s := start(t)
	rt := newRuntime(t, s)
	deadline := time.UnixMilli(1_800_000_000_123)
	type out struct {
		r   *Result
		err error
	}
	done := make(chan out, 1)
	began := time.Now()
	go func() {
		r, err := s.Invoke(context.Background(), Invocation{RequestID: "id-1", Payload: []byte(`{"a":1}`), Deadline: deadline,
			FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f", TraceID: "Root=1", ClientContext: `{"c":1}`})
		done <- out{r, err}
	}()
	resp, body := rt.next()
	select {
	case <-s.Ready():
	default:
		t.Error("Ready not closed after /next")
	}
	for k, want := range map[string]string{
		HeaderRequestID:     "id-1",
		HeaderDeadlineMs:    strconv.FormatInt(deadline.UnixMilli(), 10),
		HeaderFunctionARN:   "arn:aws:lambda:us-east-1:123456789012:function:f",
		HeaderTraceID:       "Root=1",
		HeaderClientContext: `{"c":1}`,
		"Content-Type":      "application/json",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got, want := string(body), `{"a":1}`; got != want {
		t.Errorf("event = %s, want %s", got, want)
	}
	if code, _ := rt.post("/invocation/wrong-id/response", strings.NewReader("x"), nil); code != http.StatusBadRequest {
		t.Errorf("unknown id: %d, want 400", code)
	}
	posting := time.Now()
	if code, b := rt.post("/invocation/id-1/response", strings.NewReader(`"ok"`), nil); code != http.StatusAccepted {
		t.Errorf("response: %d %s, want 202", code, b)
	}
	o := <-done
	returned := time.Now()
	if o.err != nil || string(o.r.Payload) != `"ok"` || o.r.Error {
		t.Fatalf("Invoke = %+v, %v", o.r, o.err)
	}
	// The event was delivered after Invoke began; the answer was read
	// after it was posted; both before Invoke returned.
	if d := o.r.Dispatched; d.Before(began) || d.After(returned) {
		t.Errorf("Dispatched = %v, want between %v and %v", d, began, returned)
	}
	if a := o.r.Answered; a.Before(posting) || a.After(returned) {
		t.Errorf("Answered = %v, want between %v and %v", a, posting, returned)
	}
	if code, _ := rt.post("/invocation/id-1/response", strings.NewReader(`"again"`), nil); code != http.StatusBadRequest {
		t.Errorf("second answer: %d, want 400", code)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, typ, body string
		wantType        string
		wantPayload     string
	}{
		{"json body", "MyError", `{"errorMessage":"m","errorType":"MyError","stackTrace":[]}`, "MyError", `{"errorMessage":"m","errorType":"MyError","stackTrace":[]}`},
		{"text body", "Custom", `it broke`, "Custom", `{"errorMessage":"it broke","errorType":"Custom"}`},
		{"type only in body", "", `{"errorMessage":"m","errorType":"FromBody"}`, "FromBody", `{"errorMessage":"m","errorType":"FromBody"}`},
		{"empty", "", ``, "Runtime.Unknown", `{"errorMessage":"Unknown application error occurred","errorType":"Runtime.Unknown"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			rt := newRuntime(t, s)
			done := make(chan *Result, 1)
			go func() {
				r, _ := s.Invoke(context.Background(), Invocation{RequestID: "e1", Deadline: time.Now().Add(time.Minute)})
				done <- r
			}()
			rt.next()
			h := http.Header{}
			if tc.typ != "" {
				h.Set(HeaderErrorType, tc.typ)
			}
			if code, _ := rt.post("/invocation/e1/error", strings.NewReader(tc.body), h); code != http.StatusAccepted {
				t.Fatalf("status %d", code)
			}
			r := <-done
			if !r.Error || r.ErrorType != tc.wantType || string(r.Payload) != tc.wantPayload {
				t.Errorf("got %+v %s, want %s %s", r, r.Payload, tc.wantType, tc.wantPayload)
			}
		})
	}
}

func TestInitError(t *testing.T) {
	s := start(t)
	rt := newRuntime(t, s)
	h := http.Header{HeaderErrorType: {"Runtime.ImportModuleError"}}
	if code, _ := rt.post("/init/error", strings.NewReader(`{"errorMessage":"no module","errorType":"Runtime.ImportModuleError"}`), h); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	select {
	case ie := <-s.InitError():
		if ie.Type != "Runtime.ImportModuleError" || !bytes.Contains(ie.Payload, []byte("no module")) {
			t.Errorf("%+v", ie)
		}
	case <-time.After(time.Second):
		t.Fatal("no init error")
	}
}

func TestStream(t *testing.T) {
	s := start(t)
	rt := newRuntime(t, s)
	ended := make(chan error, 1)
	done := make(chan *Result, 1)
	go func() {
		r, err := s.Invoke(context.Background(), Invocation{RequestID: "s1", Deadline: time.Now().Add(time.Minute),
			StreamEnd: func(err error) { ended <- err }})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	rt.next()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", rt.base+"/invocation/s1/response", pr)
	req.Header.Set(HeaderResponseMode, "streaming")
	req.Trailer = http.Header{HeaderErrorType: nil, HeaderErrorBody: nil}
	posted := make(chan int, 1)
	go func() {
		resp, err := rt.c.Do(req)
		if err != nil {
			posted <- 0
			return
		}
		resp.Body.Close()
		posted <- resp.StatusCode
	}()
	pw.Write([]byte("part one;"))
	r := <-done // Invoke returned while the body is still open
	buf := make([]byte, 9)
	if _, err := io.ReadFull(r.Stream, buf); err != nil || string(buf) != "part one;" {
		t.Fatalf("first part %q %v", buf, err)
	}
	pw.Write([]byte("part two"))
	req.Trailer.Set(HeaderErrorType, "Boom")
	req.Trailer.Set(HeaderErrorBody, "eyJlcnJvck1lc3NhZ2UiOiJib29tIn0=") // {"errorMessage":"boom"}
	pw.Close()
	rest, err := io.ReadAll(r.Stream)
	var se *StreamError
	if string(rest) != "part two" || !errors.As(err, &se) || se.Type != "Boom" || string(se.Body) != `{"errorMessage":"boom"}` {
		t.Errorf("rest %q, err %v", rest, err)
	}
	if code := <-posted; code != http.StatusAccepted {
		t.Errorf("runtime got %d", code)
	}
	if err := <-ended; !errors.As(err, &se) {
		t.Errorf("StreamEnd(%v)", err)
	}
}

func TestFailAndTimeout(t *testing.T) {
	s := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Invoke(ctx, Invocation{RequestID: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded (no runtime asked)", err)
	}
	boom := errors.New("runtime exited")
	go func() { time.Sleep(20 * time.Millisecond); s.Fail(boom) }()
	if _, err := s.Invoke(context.Background(), Invocation{RequestID: "y"}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
	if _, err := s.Invoke(context.Background(), Invocation{RequestID: "z"}); !errors.Is(err, boom) {
		t.Errorf("after Fail: err = %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	s := start(t)
	rt := newRuntime(t, s)
	done := make(chan *Result, 1)
	go func() {
		r, _ := s.Invoke(context.Background(), Invocation{RequestID: "big", Deadline: time.Now().Add(time.Minute)})
		done <- r
	}()
	rt.next()
	code, _ := rt.post("/invocation/big/response", bytes.NewReader(make([]byte, MaxResponse+1)), nil)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d", code)
	}
	r := <-done
	if !r.Error || r.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Errorf("%+v %s", r, r.Payload)
	}
}

// socketPair returns the two ends of a connected Unix stream socket: the
// client's can be half-closed, and neither leaves a TIME_WAIT behind.
func socketPair(t testing.TB) (*net.UnixConn, net.Conn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0].(*net.UnixConn), conns[1]
}

// exchange sends raw to a connection of s and returns what s answers
// until it closes the connection, after the client has half-closed its
// side. An Invoke answers any GET /next, and when pending an invocation
// with ID "id" awaits its response.
func exchange(t testing.TB, s *Server, raw []byte, pending bool) []byte {
	cli, srv := socketPair(t)
	defer cli.Close()
	c, err := s.newConn(srv)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { c.serve(); close(served) }()
	ctx, cancel := context.WithCancel(context.Background())
	invoked := make(chan struct{})
	defer func() { cancel(); <-invoked }()
	if pending {
		pc := &call{inv: Invocation{RequestID: "id"}, done: make(chan *Result, 1)}
		s.mu.Lock()
		s.cur = pc
		s.mu.Unlock()
		go func() {
			select {
			case r := <-pc.done:
				if r.Stream != nil {
					io.Copy(io.Discard, r.Stream)
					r.Stream.Close()
				}
			case <-ctx.Done():
			}
		}()
	}
	go func() {
		defer close(invoked)
		r, err := s.Invoke(ctx, Invocation{RequestID: "n", Payload: []byte(`{}`), Deadline: time.Now().Add(time.Minute), ClientContext: "a\r\nX-Injected: 1"})
		if err == nil && r.Stream != nil {
			io.Copy(io.Discard, r.Stream)
			r.Stream.Close()
		}
	}()
	go func() {
		cli.Write(raw)
		cli.CloseWrite()
	}()
	cli.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(cli)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading the answers: %v", err)
	}
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection is still served after the client hung up")
	}
	return out
}

// FuzzConn sends arbitrary bytes to a Runtime API connection, with and
// without an invocation pending: nothing may panic, the connection must
// end when the client hangs up, and every answer must be a well-formed
// HTTP response with a known status, JSON, and no header but those sent.
func FuzzConn(f *testing.F) {
	req := func(method, path string, h string, body string) []byte {
		return []byte(method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + h + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	}
	f.Add(req("POST", "/2018-06-01/runtime/invocation/id/response", "", `"x"`), true)
	f.Add(req("POST", "/2018-06-01/runtime/invocation/id/error", "Lambda-Runtime-Function-Error-Type: Err\r\n", `{"errorType":1}`), true)
	f.Add([]byte("POST /2018-06-01/runtime/invocation/id/response HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type\r\n\r\n5\r\nchunk\r\n0\r\nLambda-Runtime-Function-Error-Type: E\r\n\r\n"), true)
	f.Add(req("POST", "/2018-06-01/runtime/init/error", "Lambda-Runtime-Function-Error-Type: T\r\n", "{"), false)
	f.Add(req("GET", "/2018-06-01/runtime/invocation/next", "", ""), false)
	f.Add(append(req("GET", "/2018-06-01/runtime/invocation/next", "", ""), req("POST", "/2018-06-01/runtime/invocation/n/response", "", `1`)...), false)
	f.Add(req("POST", "/2018-06-01/runtime/invocation//response", "Expect: 100-continue\r\n", "ab"), false)
	f.Add(req("PUT", "/2018-06-01/runtime/invocation/a/b/c/error", "X: \x00\r\n", "\xff"), true)
	f.Add([]byte("GET / HTTP/1.0\r\n\r\nGET /x HTTP/1.1\r\nHost: y\r\n\r\n"), false)
	f.Add([]byte("\r\n\r\nGARBAGE\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, raw []byte, pending bool) {
		s := newServer()
		defer s.Close()
		br := bufio.NewReader(bytes.NewReader(exchange(t, s, raw, pending)))
		for {
			if _, err := br.Peek(1); err == io.EOF {
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("malformed answer: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("answer body: %v", err)
			}
			switch resp.StatusCode {
			case 100:
				continue
			case 200, 202, 400, 404, 405, 410, 413, 431:
			default:
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !json.Valid(body) {
				t.Fatalf("non-JSON answer %q", body)
			}
			if resp.Header.Get("X-Injected") != "" {
				t.Fatalf("a header was injected: %v", resp.Header)
			}
		}
	})
}

// TestRuntimeHangsUp checks that a connection whose GET /next was never
// answered is forgotten as soon as the runtime closes it: the next
// invocation goes to the runtime's new connection, not to the dead one.
func TestRuntimeHangsUp(t *testing.T) {
	s := start(t)
	waiting := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.waiting)
	}
	until := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); waiting() != want; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections waiting, want %d", waiting(), want)
			}
		}
	}
	old, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(old, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
	until(1)
	old.Close()
	until(0)

	done := make(chan *Result, 1)
	go func() {
		r, err := s.Invoke(context.Background(), Invocation{RequestID: "r1", Payload: []byte(`"p"`), Deadline: time.Now().Add(time.Minute)})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	rt := newRuntime(t, s)
	resp, body := rt.next()
	if id := resp.Header.Get(HeaderRequestID); id != "r1" || string(body) != `"p"` {
		t.Fatalf("next = %s %q", id, body)
	}
	if code, _ := rt.post("/invocation/r1/response", strings.NewReader(`"ok"`), nil); code != http.StatusAccepted {
		t.Fatalf("response: %d", code)
	}
	if r := <-done; r == nil || string(r.Payload) != `"ok"` {
		t.Fatalf("Invoke = %+v", r)
	}
}

// TestExpectContinue checks that a runtime asking for 100 Continue before
// sending its response body (as libcurl does for large bodies) gets it.
func TestExpectContinue(t *testing.T) {
	s := start(t)
	done := make(chan *Result, 1)
	go func() {
		r, _ := s.Invoke(context.Background(), Invocation{RequestID: "c1", Deadline: time.Now().Add(time.Minute)})
		done <- r
	}()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("next: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	io.WriteString(c, "POST /2018-06-01/runtime/invocation/c1/response HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v %v, want 100 Continue", resp, err)
	}
	io.WriteString(c, `"ok"`)
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("after the body: %v %v, want 202", resp, err)
	}
	if r := <-done; r == nil || string(r.Payload) != `"ok"` {
		t.Fatalf("Invoke = %+v", r)
	}
}

// TestMalformedRequests checks the answers to requests the Runtime API
// cannot read: a header block over the limit, and garbage.
func TestMalformedRequests(t *testing.T) {
	tests := []struct {
		name, raw string
		want      int
	}{
		{"header too large", "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"not HTTP", "hello\r\n\r\n", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer()
			defer s.Close()
			out := exchange(t, s, []byte(tt.raw), false)
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
			if err != nil {
				t.Fatalf("answer %q: %v", out, err)
			}
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestConnectionLimit checks that a process of the environment cannot hold
// more than maxConns connections to its Runtime API (each is a file
// descriptor and a goroutine of the server), and that the runtime's own
// connection keeps working.
func TestConnectionLimit(t *testing.T) {
	s := start(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	open := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		return c
	}
	// Served connections answer; a refused one is closed at once.
	served := func(c net.Conn) bool {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusAccepted
	}
	for i := range maxConns {
		if !served(open()) {
			t.Fatalf("connection %d refused, want served", i+1)
		}
	}
	for i := range 4 {
		if served(open()) {
			t.Fatalf("connection %d over the limit served", i+1)
		}
	}
	// Closing served connections makes room again.
	for _, c := range conns[:maxConns] {
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still tracked after closing them", n)
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan *Result, 1)
	go func() {
		r, _ := s.Invoke(context.Background(), Invocation{RequestID: "after", Deadline: time.Now().Add(time.Minute)})
		done <- r
	}()
	rt := newRuntime(t, s)
	rt.next()
	if code, _ := rt.post("/invocation/after/response", strings.NewReader(`1`), nil); code != http.StatusAccepted {
		t.Fatalf("response: %d", code)
	}
	if r := <-done; r == nil || string(r.Payload) != "1" {
		t.Fatalf("Invoke = %+v", r)
	}
}

// FuzzReadRequest checks readRequest against http.ReadRequest on the same
// bytes: the same request, the same body (or both an error), the same
// trailers, and the same bytes left for the next request.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-go/go1.26.8\r\nAccept-Encoding: gzip\r\n\r\n",
		"POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-go/go1.26.8\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\nAccept-Encoding: gzip\r\n\r\n1\r\n{\r\n4\r\n}xyz\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type\r\n\r\n3;x=y\r\nabc\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.Err\r\nLambda-Runtime-Function-Error-Body: eyJ9\r\n\r\n",
		"POST /2018-06-01/runtime/invocation/1/error HTTP/1.1\r\nHost: h\r\nLambda-Runtime-Function-Error-Type: E\r\nContent-Length: 2\r\n\r\n{}",
		"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
		"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabc",
		"GET / HTTP/1.0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		type read struct {
			method, target, host string
			header, trailer      http.Header
			body, rest           []byte
			headErr, bodyErr     bool
		}
		do := func(readReq func(*bufio.Reader) (*http.Request, error)) read {
			br := bufio.NewReaderSize(bytes.NewReader(raw), 8<<10)
			r, err := readReq(br)
			if err != nil {
				return read{headErr: true}
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			out := read{method: r.Method, target: r.RequestURI, host: r.Host, header: r.Header, trailer: r.Trailer, body: body, bodyErr: err != nil}
			if err == nil {
				out.rest, _ = io.ReadAll(br)
			}
			return out
		}
		got, want := do(readRequest), do(http.ReadRequest)
		if got.headErr != want.headErr || got.bodyErr != want.bodyErr || got.method != want.method || got.target != want.target ||
			got.host != want.host || !bytes.Equal(got.body, want.body) || !bytes.Equal(got.rest, want.rest) {
			t.Fatalf("%q:\nreadRequest  %+v\nReadRequest %+v", raw, got, want)
		}
		if !sameHeader(got.header, want.header) || !sameHeader(got.trailer, want.trailer) {
			t.Fatalf("%q: header %v trailer %v, net/http's %v and %v", raw, got.header, got.trailer, want.header, want.trailer)
		}
	})
}

// sameHeader reports whether a and b hold the same names and values.
func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// BenchmarkReadRequest reads the two requests aws-lambda-go makes per
// invocation (its GET /next, and its result posted chunked with trailers
// declared) with readRequest and with http.ReadRequest.
func BenchmarkReadRequest(b *testing.B) {
	const result = `"statusCode":200,"headers":null,"body":"\"Hello from Lambda!\"","cookies":null}`
	raw := []byte("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-go/go1.26.8\r\nAccept-Encoding: gzip\r\n\r\n" +
		"POST /2018-06-01/runtime/invocation/8e5a3e2c-1f0b-4c57-9d3a-0b1c2d3e4f50/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-go/go1.26.8\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\nAccept-Encoding: gzip\r\n\r\n" +
		"1\r\n{\r\n" + strconv.FormatInt(int64(len(result)), 16) + "\r\n" + result + "\r\n0\r\n\r\n")
	for _, bc := range []struct {
		name string
		read func(*bufio.Reader) (*http.Request, error)
	}{{"fnurl", readRequest}, {"net-http", http.ReadRequest}} {
		b.Run(bc.name, func(b *testing.B) {
			rd := bytes.NewReader(raw)
			br := bufio.NewReaderSize(rd, 8<<10)
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(raw)
				br.Reset(rd)
				for range 2 {
					r, err := bc.read(br)
					if err != nil {
						b.Fatal(err)
					}
					if !drainBody(r.Body) {
						b.Fatal("body not read to its end")
					}
				}
			}
		})
	}
}
