package furl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fnurl/fnurl/internal/jsonvalid"
)

// Response is the HTTP answer a function's result maps to.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

var errBadResponse = errors.New("function returned an invalid response")

// MapResponse turns a buffered function result into the HTTP response, as
// function URLs (payload format 2.0) do: an object with statusCode is a
// structured response; any other JSON value is sent with status 200 as
// compact JSON, except a string, which is sent without its quotes.
//
// The payload is validated once (package jsonvalid); the members of a top-level object are then
// found by walking it, and only the few a structured response uses are
// decoded.
func MapResponse(payload []byte) (*Response, error) {
	payload = bytes.TrimSpace(payload)
	if !jsonvalid.Valid(payload) {
		return nil, errBadResponse
	}
	if payload[0] == '{' {
		m, ok := topMembers(payload)
		if ok && m.statusCode != nil {
			return structured(&m)
		}
	}
	resp := &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}}
	if payload[0] == '"' {
		s, err := unquote(payload)
		if err != nil {
			return nil, errBadResponse
		}
		resp.Body = s
		return resp, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(payload))
	if err := json.Compact(&buf, payload); err != nil {
		return nil, errBadResponse
	}
	resp.Body = buf.Bytes()
	return resp, nil
}

// members are the raw values of the members of a structured response (nil
// when absent). As with decoding into a map, a repeated key keeps its last
// value.
type members struct {
	statusCode, headers, cookies, isBase64Encoded, body []byte
}

// topMembers walks the top-level object of a valid JSON payload. ok is
// false when a key cannot be decoded.
func topMembers(p []byte) (m members, ok bool) {
	err := eachMember(p, func(key, v []byte) error {
		switch string(key) {
		case "statusCode":
			m.statusCode = v
		case "headers":
			m.headers = v
		case "cookies":
			m.cookies = v
		case "isBase64Encoded":
			m.isBase64Encoded = v
		case "body":
			m.body = v
		}
		return nil
	})
	return m, err == nil
}

// eachMember calls fn with the decoded key and the raw value of each member
// of obj, a valid JSON object, in the order they appear. It stops at the
// first error.
func eachMember(obj []byte, fn func(key, value []byte) error) error {
	if len(obj) == 0 || obj[0] != '{' {
		return errBadResponse
	}
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		end := skipString(obj, i)
		key := obj[i:end]
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			k, err := unquote(key)
			if err != nil {
				return err
			}
			key = k
		} else {
			key = key[1 : len(key)-1]
		}
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // the colon
		vend := skipValue(obj, i)
		if err := fn(key, obj[i:vend]); err != nil {
			return err
		}
		i = skipSpace(obj, vend)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return nil
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at p[i].
func skipString(p []byte, i int) int {
	for i++; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(p)
}

// skipValue returns the index after the value that starts at p[i] of a
// valid JSON text.
func skipValue(p []byte, i int) int {
	if i >= len(p) {
		return i
	}
	switch p[i] {
	case '"':
		return skipString(p, i)
	case '{', '[':
		depth := 0
		for ; i < len(p); i++ {
			switch p[i] {
			case '"':
				i = skipString(p, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(p) && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' {
		i++
	}
	return i
}

// unquote decodes a valid JSON string value as encoding/json does: escapes
// are decoded, a \u escape of a surrogate pair becomes one rune, and an
// unpaired surrogate or invalid UTF-8 becomes U+FFFD.
func unquote(raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, errBadResponse
	}
	in := raw[1 : len(raw)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return bytes.Clone(in), nil
	}
	out := make([]byte, 0, len(in)+2*utf8.UTFMax)
	for r := 0; r < len(in); {
		// Plain ASCII up to the next escape, quote, control character
		// or multi-byte character is copied in one piece.
		start := r
		for r < len(in) {
			if c := in[r]; c == '\\' || c == '"' || c < ' ' || c >= utf8.RuneSelf {
				break
			}
			r++
		}
		out = append(out, in[start:r]...)
		if r == len(in) {
			break
		}
		c := in[r]
		switch {
		case c == '\\':
			if r+1 >= len(in) {
				return nil, errBadResponse
			}
			switch e := in[r+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				r += 2
			case 'b':
				out, r = append(out, '\b'), r+2
			case 'f':
				out, r = append(out, '\f'), r+2
			case 'n':
				out, r = append(out, '\n'), r+2
			case 'r':
				out, r = append(out, '\r'), r+2
			case 't':
				out, r = append(out, '\t'), r+2
			case 'u':
				rr := getu4(in[r:])
				if rr < 0 {
					return nil, errBadResponse
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(in[r:])); dec != unicode.ReplacementChar {
						out, r = utf8.AppendRune(out, dec), r+6
						break
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
			default:
				return nil, errBadResponse
			}
		case c == '"' || c < ' ':
			return nil, errBadResponse
		default:
			rr, size := utf8.DecodeRune(in[r:])
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return out, nil
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

func isNull(raw []byte) bool { return raw == nil || string(raw) == "null" }

func structured(m *members) (*Response, error) {
	resp := &Response{Header: http.Header{}}
	// statusCode is a number or a string holding one, as an integer.
	var n []byte
	switch sc := m.statusCode; {
	case sc[0] == '"':
		s, err := unquote(sc)
		if err != nil {
			return nil, errBadResponse
		}
		n = s
	case sc[0] == '-' || sc[0] >= '0' && sc[0] <= '9':
		n = sc
	default:
		return nil, errBadResponse
	}
	status, err := strconv.Atoi(string(n))
	if err != nil || status < 100 || status > 599 {
		return nil, errBadResponse
	}
	resp.Status = status
	if !isNull(m.headers) {
		if err := setHeaders(resp.Header, m.headers); err != nil {
			return nil, err
		}
	}
	if !isNull(m.cookies) {
		var cs []string
		if err := json.Unmarshal(m.cookies, &cs); err != nil {
			return nil, errBadResponse
		}
		for _, c := range cs {
			resp.Header.Add("Set-Cookie", c)
		}
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	var b64 bool
	switch raw := m.isBase64Encoded; {
	case isNull(raw):
	case string(raw) == "true":
		b64 = true
	case string(raw) == "false":
	default:
		return nil, errBadResponse
	}
	if raw := m.body; !isNull(raw) {
		if raw[0] == '"' {
			s, err := unquote(raw)
			if err != nil {
				return nil, errBadResponse
			}
			if b64 {
				b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
				n, err := base64.StdEncoding.Decode(b, s)
				if err != nil {
					return nil, errBadResponse
				}
				resp.Body = b[:n]
			} else {
				resp.Body = s
			}
		} else {
			// A body that is a JSON value other than a string is sent as
			// compact JSON.
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, errBadResponse
			}
			resp.Body = buf.Bytes()
		}
	}
	return resp, nil
}

// setHeaders sets the members of the headers object raw on h in the order
// they appear, so that of two names differing only in case (which are one
// HTTP header) the later wins, every time. Values are strings, numbers
// (written as encoding/json writes a float64) or booleans.
func setHeaders(h http.Header, raw []byte) error {
	if raw[0] != '{' {
		return errBadResponse
	}
	return eachMember(raw, func(k, v []byte) error {
		var val string
		switch {
		case v[0] == '"':
			s, err := unquote(v)
			if err != nil {
				return errBadResponse
			}
			val = string(s)
		case string(v) == "true", string(v) == "false":
			val = string(v)
		case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				return errBadResponse
			}
			b, err := json.Marshal(f)
			if err != nil {
				return errBadResponse
			}
			val = string(b)
		default:
			return errBadResponse
		}
		h.Set(string(k), val)
		return nil
	})
}
