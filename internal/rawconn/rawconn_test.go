package rawconn

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// pairs returns connected pairs over TCP loopback and a Unix socket, the
// first of each wrapped.
func pairs(t *testing.T) map[string][2]net.Conn {
	t.Helper()
	out := map[string][2]net.Conn{}
	for _, nw := range []string{"tcp", "unix"} {
		addr := "127.0.0.1:0"
		if nw == "unix" {
			addr = filepath.Join(t.TempDir(), "s")
		}
		ln, err := net.Listen(nw, addr)
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := ln.Accept()
			accepted <- c
		}()
		c, err := net.Dial(nw, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s := <-accepted
		ln.Close()
		if s == nil {
			t.Fatal("accept failed")
		}
		w := Wrap(s)
		if _, ok := w.(*Conn); !ok && runtime.GOOS == "linux" {
			t.Fatalf("Wrap(%T) = %T, want *Conn", s, w)
		}
		t.Cleanup(func() { w.Close(); c.Close() })
		out[nw] = [2]net.Conn{w, c}
	}
	return out
}

func TestReadWrite(t *testing.T) {
	for nw, p := range pairs(t) {
		t.Run(nw, func(t *testing.T) {
			w, peer := p[0], p[1]
			// 8 MB is more than the socket buffers hold, so both sides'
			// writes meet a full buffer (EAGAIN) and wait in the poller.
			big := make([]byte, 8<<20)
			rand.Read(big)
			errc := make(chan error, 2)
			go func() {
				_, err := w.Write(big)
				errc <- err
			}()
			got := make([]byte, len(big))
			if _, err := io.ReadFull(peer, got); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatalf("Write: %v", err)
			}
			if !bytes.Equal(got, big) {
				t.Fatal("the peer read other bytes than were written")
			}
			go func() {
				_, err := peer.Write(big)
				errc <- err
			}()
			if _, err := io.ReadFull(w, got); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, big) {
				t.Fatal("read other bytes than the peer wrote")
			}
			if n, err := w.Read(nil); n != 0 || err != nil {
				t.Errorf("Read(nil) = %d, %v", n, err)
			}
			peer.Close()
			if n, err := w.Read(got); n != 0 || err != io.EOF {
				t.Errorf("Read after the peer closed = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

// TestErrors checks that errors look as net's do, since net/http tells
// timeouts, closed connections and resets apart by them.
func TestErrors(t *testing.T) {
	for nw, p := range pairs(t) {
		t.Run(nw, func(t *testing.T) {
			w, peer := p[0], p[1]
			w.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			start := time.Now()
			_, err := w.Read(make([]byte, 10))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Read past the deadline: %v, want a timeout", err)
			}
			if time.Since(start) < 15*time.Millisecond {
				t.Errorf("Read returned after %v, before its deadline", time.Since(start))
			}
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != "read" || oe.Addr == nil {
				t.Errorf("Read error %#v, want a *net.OpError with Op read", err)
			}
			w.SetReadDeadline(time.Time{})

			// A read waiting in the poller ends when another goroutine
			// moves the deadline into the past (net/http's abortPendingRead).
			done := make(chan error)
			go func() {
				_, err := w.Read(make([]byte, 10))
				done <- err
			}()
			time.Sleep(10 * time.Millisecond)
			w.SetReadDeadline(time.Unix(1, 0))
			if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("aborted Read: %v", err)
			}
			w.SetReadDeadline(time.Time{})

			w.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := w.Write(make([]byte, 32<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Write to a peer that does not read, past the deadline: %v", err)
			}
			w.SetWriteDeadline(time.Time{})

			if nw == "tcp" {
				// A reset: the peer closes with unread data.
				peer.(*net.TCPConn).SetLinger(0)
				peer.Close()
				time.Sleep(10 * time.Millisecond)
				var err error
				for range 100 {
					if _, err = w.Write([]byte("x")); err != nil {
						break
					}
				}
				if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
					t.Errorf("Write after a reset: %v, want ECONNRESET or EPIPE", err)
				}
				if !errors.As(err, &oe) || oe.Op != "write" {
					t.Errorf("Write error %#v, want a *net.OpError with Op write", err)
				}
			}

			w.Close()
			if _, err := w.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Read after Close: %v, want net.ErrClosed", err)
			}
			if _, err := w.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Write after Close: %v, want net.ErrClosed", err)
			}
		})
	}
}

func TestWrapOther(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := Wrap(a); got != a {
		t.Errorf("Wrap(net.Pipe) = %T, want the connection itself", got)
	}
}

