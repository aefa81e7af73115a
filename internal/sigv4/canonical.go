package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c is in RFC 3986's unreserved set, the only
// bytes SigV4 leaves unencoded (besides '/' in paths).
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func appendEncodedByte(dst []byte, c byte) []byte {
	if unreserved(c) {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// requestTarget returns the raw path and raw query of r exactly as they were
// received: from r.RequestURI on the server, or, for a request built by a
// client (RequestURI empty), from what net/http's client writes on the wire,
// r.URL.RequestURI(). An absolute-form target ("http://host/p?q") yields its
// path.
func requestTarget(r *http.Request) (path, query string) {
	uri := r.RequestURI
	if uri == "" {
		if r.URL == nil {
			return "/", ""
		}
		uri = r.URL.RequestURI()
	}
	path, query, _ = strings.Cut(uri, "?")
	if path != "" && path[0] != '/' {
		if i := strings.Index(path, "://"); i >= 0 {
			rest := path[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				path = rest[j:]
			} else {
				path = ""
			}
		}
	}
	return path, query
}

// checkQueryEscapes validates the percent-escapes of a raw query string.
// AWS rejects a malformed query string (MalformedQueryString) before looking
// at authentication at all; this package reports it as KindIncomplete with
// AWS's message.
func checkQueryEscapes(raw string) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '%' {
			continue
		}
		if i+2 >= len(raw) {
			return newError(KindIncomplete, "Incomplete trailing escape % sequence")
		}
		_, ok1 := unhex(raw[i+1])
		_, ok2 := unhex(raw[i+2])
		if !ok1 || !ok2 {
			return newError(KindIncomplete, "Illegal hex character in escape % pattern: %"+raw[i+1:i+3])
		}
		i += 2
	}
	return nil
}

func malformedQuery(raw string) error {
	if err := checkQueryEscapes(raw); err != nil {
		return err
	}
	return newError(KindIncomplete, "Malformed query string")
}

// percentDecode decodes %XX escapes; '+' stays a literal plus. An invalid
// escape is kept literally (callers validate first).
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, h<<4|l)
				i += 2
				continue
			}
		}
		b = append(b, c)
	}
	return string(b)
}

// decodedEquals reports whether percentDecode(enc) == plain, without
// allocating.
func decodedEquals(enc, plain string) bool {
	j := 0
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c == '%' && i+2 < len(enc) {
			h, ok1 := unhex(enc[i+1])
			l, ok2 := unhex(enc[i+2])
			if ok1 && ok2 {
				c = h<<4 | l
				i += 2
			}
		}
		if j >= len(plain) || plain[j] != c {
			return false
		}
		j++
	}
	return j == len(plain)
}

// appendReencoded decodes s and encodes it again with the unreserved set.
func appendReencoded(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return dst, false
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			c = h<<4 | l
			i += 2
		}
		dst = appendEncodedByte(dst, c)
	}
	return dst, true
}

// appendCanonicalURI encodes the raw (still percent-encoded) path once more:
// '%' becomes "%25", '/' and unreserved bytes stay, everything else becomes
// %XX. An empty path is "/".
func appendCanonicalURI(dst []byte, path string) []byte {
	if path == "" {
		return append(dst, '/')
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == '/' {
			dst = append(dst, c)
		} else {
			dst = appendEncodedByte(dst, c)
		}
	}
	return dst
}

// needsNormalizing reports whether NormalizePath(path) differs from path,
// without allocating: an empty path, a relative path, or an empty, "." or
// ".." segment anywhere but at the very end.
func needsNormalizing(path string) bool {
	if path == "" || path[0] != '/' {
		return true
	}
	for rest := path[1:]; ; {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "." || seg == ".." || (seg == "" && more) {
			return true
		}
		if !more {
			return false
		}
		rest = tail
	}
}

// NormalizePath removes "." and ".." segments and empty segments ("//") from
// a raw path, the way botocore, @smithy/signature-v4 and aws-c-auth do
// before signing non-S3 requests: a leading '/' is kept, a trailing '/' is
// kept when something remains, and ".." never climbs above the root.
func NormalizePath(path string) string {
	if path == "" {
		return "/"
	}
	segs := make([]string, 0, strings.Count(path, "/")+1)
	for rest := path; ; {
		seg, tail, more := strings.Cut(rest, "/")
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
		if !more {
			break
		}
		rest = tail
	}
	var b strings.Builder
	b.Grow(len(path))
	if path[0] == '/' {
		b.WriteByte('/')
	}
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(s)
	}
	if path[len(path)-1] == '/' && len(segs) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// qpair locates one encoded query parameter in scratch.enc.
