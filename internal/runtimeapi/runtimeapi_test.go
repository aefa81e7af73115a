package runtimeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
	if code, b := rt.post("/invocation/id-1/response", strings.NewReader(`"ok"`), nil); code != http.StatusAccepted {
		t.Errorf("response: %d %s, want 202", code, b)
	}
	o := <-done
	if o.err != nil || string(o.r.Payload) != `"ok"` || o.r.Error {
		t.Fatalf("Invoke = %+v, %v", o.r, o.err)
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

// FuzzHandler posts arbitrary methods, paths, headers and bodies to the
// Runtime API, with and without an invocation pending: nothing may panic
// and every answer is JSON with a known status.
func FuzzHandler(f *testing.F) {
	f.Add("POST", "/2018-06-01/runtime/invocation/id/response", "", []byte(`"x"`), true)
	f.Add("POST", "/2018-06-01/runtime/invocation/id/error", "Err", []byte(`{"errorType":1}`), true)
	f.Add("POST", "/2018-06-01/runtime/invocation/id/response", "streaming", []byte("chunk"), true)
	f.Add("POST", "/2018-06-01/runtime/init/error", "T", []byte("{"), false)
	f.Add("GET", "/2018-06-01/runtime/invocation/next", "", []byte(nil), false)
	f.Add("POST", "/2018-06-01/runtime/invocation//response", "", []byte(nil), false)
	f.Add("PUT", "/2018-06-01/runtime/invocation/a/b/c/error", "\x00", []byte("\xff"), true)
	f.Fuzz(func(t *testing.T, method, path, hdr string, body []byte, pending bool) {
		s := newServer()
		defer s.Fail(ErrClosed)
		stop := make(chan struct{})
		defer close(stop)
		if pending {
			c := &call{inv: Invocation{RequestID: "id"}, done: make(chan *Result, 1)}
			s.cur = c
			go func() {
				select {
				case r := <-c.done:
					if r.Stream != nil {
						io.Copy(io.Discard, r.Stream)
						r.Stream.Close()
					}
				case <-stop:
				}
			}()
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method = method
		req.URL.Path = path
		req.Header.Set(HeaderErrorType, hdr)
		req.Header.Set(HeaderResponseMode, hdr)
		if strings.HasSuffix(path, "/next") && method == "GET" {
			// /next waits for an invocation: give it one to hand over.
			go func() {
				select {
				case s.next <- &call{inv: Invocation{RequestID: "n"}, done: make(chan *Result, 1)}:
				case <-stop:
				}
			}()
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		switch w.Code {
		case 200, 202, 400, 404, 405, 410, 413:
		default:
			t.Fatalf("status %d", w.Code)
		}
		if w.Code != 200 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("non-JSON answer %q", w.Body.String())
		}
	})
}