// TestHTTPServer serves net/http over wrapped connections: keep-alive,
// request bodies, a handler noticing that its client went away (net/http's
// background read), and a server-side close.
func TestHTTPServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/wait":
			select {
			case <-r.Context().Done():
				gone <- r.Context().Err()
			case <-time.After(5 * time.Second):
				gone <- errors.New("the handler did not see its client go")
			}
		default:
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %d", r.Method, len(b))
		}
	})}
	go srv.Serve(Listener{Listener: ln})
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	conns := map[string]bool{}
	for i := range 50 {
		body := bytes.Repeat([]byte("a"), i*1000)
		req, _ := http.NewRequest("POST", base+"/echo", bytes.NewReader(body))
		req = req.WithContext(httptraceConn(req.Context(), conns))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("POST %d", len(body)); string(got) != want {
			t.Fatalf("response %q, want %q", got, want)
		}
	}
	if len(conns) != 1 {
		t.Errorf("50 requests used %d connections, want 1 (keep-alive)", len(conns))
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/wait", nil)
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	client.Do(req)
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("handler: %v, want its context canceled when the client hangs up", err)
	}
}

func TestFD(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// Not r.Fd(): it would put the pipe back into blocking mode.
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	rc.Control(func(f uintptr) { fd = f })
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := ReadFD(fd, buf); n != 0 || err != syscall.EAGAIN {
		t.Errorf("ReadFD of an empty non-blocking pipe = %d, %v; want EAGAIN", n, err)
	}
	w.Write([]byte("hello"))
	if n, err := ReadFD(fd, buf); err != nil || string(buf[:n]) != "hello" {
		t.Errorf("ReadFD = %q, %v", buf[:n], err)
	}

	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, []byte("0123456789"), 0o600)
	fh, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	for _, tc := range []struct {
		off  int64
		want string
	}{{0, "0123456789"}, {4, "456789"}, {10, ""}} {
		n, err := PreadFD(fh.Fd(), buf, tc.off)
		if err != nil || string(buf[:n]) != tc.want {
			t.Errorf("PreadFD at %d = %q, %v; want %q", tc.off, buf[:n], err, tc.want)
		}
	}
	if _, err := PreadFD(fh.Fd(), buf, -1); err != syscall.EINVAL {
		t.Errorf("PreadFD at -1: %v, want EINVAL", err)
	}
}

// httptraceConn records the local address of each connection a request
// uses.
func httptraceConn(ctx context.Context, seen map[string]bool) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		seen[i.Conn.LocalAddr().String()] = true
	}})
}

// TestNoAllocs checks that a Read and a Write allocate nothing: their
// state lives in the Conn (op), not in a closure made for each call.
func TestNoAllocs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the raw path is Linux's")
	}
	p := pairs(t)["tcp"]
	w, peer := p[0], p[1]
	msg := []byte("0123456789abcdef")
	buf := make([]byte, len(msg))
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := w.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(peer, buf); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(w, buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a Write and a Read (and the peer's) allocated %v times, want 0", allocs)
	}
}

// TestConcurrentReadWrite reads and writes one wrapped connection from
// several goroutines at once: every byte arrives once (and the race
// detector sees the calls' shared state taken in turn).
func TestConcurrentReadWrite(t *testing.T) {
	for nw, p := range pairs(t) {
		t.Run(nw, func(t *testing.T) {
			w, peer := p[0], p[1]
			const goroutines, each = 4, 64 << 10
			errc := make(chan error, 2*goroutines)
			for i := range goroutines {
				go func() {
					_, err := w.Write(bytes.Repeat([]byte{byte('a' + i)}, each))
					errc <- err
				}()
			}
			counts := make(chan [4]int, goroutines)
			for range goroutines {
				go func() {
					var c [4]int
					buf := make([]byte, 1000)
					for {
						w.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
						n, err := w.Read(buf)
						for _, b := range buf[:n] {
							c[b-'a']++
						}
						if err != nil {
							break
						}
					}
					counts <- c
				}()
			}
			// The peer echoes what the wrapped side wrote back to it.
			go func() {
				_, err := io.CopyN(peer, peer, goroutines*each)
				errc <- err
			}()
			for range goroutines + 1 {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
			var total [4]int
			for range goroutines {
				c := <-counts
				for i := range c {
					total[i] += c[i]
				}
			}
			for i, n := range total {
				if n != each {
					t.Errorf("read %d bytes %q, want %d", n, rune('a'+i), each)
				}
			}
		})
	}
}