type qpair struct{ k0, k1, v1 int }

// scratch holds reusable buffers for one canonicalisation.
type scratch struct {
	cr    []byte // canonical request
	sts   []byte // HMAC inner block + string to sign
	enc   []byte // encoded query keys and values
	pairs []qpair
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{cr: make([]byte, 0, 1024), sts: make([]byte, 0, 256), enc: make([]byte, 0, 256)}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.cr) > 64<<10 || cap(s.enc) > 64<<10 || cap(s.pairs) > 1024 {
		return // don't keep huge buffers alive
	}
	scratchPool.Put(s)
}

// appendCanonicalQuery appends the canonical query string of raw: split on
// '&' (empty segments are ignored), split each on the first '=' (no '='
// means an empty value), percent-decode ('+' is a literal plus), re-encode
// with the unreserved set, sort by encoded key then encoded value (bytewise),
// keep duplicates. In presigned mode X-Amz-Signature is left out; dropToken
// also leaves out X-Amz-Security-Token.
func (s *scratch) appendCanonicalQuery(dst []byte, raw string, presigned, dropToken bool) ([]byte, error) {
	if raw == "" {
		return dst, nil
	}
	enc, pairs := s.enc[:0], s.pairs[:0]
	for rest := raw; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k0 := len(enc)
		var ok bool
		if enc, ok = appendReencoded(enc, k); !ok {
			s.enc, s.pairs = enc, pairs
			return dst, malformedQuery(raw)
		}
		k1 := len(enc)
		if enc, ok = appendReencoded(enc, v); !ok {
			s.enc, s.pairs = enc, pairs
			return dst, malformedQuery(raw)
		}
		if key := enc[k0:k1]; (presigned && string(key) == paramSignature) || (dropToken && string(key) == paramToken) {
			enc = enc[:k0]
			continue
		}
		pairs = append(pairs, qpair{k0, k1, len(enc)})
	}
	if len(pairs) <= 16 {
		// Insertion sort: no closure, no allocation for typical queries.
		for i := 1; i < len(pairs); i++ {
			for j := i; j > 0 && comparePairs(enc, pairs[j], pairs[j-1]) < 0; j-- {
				pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
			}
		}
	} else {
		slices.SortFunc(pairs, func(a, b qpair) int { return comparePairs(enc, a, b) })
	}
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, enc[p.k0:p.k1]...)
		dst = append(dst, '=')
		dst = append(dst, enc[p.k1:p.v1]...)
	}
	s.enc, s.pairs = enc, pairs
	return dst, nil
}

// comparePairs orders encoded pairs by key, then by value, bytewise.
func comparePairs(enc []byte, a, b qpair) int {
	if c := bytes.Compare(enc[a.k0:a.k1], enc[b.k0:b.k1]); c != 0 {
		return c
	}
	return bytes.Compare(enc[a.k1:a.v1], enc[b.k1:b.v1])
}

// canonOpts selects one of the forms CheckSignature tries.
type canonOpts struct {
	normalize bool // canonicalise NormalizePath(path) instead of the path as received
	dropToken bool // presigned: leave X-Amz-Security-Token out of the canonical query
}

