package furl

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is the HTTP request a function URL received, as the event
// builder needs it.
type Request struct {
	Method     string
	RawPath    string // the path the function sees, percent-encoding preserved
	RawQuery   string
	Header     http.Header
	Host       string
	RemoteAddr string
	Body       []byte
	URLID      string
	RequestID  string
	Time       time.Time
	TLS        bool
	IAM        *IAMAuthorizer // nil for NONE auth
}

// IAMAuthorizer is requestContext.authorizer.iam of an AWS_IAM request.
type IAMAuthorizer struct {
	AccessKey       string  `json:"accessKey"`
	AccountID       string  `json:"accountId"`
	CallerID        string  `json:"callerId"`
	CognitoIdentity *string `json:"cognitoIdentity"`
	PrincipalOrgID  *string `json:"principalOrgId"`
	UserArn         string  `json:"userArn"`
	UserID          string  `json:"userId"`
}

// textTypes are the media types whose bodies reach the function as text;
// every other body, including one without a Content-Type, is base64, as
// function URLs (payload format 2.0) do.
func isText(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript":
		return true
	}
	return false
}

// BuildEvent returns the JSON event for r: the payload format 2.0 event,
// written field by field, byte for byte what encoding/json writes for it
// (keys in the same order, maps sorted, strings escaped alike) without
// reflection.
func BuildEvent(r *Request) ([]byte, error) {
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = h
	}
	proto, port := "http", "80"
	if r.TLS {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers := eventHeaders(r, sourceIP, proto, port)
	var cookies []string
	for _, line := range r.Header.Values("Cookie") {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			if part = strings.TrimSpace(part); part != "" {
				cookies = append(cookies, part)
			}
		}
	}
	var query map[string]string
	if r.RawQuery != "" {
		query = queryParams(r.RawQuery)
	}

	size := 640 + len(r.RawPath)*2 + len(r.RawQuery)*2 + len(r.Host) + len(r.Body)*4/3 + 8
	for _, h := range headers {
		size += len(h.k) + len(h.v) + 6
	}
	b := make([]byte, 0, size)
	b = append(b, `{"version":"2.0","routeKey":"$default","rawPath":`...)
	b = appendString(b, r.RawPath)
	b = append(b, `,"rawQueryString":`...)
	b = appendString(b, r.RawQuery)
	if len(cookies) > 0 {
		b = append(b, `,"cookies":[`...)
		for i, c := range cookies {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, ']')
	}
	b = append(b, `,"headers":{`...)
	for i, h := range headers {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, h.k)
		b = append(b, ':')
		b = appendString(b, h.v)
	}
	b = append(b, '}')
	if len(query) > 0 {
		b = append(b, `,"queryStringParameters":`...)
		b = appendStringMap(b, query)
	}
	account := "anonymous"
	if r.IAM != nil {
		account = r.IAM.AccountID
	}
	b = append(b, `,"requestContext":{"accountId":`...)
	b = appendString(b, account)
	b = append(b, `,"apiId":`...)
	b = appendString(b, r.URLID)
	if a := r.IAM; a != nil {
		b = append(b, `,"authorizer":{"iam":{"accessKey":`...)
		b = appendString(b, a.AccessKey)
		b = append(b, `,"accountId":`...)
		b = appendString(b, a.AccountID)
		b = append(b, `,"callerId":`...)
		b = appendString(b, a.CallerID)
		b = append(b, `,"cognitoIdentity":`...)
		b = appendOptString(b, a.CognitoIdentity)
		b = append(b, `,"principalOrgId":`...)
		b = appendOptString(b, a.PrincipalOrgID)
		b = append(b, `,"userArn":`...)
		b = appendString(b, a.UserArn)
		b = append(b, `,"userId":`...)
		b = appendString(b, a.UserID)
		b = append(b, "}}"...)
	}
	b = append(b, `,"domainName":`...)
	b = appendString(b, hostOnly(r.Host))
	b = append(b, `,"domainPrefix":`...)
	b = appendString(b, r.URLID)
	b = append(b, `,"http":{"method":`...)
	b = appendString(b, r.Method)
	b = append(b, `,"path":`...)
	b = appendString(b, r.RawPath)
	b = append(b, `,"protocol":"HTTP/1.1","sourceIp":`...)
	b = appendString(b, sourceIP)
	b = append(b, `,"userAgent":`...)
	b = appendString(b, r.Header.Get("User-Agent"))
	b = append(b, `},"requestId":`...)
	b = appendString(b, r.RequestID)
	b = append(b, `,"routeKey":"$default","stage":"$default","time":`...)
	b = appendString(b, r.Time.UTC().Format("02/Jan/2006:15:04:05 +0000"))
	b = append(b, `,"timeEpoch":`...)
	b = strconv.AppendInt(b, r.Time.UnixMilli(), 10)
	b = append(b, '}')
	b64 := false
	if len(r.Body) > 0 {
		b = append(b, `,"body":`...)
		if isText(r.Header.Get("Content-Type")) {
			b = appendString(b, string(r.Body))
		} else {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, r.Body)
			b = append(b, '"')
			b64 = true
		}
	}
	b = append(b, `,"isBase64Encoded":`...)
	b = strconv.AppendBool(b, b64)
	b = append(b, '}')
	return b, nil
}

