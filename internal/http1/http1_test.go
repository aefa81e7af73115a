package http1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testHandler answers by path: /echo reports what it saw of the request
// (and whether this package or net/http served it) as JSON; the others
// each exercise one way of writing a response.
func testHandler(served *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(*response); ok && served != nil {
			served.Add(1)
		}
		switch r.URL.Path {
		case "/echo":
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			h := r.Header.Clone()
			js, _ := json.Marshal(map[string]any{"method": r.Method, "uri": r.RequestURI, "path": r.URL.Path,
				"query": r.URL.RawQuery, "host": r.Host, "header": h, "body": string(b), "length": r.ContentLength,
				"close": r.Close, "proto": r.Proto})
			w.Header().Set("Content-Type", "application/json")
			w.Write(js)
		case "/sniff":
			io.WriteString(w, "<html><body>hi</body></html>")
		case "/length":
			w.Header().Set("Content-Length", "5")
			w.Header().Set("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			w.WriteHeader(201)
			io.WriteString(w, "hello")
		case "/short": // declares more than it writes: the connection must close
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "hello")
		case "/empty":
			w.WriteHeader(204)
		case "/none":
		case "/big":
			w.Write(bytes.Repeat([]byte("x"), maxBuffer/2))
		case "/huge-once": // one write past the buffer, no length: sniffed and chunked
			w.Write([]byte("<html>" + strings.Repeat("z", 3*maxBuffer/2)))
		case "/huge-length": // one write past the buffer, with its length
			b := bytes.Repeat([]byte("l"), 3*maxBuffer/2)
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
		case "/huge":
			for range 3 {
				w.Write(bytes.Repeat([]byte("y"), maxBuffer/2))
			}
		case "/stream":
			for i := range 3 {
				io.WriteString(w, strings.Repeat(string(rune('a'+i)), 10))
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		case "/newline":
			w.Header().Set("X-Bad", "a\r\nInjected: yes")
			w.Header()["Bad Name"] = []string{"x"}
			io.WriteString(w, "ok")
		case "/panic":
			panic("test panic")
		case "/partial": // reads 3 bytes of the body
			b := make([]byte, 3)
			io.ReadFull(r.Body, b)
			w.Write(b)
		default:
			http.NotFound(w, r)
		}
	}
}

