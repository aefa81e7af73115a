package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowAndOversizedClients checks that the limits of the front door cut
// off clients that send headers or bodies too slowly (slowloris) or too
// much of them, with an answer where HTTP has one, and promptly.
func TestSlowAndOversizedClients(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := newHardeningServer(t, func(c *Config) { c.HeaderReadTimeout, c.BodyReadTimeout = timeout, timeout })
	hs := h.srv.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()

	// drip writes head, then one byte of tail every 50 ms until the server
	// stops reading, and returns what the server answered and how long it
	// took to close the connection.
	drip := func(t *testing.T, head, tail string) (answer string, took time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := 0; ; i++ {
				time.Sleep(50 * time.Millisecond)
				if _, err := conn.Write([]byte{tail[i%len(tail)]}); err != nil {
					return
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server still held the connection after 10 s")
		}
		return string(b), time.Since(start)
	}

	t.Run("slow headers", func(t *testing.T) {
		answer, took := drip(t, "POST / HTTP/1.1\r\nHost: "+hardeningHost+"\r\n", "X-Drip: 1\r\n")
		if took > 10*timeout {
			t.Errorf("connection closed after %v, want about %v", took, timeout)
		}
		t.Logf("closed after %v; answer %q", took, answer)
	})
	t.Run("slow body", func(t *testing.T) {
		answer, took := drip(t, "POST / HTTP/1.1\r\nHost: "+hardeningHost+"\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: 100000\r\n\r\nAction=GetCallerIdentity&Pad=", "a")
		if took > 10*timeout {
			t.Errorf("connection closed after %v, want about %v", took, timeout)
		}
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer)), nil)
		if err != nil {
			t.Fatalf("no HTTP answer to a slow body: %q", answer)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "IncompleteBody") {
			t.Errorf("slow body answered %d %s", resp.StatusCode, b)
		}
	})
	t.Run("oversized headers", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("a", 100<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("100 KB of headers answered %d, want 431", resp.StatusCode)
		}
	})
	t.Run("oversized function URL body", func(t *testing.T) {
		before := h.invoker.calls.Load()
		req, _ := http.NewRequest("POST", "http://"+addr+h.urlPath, strings.NewReader(strings.Repeat("a", 6<<20+1)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a 6 MB + 1 body answered %d %s, want 413", resp.StatusCode, b)
		}
		if h.invoker.calls.Load() != before {
			t.Error("the oversized request reached the function")
		}
	})
}