// header is one header of the event: its name in lower case and its
// values joined with commas.
type header struct {
	k, v string
	name string // as in the request, to order names equal in lower case
}

// eventHeaders returns the event's headers sorted by name, as encoding/json
// orders a map's keys: the request's (without the signature of an AWS_IAM
// request, which Lambda strips), with Host and the X-Forwarded-* headers
// set by the front end, and a trace ID unless the request has one. Names
// that differ only in case (possible for names outside the canonical form)
// become one header with their values joined.
func eventHeaders(r *Request, sourceIP, proto, port string) []header {
	hs := make([]header, 0, len(r.Header)+5)
	trace := false
	for k, vs := range r.Header {
		lk := lowerHeader(k)
		v := strings.Join(vs, ",") // one value: no copy
		switch lk {
		case "authorization":
			if r.IAM != nil {
				continue // Lambda strips the signature of AWS_IAM requests
			}
		case "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port":
			continue // set below
		case "x-amzn-trace-id":
			if v == "" {
				continue // replaced by a new one, as when missing
			}
			trace = true
		}
		hs = append(hs, header{k: lk, v: v, name: k})
	}
	hs = append(hs, header{k: "host", v: r.Host}, header{k: "x-forwarded-for", v: sourceIP},
		header{k: "x-forwarded-proto", v: proto}, header{k: "x-forwarded-port", v: port})
	if !trace {
		hs = append(hs, header{k: "x-amzn-trace-id", v: traceID(r.Time, r.RequestID)})
	}
	slices.SortFunc(hs, func(a, b header) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	// Merge names that were distinct only in case, keeping the values in
	// the order of the original names.
	out := hs[:0]
	for _, h := range hs {
		if n := len(out); n > 0 && out[n-1].k == h.k {
			out[n-1].v += "," + h.v
			continue
		}
		out = append(out, h)
	}
	return out
}

// lowerHeader returns a header name in lower case, without allocating for
// the names clients send most.
func lowerHeader(k string) string {
	if l, ok := lowerHeaders[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

var lowerHeaders = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control", "Connection",
		"Content-Length", "Content-Type", "Cookie", "Origin", "Referer", "User-Agent", "X-Amz-Content-Sha256", "X-Amz-Date",
		"X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request"} {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// appendStringMap appends m as a JSON object with its keys sorted, as
// encoding/json does.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// jsonSafe tells the ASCII bytes appendString copies as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string escaped as encoding/json escapes
// it by default: quotes, backslashes and control characters, the
// HTML-sensitive <, > and &, U+2028 and U+2029, and invalid UTF-8 as
// U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// queryParams decodes a raw query string; repeated keys are joined with
// commas, as function URLs do.
func queryParams(raw string) map[string]string {
	out := map[string]string{}
	keys := []string{}
	vals := map[string][]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = append(vals[k], v)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = strings.Join(vals[k], ",")
	}
	return out
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

// traceID makes an X-Ray style trace ID: Root=1-<epoch hex>-<24 hex>.
func traceID(t time.Time, requestID string) string {
	id := strings.ReplaceAll(requestID, "-", "")
	if len(id) > 24 {
		id = id[:24]
	}
	for len(id) < 24 {
		id += "0"
	}
	return "Root=1-" + hex8(t.Unix()) + "-" + id
}

func hex8(n int64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b)
}