// start serves h with a Server on loopback, set up by the optional
// configure, and returns its address.
func start(t testing.TB, h http.Handler, configure ...func(*Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, Fallback: &http.Server{Handler: h}, HeaderTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second}
	for _, f := range configure {
		f(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// startNetHTTP serves h with net/http alone: the reference.
func startNetHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// dial connects to addr with a 5 s deadline for everything on the
// connection, closed at the end of the test.
func dial(t testing.TB, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c, bufio.NewReader(c)
}

// exchange sends raw on a new connection and reads one response, and its
// body as far as it could be read.
func exchange(t testing.TB, addr, raw string) (*http.Response, []byte, error) {
	t.Helper()
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response to %q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestAgainstNetHTTP sends the same requests to net/http and to this
// package's server and compares the responses, and checks which requests
// this package served itself and which it handed to net/http.
func TestAgainstNetHTTP(t *testing.T) {
	var served atomic.Int64
	ref := startNetHTTP(t, testHandler(nil))
	var srv *Server
	addr := start(t, testHandler(&served), func(s *Server) { srv = s })
	const sig = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc\r\nX-Amz-Date: 20150830T123600Z\r\n"
	cases := []struct {
		name string
		raw  string
		fast bool
	}{
		{"get", "GET /echo?a=b&c=%20d HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n", true},
		{"signed", "GET /echo HTTP/1.1\r\nHost: abc.lambda-url.us-east-1.on.aws\r\n" + sig + "\r\n", true},
		{"lower-case names", "GET /echo HTTP/1.1\r\nhost: h\r\nx-amz-date: 1\r\nx-custom-thing: v\r\nX-CUSTOM-two: w\r\n\r\n", true},
		{"repeated header", "GET /echo HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-A: 2\r\nx-a: 3\r\n\r\n", true},
		{"spaces around value", "GET /echo HTTP/1.1\r\nHost: h\r\nX-A:   v  \t\r\nX-B:\r\n\r\n", true},
		{"post", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}", true},
		{"zero length", "PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", true},
		{"connection close", "GET /echo HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, close\r\n\r\n", true},
		{"empty host", "GET /echo HTTP/1.1\r\nHost:\r\n\r\n", true},
		{"sniffed", "GET /sniff HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"declared length", "GET /length HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"short", "GET /short HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"no content", "DELETE /empty HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"nothing written", "GET /none HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"big", "GET /big HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"huge", "GET /huge HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"huge in one write", "GET /huge-once HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"huge with length", "GET /huge-length HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"stream", "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"handler closes", "GET /close HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"bad header values", "GET /newline HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"not found", "GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"options", "OPTIONS /echo HTTP/1.1\r\nHost: h\r\nOrigin: https://x.example\r\nAccess-Control-Request-Method: POST\r\n\r\n", true},
		// A body mostly left unread: drained up to 256 KB, past that the
		// connection closes after the response.
		{"body left unread", "POST /partial HTTP/1.1\r\nHost: h\r\nContent-Length: 200000\r\n\r\n" + strings.Repeat("b", 200000), true},
		{"long body left unread", "POST /partial HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("b", 300000), true},
		// Handed to net/http:
		{"HTTP/1.0", "GET /echo HTTP/1.0\r\nHost: h\r\n\r\n", false},
		{"HEAD", "HEAD /echo HTTP/1.1\r\nHost: h\r\n\r\n", false},
		{"chunked", "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false},
		{"expect", "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab", false},
		{"absolute form", "GET http://h/echo HTTP/1.1\r\nHost: h\r\n\r\n", false},
		{"upgrade", "GET /echo HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false},
		{"long head", "GET /echo HTTP/1.1\r\nHost: h\r\nX-Long: " + strings.Repeat("a", bufSize) + "\r\n\r\n", false},
		{"bare LF", "GET /echo HTTP/1.1\nHost: h\n\n", false},
		{"folded", "GET /echo HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n", false},
		// Handed to net/http, which refuses them:
		{"no host", "GET /echo HTTP/1.1\r\n\r\n", false},
		{"two hosts", "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false},
		{"bad host", "GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n", false},
		{"two lengths", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false},
		{"bad length", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\na", false},
		{"space before colon", "GET /echo HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n", false},
		{"control character", "GET /echo HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n", false},
		{"bad method", "G(T /echo HTTP/1.1\r\nHost: h\r\n\r\n", false},
		{"bad version", "GET /echo HTTP/1.x\r\nHost: h\r\n\r\n", false},
		{"bad target", "GET /ec\x7fho HTTP/1.1\r\nHost: h\r\n\r\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, stats := served.Load(), srv.Stats()
			want, wantBody, wantErr := exchange(t, ref, c.raw)
			got, gotBody, err := exchange(t, addr, c.raw)
			after, reason := srv.Stats(), "request"
			if c.name == "long head" {
				reason = "long-head"
			}
			if c.fast && after.Requests != stats.Requests+1 {
				t.Errorf("Stats().Requests went from %d to %d", stats.Requests, after.Requests)
			}
			if !c.fast && after.HandedOver[reason] != stats.HandedOver[reason]+1 {
				t.Errorf("Stats().HandedOver[%q] went from %d to %d", reason, stats.HandedOver[reason], after.HandedOver[reason])
			}
			if (err == nil) != (wantErr == nil) {
				t.Errorf("reading the body: %v, net/http's %v", err, wantErr)
			}
			if fast := served.Load() > before; fast != c.fast {
				t.Errorf("served here: %v, want %v", fast, c.fast)
			}
			if got.StatusCode != want.StatusCode {
				t.Errorf("status %d, net/http's %d", got.StatusCode, want.StatusCode)
			}
			if !bytes.Equal(gotBody, wantBody) {
				t.Errorf("body\n%s\nnet/http's\n%s", gotBody, wantBody)
			}
			for _, h := range []http.Header{got.Header, want.Header} {
				h.Del("Date")
			}
			if got.Header.Get("Date") == "" && want.Header.Get("Date") != "" {
				t.Error("no Date")
			}
			// net/http chunks what is longer than 2 KB when the handler set
			// no length; this server sends up to 64 KB with a length.
			if c.name == "big" {
				if got.ContentLength != int64(len(wantBody)) || got.TransferEncoding != nil {
					t.Errorf("big response: length %d, transfer encoding %v", got.ContentLength, got.TransferEncoding)
				}
				got.Header.Del("Content-Length")
				got.ContentLength, got.TransferEncoding = want.ContentLength, want.TransferEncoding
			}
			if !equalHeader(got.Header, want.Header) {
				t.Errorf("header\n%v\nnet/http's\n%v", got.Header, want.Header)
			}
			if got.Close != want.Close || !slices.Equal(got.TransferEncoding, want.TransferEncoding) {
				t.Errorf("close %v, transfer encoding %v; net/http's %v, %v", got.Close, got.TransferEncoding, want.Close, want.TransferEncoding)
			}
		})
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestKeepAlive sends requests one after the other and pipelined on one
// connection, with a body the handler reads only in part, and a request
// whose body arrives after its head.
func TestKeepAlive(t *testing.T) {
	var served atomic.Int64
	addr := start(t, testHandler(&served))
	c, br := dial(t, addr)
	read := func(want string) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), want) {
			t.Fatalf("body %q, want it to contain %q", b, want)
		}
	}
	io.WriteString(c, "POST /partial HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789")
	read("012")
	io.WriteString(c, "GET /echo?n=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: h\r\n\r\n")
	read(`"query":"n=1"`)
	read(`"query":"n=2"`)
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n")
	time.Sleep(20 * time.Millisecond)
	io.WriteString(c, "hello")
	read(`"body":"hello"`)
	if n := served.Load(); n != 4 {
		t.Errorf("served %d requests here, want 4", n)
	}
}

// TestStream checks that a flushed part of a response reaches the client
// before the handler returns.
func TestStream(t *testing.T) {
	release := make(chan struct{})
	addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "second")
	}))
	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		t.Fatalf("transfer encoding %v, want chunked", resp.TransferEncoding)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
		t.Fatalf("first part %q, %v", buf, err)
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// TestPanic checks that a handler's panic closes its connection and
// leaves the server serving.
func TestPanic(t *testing.T) {
	var logged bytes.Buffer
	addr := start(t, testHandler(nil), func(s *Server) { s.Log = slog.New(slog.NewTextHandler(&logged, nil)) })
	c, _ := dial(t, addr)
	io.WriteString(c, "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n")
	if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
		t.Errorf("after a panic: read %q, %v; want the connection closed", b, err)
	}
	if resp, _, _ := exchange(t, addr, "GET /none HTTP/1.1\r\nHost: h\r\n\r\n"); resp.StatusCode != 200 {
		t.Errorf("after a panic: status %d", resp.StatusCode)
	}
	if !strings.Contains(logged.String(), "test panic") {
		t.Errorf("the panic was not logged: %q", logged.String())
	}
}

// TestShutdown checks that Shutdown closes idle connections at once, lets
// a request in flight finish, and waits for it.
func TestShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, Fallback: &http.Server{Handler: h}}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	addr := ln.Addr().String()
	idle, ibr := dial(t, addr)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, err := http.ReadResponse(ibr, nil); err != nil {
		t.Fatal(err)
	} else {
		io.ReadAll(resp.Body)
	}
	busy, bbr := dial(t, addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	if _, err := ibr.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection after Shutdown: %v, want EOF", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	resp, err := http.ReadResponse(bbr, nil)
	if err != nil {
		t.Fatalf("request in flight: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "done" || !resp.Close {
		t.Errorf("request in flight: %q, Connection: close %v (want true: the server is shutting down)", b, resp.Close)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still accepting after Shutdown")
	}
}

// TestHeaderTimeout checks that a connection that sends an incomplete head
// is closed after HeaderTimeout.
func TestHeaderTimeout(t *testing.T) {
	addr := start(t, testHandler(nil), func(s *Server) { s.HeaderTimeout = 100 * time.Millisecond })
	for _, partial := range []string{"", "GET / HTTP/1.1\r\nHost: h\r\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, partial)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || len(b) != 0 {
			t.Errorf("partial head %q: read %q, %v", partial, b, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("partial head %q: closed after %v", partial, d)
		}
	}
}

// FuzzParseHead checks ParseHead against net/http: whatever it takes,
// with chunked bodies or without, http.ReadRequest reads the same way.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 3\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
		"GET /%41%zz HTTP/1.1\r\nhost: [::1]:80\r\nConnection: close\r\n\r\n",
		"PUT /x HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c\r\n\r\n",
		"POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: aws-lambda-go/go1.26.8\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\nAccept-Encoding: gzip\r\n\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, head []byte, chunked bool) {
		r := ParseHead(head, chunked)
		if r == nil {
			return
		}
		if !chunked && r.TransferEncoding != nil {
			t.Fatalf("ParseHead(%q, false) took a chunked body", head)
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("ParseHead took %q, which net/http refuses: %v", head, err)
		}
		if r.Method != want.Method || r.RequestURI != want.RequestURI || r.Host != want.Host ||
			r.ContentLength != want.ContentLength || r.Close != want.Close || r.URL.String() != want.URL.String() ||
			r.Proto != want.Proto || r.URL.Path != want.URL.Path || r.URL.RawQuery != want.URL.RawQuery ||
			!slices.Equal(r.TransferEncoding, want.TransferEncoding) {
			t.Fatalf("ParseHead(%q) = %s %s host %q length %d close %v chunked %v, net/http: %s %s host %q length %d close %v chunked %v",
				head, r.Method, r.RequestURI, r.Host, r.ContentLength, r.Close, r.TransferEncoding,
				want.Method, want.RequestURI, want.Host, want.ContentLength, want.Close, want.TransferEncoding)
		}
		if !equalHeader(r.Header, want.Header) {
			t.Fatalf("ParseHead(%q) header %v, net/http's %v", head, r.Header, want.Header)
		}
		if !equalHeader(r.Trailer, want.Trailer) {
			t.Fatalf("ParseHead(%q) trailer names %v, net/http's %v", head, r.Trailer, want.Trailer)
		}
	})
}

// BenchmarkServe measures a small request and response on a loopback
// connection through this package's server and through net/http.
func BenchmarkServe(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "2")
		io.WriteString(w, "{}")
	})
	for _, name := range []string{"http1", "net-http"} {
		b.Run(name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			if name == "http1" {
				s := &Server{Handler: h, Fallback: &http.Server{Handler: h}}
				go s.Serve(ln)
				defer s.Shutdown(context.Background())
			} else {
				hs := &http.Server{Handler: h}
				go hs.Serve(ln)
				defer hs.Close()
			}
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req := []byte("GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: bench\r\nX-Amz-Date: 20150830T123600Z\r\n\r\n")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// TestTLS checks that TLS connections go to the fallback server, which
// speaks HTTP/2 over them when the client offers it.
func TestTLS(t *testing.T) {
	ref := httptest.NewTLSServer(http.NotFoundHandler()) // for its certificate and a client trusting it
	defer ref.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: ref.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}
	var served atomic.Int64
	h := testHandler(&served)
	s := &Server{Handler: h, Fallback: &http.Server{Handler: h, TLSConfig: cfg}}
	go s.Serve(tls.NewListener(ln, cfg))
	defer s.Shutdown(context.Background())
	client := ref.Client()
	client.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	for _, proto := range []string{"HTTP/2.0", "HTTP/2.0"} {
		resp, err := client.Get("https://" + ln.Addr().String() + "/echo")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Proto != proto || !strings.Contains(string(b), `"method":"GET"`) {
			t.Errorf("%s %d %s", resp.Proto, resp.StatusCode, b)
		}
	}
	if n := served.Load(); n != 0 {
		t.Errorf("%d TLS requests served by http1, want none", n)
	}
	if st := s.Stats(); st.HandedOver["tls"] != 1 || st.Requests != 0 {
		t.Errorf("Stats() = %+v, want one TLS connection handed over (HTTP/2 keeps one)", st)
	}
}

// TestIdleTimeout checks that a kept-alive connection used more often
// than IdleTimeout stays open, and one left idle longer is closed.
func TestIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	addr := start(t, testHandler(nil), func(s *Server) { s.IdleTimeout = idle })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i := range 12 { // 1.2 s, four times the idle timeout
		if _, err := io.WriteString(c, "GET /none HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.ReadAll(resp.Body)
		time.Sleep(idle / 3)
	}
	start := time.Now()
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	if d := time.Since(start); d > 5*idle {
		t.Errorf("idle connection closed after %v, timeout %v", d, idle)
	}
}

// flakyListener fails its first Accept with a temporary error, as a
// listener out of file descriptors does.
type flakyListener struct {
	net.Listener
	failed atomic.Bool
}

type temporaryError struct{}

func (temporaryError) Error() string   { return "accept: too many open files" }
func (temporaryError) Temporary() bool { return true }
func (temporaryError) Timeout() bool   { return false }

func (l *flakyListener) Accept() (net.Conn, error) {
	if !l.failed.Swap(true) {
		return nil, temporaryError{}
	}
	return l.Listener.Accept()
}

// TestAcceptRetried checks that a temporary Accept error does not stop the
// server.
func TestAcceptRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	h := testHandler(nil)
	s := &Server{Handler: h, Fallback: &http.Server{Handler: h}, Log: slog.New(slog.NewTextHandler(&logged, nil))}
	done := make(chan error, 1)
	go func() { done <- s.Serve(&flakyListener{Listener: ln}) }()
	if resp, _, err := exchange(t, ln.Addr().String(), "GET /none HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a failed accept: %v", err)
	}
	s.Shutdown(context.Background())
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if !strings.Contains(logged.String(), "too many open files") {
		t.Errorf("the failed accept was not logged: %q", logged.String())
	}
}

