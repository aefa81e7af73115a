package furl

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
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
	headers := make(map[string]string, len(r.Header)+6)
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "authorization" && r.IAM != nil {
			continue // Lambda strips the signature of AWS_IAM requests
		}
		headers[lk] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	proto, port := "http", "80"
	if r.TLS {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = proto
	headers["x-forwarded-port"] = port
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = traceID(r.Time, r.RequestID)
	}
	var cookies []string
	for _, line := range r.Header.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
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
	for k, v := range headers {
		size += len(k) + len(v) + 6
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
	b = append(b, `,"headers":`...)
	b = appendStringMap(b, headers)
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
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
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
