package sigv4

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRequest is an HTTP/1.1 request as text: the request line split in
// three, the header lines in order (obs-fold continuation lines joined to
// the previous value with one space, as net/http does) and the body.
type rawRequest struct {
	Method, Target, Proto string
	Headers               [][2]string
	Body                  []byte
}

// parseRawRequest reads the format of the SigV4 suite's request files: a
// request line whose target may hold raw spaces and UTF-8, "Name:value"
// lines, continuation lines starting with whitespace, a blank line, the
// body.
func parseRawRequest(b []byte) (*rawRequest, error) {
	text := string(b)
	head, body, _ := strings.Cut(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	sp1 := strings.IndexByte(first, ' ')
	sp2 := strings.LastIndexByte(first, ' ')
	if sp1 < 0 || sp2 <= sp1 {
		return nil, fmt.Errorf("bad request line %q", first)
	}
	rr := &rawRequest{Method: first[:sp1], Target: first[sp1+1 : sp2], Proto: first[sp2+1:], Body: []byte(body)}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(rr.Headers) == 0 {
				return nil, fmt.Errorf("continuation line first: %q", l)
			}
			h := &rr.Headers[len(rr.Headers)-1]
			h[1] += " " + strings.Trim(l, " \t")
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		rr.Headers = append(rr.Headers, [2]string{name, strings.Trim(value, " \t")})
	}
	return rr, nil
}

// serverRequest builds the *http.Request a net/http server would hand to a
// handler for rr, without going through http.ReadRequest (which refuses the
// raw spaces some suite cases have in their request line).
func (rr *rawRequest) serverRequest() *http.Request {
	r := &http.Request{
		Method:        rr.Method,
		RequestURI:    rr.Target,
		Proto:         rr.Proto,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        make(http.Header),
		Body:          io.NopCloser(bytes.NewReader(rr.Body)),
		ContentLength: int64(len(rr.Body)),
	}
	if u, err := url.ParseRequestURI(rr.Target); err == nil {
		r.URL = u
	} else {
		p, q, _ := strings.Cut(rr.Target, "?")
		r.URL = &url.URL{Path: p, RawQuery: q}
	}
	for _, h := range rr.Headers {
		k := textproto.CanonicalMIMEHeaderKey(h[0])
		if k == "Host" {
			r.Host = h[1]
			continue
		}
		r.Header[k] = append(r.Header[k], h[1])
	}
	return r
}

// bytes serialises rr as HTTP/1.1 wire bytes.
func (rr *rawRequest) bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %s\r\n", rr.Method, rr.Target, rr.Proto)
	for _, h := range rr.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	b.Write(rr.Body)
	return b.Bytes()
}

// readServerRequest parses wire bytes exactly as net/http's server does.
func readServerRequest(tb testing.TB, wire []byte) (*http.Request, []byte) {
	tb.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		tb.Fatalf("http.ReadRequest(%q): %v", wire, err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		tb.Fatalf("reading body of %q: %v", wire, err)
	}
	return r, body
}

// clone returns a deep copy of rr.
func (rr *rawRequest) clone() *rawRequest {
	c := *rr
	c.Headers = append([][2]string(nil), rr.Headers...)
	c.Body = append([]byte(nil), rr.Body...)
	return &c
}

// setHeader replaces (or adds) the first header named name.
func (rr *rawRequest) setHeader(name, value string) {
	for i, h := range rr.Headers {
		if strings.EqualFold(h[0], name) {
			rr.Headers[i][1] = value
			return
		}
	}
	rr.Headers = append(rr.Headers, [2]string{name, value})
}

// withContentLength makes the Content-Length header match the body.
func (rr *rawRequest) withContentLength() *rawRequest {
	var hs [][2]string
	for _, h := range rr.Headers {
		if !strings.EqualFold(h[0], "Content-Length") {
			hs = append(hs, h)
		}
	}
	if len(rr.Body) > 0 || rr.Method == "POST" || rr.Method == "PUT" {
		hs = append(hs, [2]string{"Content-Length", strconv.Itoa(len(rr.Body))})
	}
	rr.Headers = hs
	return rr
}

// fixedClock returns a Now func for t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// requireTool skips the test when the named program is missing, unless
// FNURL_TEST_REQUIRE_TOOLS=1, in which case it fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not found and FNURL_TEST_REQUIRE_TOOLS=1: %v", name, err)
		}
		t.Skipf("%s not found (set FNURL_TEST_REQUIRE_TOOLS=1 to make this a failure): %v", name, err)
	}
	return p
}

// requireCondition skips (or, with FNURL_TEST_REQUIRE_TOOLS=1, fails) when
// an external prerequisite other than a program is missing.
func requireCondition(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s and FNURL_TEST_REQUIRE_TOOLS=1", what)
	}
	t.Skipf("%s (set FNURL_TEST_REQUIRE_TOOLS=1 to make this a failure)", what)
}