// FuzzServe sends arbitrary bytes on a connection to a server, closing the
// connection's write side after them, and checks that the server answers
// or closes the connection within a bound, never panics, and goes on
// serving.
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		"GET /echo HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /none HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /partial HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nab",
		"GET /stream HTTP/1.1\r\nHost: h\r\n\r\nHEAD /echo HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /echo HTTP/1.1\nHost: h\n\n",
		"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	addr := start(f, testHandler(nil), func(s *Server) {
		s.HeaderTimeout = time.Second
		s.Log = slog.New(slog.DiscardHandler)
	})
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(in)
		c.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("reading the answer to %q: %v", in, err)
		}
		if resp, _, err := exchange(t, addr, "GET /none HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("after %q: %v", in, err)
		}
	})
}

// TestUnreadBodyAnswerArrives posts bodies far longer than the front
// drains, with Go's HTTP client, to a handler that answers without reading
// them: the client, still writing when the answer comes, must get the
// answer, marked Connection: close. Closing a socket with unread data
// sends a reset, which fails the client's write, and Go's client then
// reports the failed write instead of the answer.
func TestUnreadBodyAnswerArrives(t *testing.T) {
	addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too long", http.StatusRequestEntityTooLarge)
	}))
	body := strings.Repeat("a", 4<<20)
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	for i := range 30 {
		resp, err := hc.Post("http://"+addr+"/", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
			t.Fatalf("request %d: %d %q close %v, %v", i, resp.StatusCode, b, resp.Close, err)
		}
	}
}