// appendCanonicalRequest appends the canonical request of r to dst.
func (s *scratch) appendCanonicalRequest(dst []byte, r *http.Request, a *Auth, payloadHash string, o canonOpts) ([]byte, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	dst = append(dst, method...)
	dst = append(dst, '\n')
	path, query := requestTarget(r)
	if o.normalize {
		path = NormalizePath(path)
	}
	dst = appendCanonicalURI(dst, path)
	dst = append(dst, '\n')
	var err error
	if dst, err = s.appendCanonicalQuery(dst, query, a.Presigned, o.dropToken); err != nil {
		return dst, err
	}
	dst = append(dst, '\n')
	for _, name := range a.SignedHeaders {
		dst = append(dst, name...)
		dst = append(dst, ':')
		var ok bool
		if dst, ok = appendHeaderValue(dst, r, name); !ok {
			return dst, newError(KindIncomplete, "The header '"+name+"' is listed in SignedHeaders but is not present in the request.")
		}
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	for i, name := range a.SignedHeaders {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	dst = append(dst, payloadHash...)
	return dst, nil
}

// CanonicalRequest returns the canonical request of r as received (path not
// normalised, every query parameter but X-Amz-Signature included), using the
// client's SignedHeaders and the given payload hash. It is exposed for tests
// and for explaining a mismatch to an operator; CheckSignature may also try
// the normalised-path and token-less forms described in the package doc.
func CanonicalRequest(r *http.Request, a *Auth, payloadHash string) (string, error) {
	s := getScratch()
	defer putScratch(s)
	cr, err := s.appendCanonicalRequest(s.cr[:0], r, a, payloadHash, canonOpts{})
	s.cr = cr[:0]
	if err != nil {
		return "", err
	}
	return string(cr), nil
}

// StringToSign returns "AWS4-HMAC-SHA256\n<X-Amz-Date>\n<scope>\n<hex
// SHA-256 of the canonical request>", with the request time in ISO 8601
// basic format.
func StringToSign(a *Auth, canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	return string(appendStringToSign(nil, a, &h))
}

func appendStringToSign(dst []byte, a *Auth, crHash *[32]byte) []byte {
	dst = append(dst, Algorithm...)
	dst = append(dst, '\n')
	dst = appendBasicTime(dst, a.Time)
	dst = append(dst, '\n')
	dst = a.appendScope(dst)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, crHash[:])
}

// appendBasicTime appends t in UTC in ISO 8601 basic format
// (yyyymmddThhmmssZ), like t.UTC().AppendFormat(dst, TimeFormat) but
// faster.
func appendBasicTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, TimeFormat)
	}
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	for _, v := range [...]int{int(mo), d} {
		dst = append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	dst = append(dst, 'T')
	for _, v := range [...]int{h, mi, s} {
		dst = append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	return append(dst, 'Z')
}

// appendHeaderValue appends the canonical value of the signed header name:
// every value in arrival order, each trimmed with internal runs of spaces
// and tabs collapsed to one space, joined with ','. net/http moves some
// headers out of r.Header: host comes from r.Host (r.URL.Host for a client
// request), content-length falls back to r.ContentLength, and
// transfer-encoding comes from r.TransferEncoding.
func appendHeaderValue(dst []byte, r *http.Request, name string) ([]byte, bool) {
	switch name {
	case "host":
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		if h == "" {
			return dst, false
		}
		return appendTrimmed(dst, h), true
	case "content-length":
		if vs := lookupHeader(r.Header, name); len(vs) > 0 {
			return appendValues(dst, vs), true
		}
		if r.ContentLength > 0 {
			return strconv.AppendInt(dst, r.ContentLength, 10), true
		}
		return dst, false
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return appendValues(dst, r.TransferEncoding), true
		}
	}
	vs := lookupHeader(r.Header, name)
	if len(vs) == 0 {
		return dst, false
	}
	return appendValues(dst, vs), true
}

func appendValues(dst []byte, vs []string) []byte {
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrimmed(dst, v)
	}
	return dst
}

// appendTrimmed appends v without leading and trailing spaces and tabs and
// with every internal run of spaces and tabs replaced by one space.
func appendTrimmed(dst []byte, v string) []byte {
	v = trimOWS(v)
	if strings.IndexByte(v, '\t') < 0 && !strings.Contains(v, "  ") {
		return append(dst, v...) // nothing to collapse: most values
	}
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// lookupHeader returns the values of the header whose lower-case name is
// name. Servers store canonical keys, so the fast path is one map lookup
// with the canonical form built on the stack; requests built by hand may use
// other spellings, which the slow path merges in sorted key order (the order
// net/http's client writes them in).
func lookupHeader(h http.Header, name string) []string {
	if h == nil {
		return nil
	}
	var buf [64]byte
	if len(name) <= len(buf) {
		key := canonicalKey(buf[:0], name)
		if vs, ok := h[string(key)]; ok {
			return vs
		}
	}
	return lookupHeaderSlow(h, name)
}

func lookupHeaderSlow(h http.Header, name string) []string {
	var keys []string
	for k := range h {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	switch len(keys) {
	case 0:
		return nil
	case 1:
		return h[keys[0]]
	}
	slices.Sort(keys)
	var vs []string
	for _, k := range keys {
		vs = append(vs, h[k]...)
	}
	return vs
}

// canonicalKey appends textproto.CanonicalMIMEHeaderKey(name) to dst.
func canonicalKey(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if !validHeaderFieldByte(name[i]) {
			return append(dst, name...)
		}
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// tchar marks the RFC 7230 token characters.
var tchar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range []byte("!#$%&'*+-.^_`|~") {
		t[c] = true
	}
	return t
}()

// validHeaderFieldByte reports whether c is an RFC 7230 tchar.
func validHeaderFieldByte(c byte) bool { return tchar[c] }
