package http1

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// commonKeys interns the canonical form of the header names clients send
// most (the AWS SDKs, the CLI, curl, browsers), so that canonicalising them
// allocates nothing. Other names go through textproto.CanonicalMIMEHeaderKey.
var commonKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request",
		"Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length",
		"Content-Type", "Cookie", "Host", "Origin", "Referer", "User-Agent",
		"X-Amz-Content-Sha256", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Target",
		"X-Amz-User-Agent", "X-Amz-Invocation-Type", "X-Amz-Log-Type", "X-Amz-Client-Context",
		"X-Forwarded-For", "Access-Control-Request-Method", "Access-Control-Request-Headers",
		"Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest",
		// A Lambda runtime's (see ParseHead's chunked).
		"Transfer-Encoding", "Trailer", "Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body",
		"Lambda-Runtime-Function-Response-Mode",
	} {
		m[k] = k
		m[strings.ToLower(k)] = k
	}
	return m
}()

// ParseHead parses a request's line and headers, head, which ends with the
// empty line (see HeadLen). It returns nil for anything it does not take,
// leaving the request to net/http: another protocol version than HTTP/1.1,
// HEAD, CONNECT and any request target but a path, a body framed otherwise
// than by one Content-Length, Expect, Upgrade, a missing or repeated Host,
// bare LF line ends, folded or malformed header lines, control characters.
// With chunked, it also takes a body framed by "Transfer-Encoding: chunked"
// alone (and a Trailer header naming its trailers), as a Lambda runtime
// posts its results: the request then has ContentLength -1 and
// TransferEncoding ["chunked"], and the caller reads the chunks. What it
// takes, net/http reads the same way (FuzzParseHead checks it against
// http.ReadRequest). The body is the caller's to set (it is http.NoBody).
//
// The strings of the request (method, target, header values) share one
// copy of head.
func ParseHead(head []byte, chunked bool) *http.Request {
	if len(head) < 4 || string(head[len(head)-4:]) != "\r\n\r\n" {
		return nil
	}
	s := string(head)
	line, rest, _ := strings.Cut(s, "\r\n")
	method, line, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(line, " ")
	if !ok1 || !ok2 || proto != "HTTP/1.1" || !validToken(method) || method == http.MethodHead ||
		method == http.MethodConnect || method == "PRI" || len(target) == 0 || target[0] != '/' {
		return nil
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f {
			return nil
		}
	}
	u, err := parseTarget(target)
	if err != nil {
		return nil
	}
	r := &http.Request{Method: method, URL: u, Proto: proto, ProtoMajor: 1, ProtoMinor: 1, RequestURI: target,
		Body: http.NoBody}
	n := strings.Count(rest, "\n")
	hdr := make(http.Header, n)
	vals := make([]string, n) // one backing array for the first value of each name
	host, haveHost, haveLength, haveTE, haveTrailer := "", false, false, false, false
	for {
		line, rest, _ = strings.Cut(rest, "\r\n")
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validToken(name) {
			return nil
		}
		value = strings.Trim(value, " \t")
		for i := 0; i < len(value); i++ {
			if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
				return nil
			}
		}
		key, ok := commonKeys[name]
		if !ok {
			key = textproto.CanonicalMIMEHeaderKey(name)
		}
		switch key {
		case "Host":
			if haveHost || !validHost(value) {
				return nil
			}
			host, haveHost = value, true
			continue // net/http moves Host out of the header into r.Host
		case "Content-Length":
			if haveLength || value == "" || len(value) > 18 {
				return nil
			}
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || value[0] == '+' || value[0] == '-' {
				return nil
			}
			r.ContentLength, haveLength = n, true
		case "Transfer-Encoding": // net/http moves it out of the header
			if !chunked || haveTE || !strings.EqualFold(value, "chunked") {
				return nil
			}
			haveTE = true
			continue
		case "Trailer": // and this one into r.Trailer's names
			if !chunked || !addTrailers(&r.Trailer, value) {
				return nil
			}
			haveTrailer = true
			continue
		case "Expect", "Upgrade", "Http2-Settings", "Te":
			return nil
		case "Connection":
			if hasToken(value, "upgrade") {
				return nil
			}
			r.Close = r.Close || hasToken(value, "close")
		}
		if vs, ok := hdr[key]; ok {
			hdr[key] = append(vs, value)
		} else {
			vals[0] = value
			hdr[key], vals = vals[:1:1], vals[1:]
		}
	}
	if !haveHost || haveTE && haveLength || haveTrailer && !haveTE {
		return nil
	}
	if haveTE {
		r.TransferEncoding, r.ContentLength = []string{"chunked"}, -1
	}
	r.Header, r.Host = hdr, host
	return r
}

// parseTarget is url.ParseRequestURI(target), without its work for a plain
// path: one of only the characters a path keeps unescaped, and no query.
func parseTarget(target string) (*url.URL, error) {
	for i := 0; i < len(target); i++ {
		if !plainPath[target[i]] {
			return url.ParseRequestURI(target)
		}
	}
	return &url.URL{Path: target}, nil
}

// plainPath holds the bytes url.URL keeps as they are in a path: neither
// escaped nor starting a query, a fragment or an escape.
var plainPath = alnumAnd("-_.~/$&+,:;=@")

// alnumAnd returns a table of the ASCII letters and digits and the bytes
// of extra.
func alnumAnd(extra string) (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for i := 0; i < len(extra); i++ {
		t[extra[i]] = true
	}
	return t
}

// addTrailers adds the trailers a Trailer header's value names to *t,
// with no value yet, as net/http does. It reports false when a name is not
// a token or is one of the headers that frame the message, which net/http
// refuses.
func addTrailers(t *http.Header, v string) bool {
	for more := true; more; {
		var k string
		k, v, more = strings.Cut(v, ",")
		k = strings.Trim(k, " \t")
		if !validToken(k) {
			return false
		}
		if ck, ok := commonKeys[k]; ok {
			k = ck
		} else {
			k = textproto.CanonicalMIMEHeaderKey(k)
		}
		switch k {
		case "Transfer-Encoding", "Trailer", "Content-Length":
			return false
		}
		if *t == nil {
			*t = make(http.Header)
		}
		(*t)[k] = nil
	}
	return true
}

// HeadLen returns the length of the request head at the start of buf, up
// to the end of its first empty line, or 0 when buf holds no empty line
// yet. Lines may end with LF alone here (ParseHead refuses them, and
// net/http reads them).
func HeadLen(buf []byte) int {
	n := 0
	if i := bytes.Index(buf, lflf); i >= 0 {
		n = i + 2
	}
	if i := bytes.Index(buf, lfcrlf); i >= 0 && (n == 0 || i+3 < n) {
		n = i + 3
	}
	return n
}

var lflf, lfcrlf = []byte("\n\n"), []byte("\n\r\n")

// validToken reports whether s is a non-empty RFC 9110 token: the
// characters a method or a header field name may have.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

var tokenChar = alnumAnd("!#$%&'*+-.^_`|~")

// validHost is a conservative check of a Host header's value: a name or
// an address, with a port. Anything else is net/http's to judge.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_') {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v (a Connection
// header's value) names token, in any case.
func hasToken(v, token string) bool {
	for v != "" {
		var opt string
		opt, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.Trim(opt, " \t"), token) {
			return true
		}
	}
	return false
}
