package http1

import (
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
	} {
		m[k] = k
		m[strings.ToLower(k)] = k
	}
	return m
}()

// parseHead parses a request's line and headers, head, which ends with the
// empty line. It returns nil for anything it does not take, leaving the
// request to net/http: another protocol version than HTTP/1.1, HEAD,
// CONNECT and any request target but a path, a body framed otherwise than
// by one Content-Length, Expect, Upgrade, a missing or repeated Host, bare
// LF line ends, folded or malformed header lines, control characters. What
// it takes, net/http reads the same way (FuzzParseHead checks it against
// http.ReadRequest).
//
// The strings of the request (method, target, header values) share one
// copy of head.
func parseHead(head []byte) *http.Request {
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
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	r := &http.Request{Method: method, URL: u, Proto: proto, ProtoMajor: 1, ProtoMinor: 1, RequestURI: target,
		Body: http.NoBody}
	n := strings.Count(rest, "\n")
	hdr := make(http.Header, n)
	vals := make([]string, n) // one backing array for the first value of each name
	host, haveHost, haveLength := "", false, false
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
		case "Transfer-Encoding", "Expect", "Upgrade", "Http2-Settings", "Trailer", "Te":
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
	if !haveHost {
		return nil
	}
	r.Header, r.Host = hdr, host
	return r
}

// validToken reports whether s is a non-empty RFC 9110 token: the
// characters a method or a header field name may have.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

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
