package sigv4

import (
	"net/http"
	"strings"
	"time"
)

const (
	// Algorithm is the only signing algorithm this package speaks.
	Algorithm = "AWS4-HMAC-SHA256"
	// TimeFormat is the ISO 8601 basic format of X-Amz-Date.
	TimeFormat = "20060102T150405Z"
	// Terminator ends every SigV4 credential scope.
	Terminator = "aws4_request"
	// MaxExpires is the largest X-Amz-Expires AWS accepts (seven days).
	MaxExpires = 604800 * time.Second

	dateFormat         = "20060102"
	extendedTimeFormat = "2006-01-02T15:04:05Z"
)

// Query parameter names of the presigned form.
const (
	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramExpires       = "X-Amz-Expires"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSignature     = "X-Amz-Signature"
	paramToken         = "X-Amz-Security-Token"
	paramContentSHA256 = "X-Amz-Content-Sha256"
)

// Auth is the SigV4 parameters of one request, parsed but not yet verified.
type Auth struct {
	Presigned     bool
	AccessKeyID   string
	Date          string        // yyyymmdd from the credential scope
	Region        string        // from the credential scope
	Service       string        // from the credential scope
	SignedHeaders []string      // lower-case, as the client listed them
	Signature     string        // as given (64 lower-case hex)
	Time          time.Time     // request time from X-Amz-Date (header or query) or, failing that, the Date header
	Expires       time.Duration // presigned only
	SecurityToken string        // X-Amz-Security-Token header or query parameter; "" when absent

	// terminator is the fifth credential element as sent; CheckScope
	// insists on "aws4_request". It is only checked when fromWire is set
	// (by Parse): an Auth built by hand has no terminator.
	terminator string
	fromWire   bool
}

// Scope returns the credential scope "yyyymmdd/region/service/aws4_request".
func (a *Auth) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + Terminator
}

func (a *Auth) appendScope(dst []byte) []byte {
	dst = append(dst, a.Date...)
	dst = append(dst, '/')
	dst = append(dst, a.Region...)
	dst = append(dst, '/')
	dst = append(dst, a.Service...)
	dst = append(dst, '/')
	return append(dst, Terminator...)
}

// Parse extracts the SigV4 parameters of r, from its Authorization header or
// from its presigned query parameters, without verifying anything but their
// syntax. Errors are *Error:
//   - KindIncomplete for a malformed query string (AWS: MalformedQueryString),
//     for both an Authorization header and an X-Amz-Algorithm parameter, for
//     an unsupported algorithm in the header, for missing parameters, a
//     malformed SignedHeaders list, a date not in ISO 8601 basic format, a
//     credential without exactly five elements, or a non-numeric
//     X-Amz-Expires;
//   - KindMissing when neither form is present, or when X-Amz-Algorithm is
//     not AWS4-HMAC-SHA256;
//   - KindMismatch when SignedHeaders does not contain host (AWS answers
//     SignatureDoesNotMatch for that).
//
// Like AWS, Parse uses the first Authorization header and the first value of
// each X-Amz-* query parameter; within the Authorization header the last
// occurrence of a parameter wins.
func Parse(r *http.Request) (*Auth, error) {
	_, rawQuery := requestTarget(r)
	if err := checkQueryEscapes(rawQuery); err != nil {
		return nil, err
	}
	authz, hasAuthz := firstHeader(r.Header, "Authorization")
	alg, hasAlg := queryParam(rawQuery, paramAlgorithm)
	switch {
	case hasAuthz && hasAlg:
		return nil, newError(KindIncomplete, msgBothAuthForms)
	case hasAuthz:
		return parseHeaderForm(r, authz)
	case hasAlg:
		return parseQueryForm(r, rawQuery, alg)
	default:
		return nil, newError(KindMissing, MsgMissingAuthToken)
	}
}

func parseHeaderForm(r *http.Request, h string) (*Auth, error) {
	h = trimOWS(h)
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		return nil, newError(KindIncomplete, "Unsupported AWS 'algorithm': '"+alg+"'.")
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var p string
		p, rest, _ = strings.Cut(rest, ",")
		p = trimOWS(p)
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, newError(KindIncomplete, "'"+p+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+h+"'")
		}
		switch k {
		case "Credential":
			cred, haveCred = v, true
		case "SignedHeaders":
			signed, haveSigned = v, true
		case "Signature":
			sig, haveSig = v, true
		}
	}
	date, haveDate := firstHeader(r.Header, "X-Amz-Date")
	fromDateHeader := false
	if !haveDate {
		date, haveDate = firstHeader(r.Header, "Date")
		fromDateHeader = true
	}
	if !haveCred || !haveSig || !haveSigned || !haveDate {
		var b strings.Builder
		add := func(s string) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
		if !haveCred {
			add("Authorization header requires 'Credential' parameter.")
		}
		if !haveSig {
			add("Authorization header requires 'Signature' parameter.")
		}
		if !haveSigned {
			add("Authorization header requires 'SignedHeaders' parameter.")
		}
		if !haveDate {
			add("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
		}
		add("Authorization=" + alg)
		return nil, newError(KindIncomplete, b.String())
	}
	a := &Auth{Signature: sig}
	if err := a.setSignedHeaders(signed); err != nil {
		return nil, err
	}
	t, ok := parseAmzDate(date)
	if !ok && fromDateHeader {
		t, ok = parseHTTPDate(date)
	}
	if !ok {
		return nil, badDate(date)
	}
	a.Time = t
	if err := a.setCredential(cred); err != nil {
		return nil, err
	}
	a.SecurityToken, _ = firstHeader(r.Header, "X-Amz-Security-Token")
	return a, nil
}

func parseQueryForm(r *http.Request, rawQuery, alg string) (*Auth, error) {
	if alg != Algorithm {
		return nil, newError(KindMissing, MsgMissingAuthToken)
	}
	var p presignParams
	p.collect(rawQuery)
	var missing []string
	if !p.cred.ok {
		missing = append(missing, "AWS query-string parameters must include '"+paramCredential+"'.")
	}
	if !p.sig.ok {
		missing = append(missing, "AWS query-string parameters must include '"+paramSignature+"'.")
	}
	if !p.signed.ok {
		missing = append(missing, "AWS query-string parameters must include '"+paramSignedHeaders+"'.")
	}
	if !p.date.ok {
		missing = append(missing, "AWS query-string parameters must include '"+paramDate+"'.")
	}
	if !p.expires.ok {
		missing = append(missing, "AWS query-string parameters must include '"+paramExpires+"'.")
	}
	if len(missing) > 0 {
		return nil, newError(KindIncomplete, strings.Join(missing, " ")+" "+msgReexamineQuery)
	}
	a := &Auth{Presigned: true, Signature: p.sig.v}
	if err := a.setSignedHeaders(p.signed.v); err != nil {
		return nil, err
	}
	t, ok := parseAmzDate(p.date.v)
	if !ok {
		return nil, badDate(p.date.v)
	}
	a.Time = t
	if err := a.setCredential(p.cred.v); err != nil {
		return nil, err
	}
	exp, ok := parseExpires(p.expires.v)
	if !ok {
		return nil, newError(KindIncomplete, "X-Amz-Expires should be a number")
	}
	a.Expires = exp
	if p.token.ok {
		a.SecurityToken = p.token.v
	} else {
		a.SecurityToken, _ = firstHeader(r.Header, "X-Amz-Security-Token")
	}
	return a, nil
}

type optString struct {
	v  string
	ok bool
}

type presignParams struct {
	cred, sig, signed, date, expires, token optString
}

// collect records the first value of each presign parameter in the raw
// query, which checkQueryEscapes has already validated.
func (p *presignParams) collect(raw string) {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(seg, "=")
		if len(k) < 6 {
			continue
		}
		var dst *optString
		switch {
		case decodedEquals(k, paramCredential):
			dst = &p.cred
		case decodedEquals(k, paramSignature):
			dst = &p.sig
		case decodedEquals(k, paramSignedHeaders):
			dst = &p.signed
		case decodedEquals(k, paramDate):
			dst = &p.date
		case decodedEquals(k, paramExpires):
			dst = &p.expires
		case decodedEquals(k, paramToken):
			dst = &p.token
		default:
			continue
		}
		if !dst.ok {
			dst.v, dst.ok = percentDecode(v), true
		}
	}
}

func badDate(s string) *Error {
	return newError(KindIncomplete, "Date must be in ISO-8601 'basic format'. Got '"+s+"'. See http://en.wikipedia.org/wiki/ISO_8601")
}

// setSignedHeaders parses the SignedHeaders list. Every SDK and curl emit it
// lower-case, sorted and without duplicates, which is what the canonical
// request requires; anything else is rejected as malformed rather than
// guessed at. host must be listed (AWS rule: SignatureDoesNotMatch).
func (a *Auth) setSignedHeaders(s string) error {
	n := strings.Count(s, ";") + 1
	out := make([]string, 0, n)
	rest := s
	for {
		name, tail, more := strings.Cut(rest, ";")
		if !validSignedName(name) || (len(out) > 0 && name <= out[len(out)-1]) {
			return newError(KindIncomplete, "SignedHeaders must be a ';'-separated list of lower-case header names, sorted and without duplicates; got '"+s+"'.")
		}
		out = append(out, name)
		if !more {
			break
		}
		rest = tail
	}
	if !containsString(out, "host") {
		return newError(KindMismatch, msgHostNotSigned)
	}
	a.SignedHeaders = out
	return nil
}

func validSignedName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || ('A' <= c && c <= 'Z') || c == ':' {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// setCredential splits "AKID/yyyymmdd/region/service/aws4_request".
func (a *Auth) setCredential(c string) error {
	if strings.Count(c, "/") != 4 {
		return newError(KindIncomplete, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+c+"'")
	}
	var rest string
	a.AccessKeyID, rest, _ = strings.Cut(c, "/")
	a.Date, rest, _ = strings.Cut(rest, "/")
	a.Region, rest, _ = strings.Cut(rest, "/")
	a.Service, a.terminator, _ = strings.Cut(rest, "/")
	a.fromWire = true
	return nil
}

// parseAmzDate parses X-Amz-Date: ISO 8601 basic format, or the extended
// format AWS also tolerates in headers. The string to sign always uses the
// basic format.
func parseAmzDate(s string) (time.Time, bool) {
	var layout string
	switch len(s) {
	case len(TimeFormat):
		layout = TimeFormat
	case len(extendedTimeFormat):
		layout = extendedTimeFormat
	default:
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != layout[i] && (c < '0' || c > '9' || layout[i] < '0' || layout[i] > '9') {
			return time.Time{}, false
		}
	}
	if layout == TimeFormat {
		// Every request's date: read the digits, and refuse what
		// time.Parse refuses (a month, day, hour, minute or second out of
		// range; February 30), which time.Date would normalize instead.
		num := func(i, n int) int {
			v := 0
			for _, c := range s[i : i+n] {
				v = v*10 + int(c-'0')
			}
			return v
		}
		year, month, day := num(0, 4), num(4, 2), num(6, 2)
		hour, minute, sec := num(9, 2), num(11, 2), num(13, 2)
		t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
		if t.Day() != day || int(t.Month()) != month || t.Year() != year || hour > 23 || minute > 59 || sec > 59 {
			return time.Time{}, false
		}
		return t, true
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// parseHTTPDate parses a Date header: RFC 1123 (and the other forms
// net/http accepts).
func parseHTTPDate(s string) (time.Time, bool) {
	t, err := http.ParseTime(s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseExpires parses X-Amz-Expires as a decimal number of seconds. Values
// too large to represent saturate; CheckTime enforces the range.
func parseExpires(s string) (time.Duration, bool) {
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n = n*10 + int64(c-'0'); n > 1<<32 {
			n = 1 << 32 // saturate: far beyond MaxExpires, far from overflow
		}
	}
	if neg {
		n = -n
	}
	return time.Duration(n) * time.Second, true
}

// CheckScope checks the credential scope against the endpoint's region and
// service. region "" accepts any region; service must match exactly. A
// wrong region, service or terminator, or a scope date different from the
// request date, yields KindScope with AWS's messages, concatenated as AWS
// does when several are wrong.
func (a *Auth) CheckScope(region, service string) error {
	var msg string
	if region != "" && a.Region != region {
		msg += "Credential should be scoped to a valid region, not '" + a.Region + "'. "
	}
	if a.Service != service {
		msg += "Credential should be scoped to correct service: '" + service + "'. "
	}
	if a.fromWire && a.terminator != Terminator {
		msg += "Credential should be scoped with a valid terminator: '" + Terminator + "', not '" + a.terminator + "'. "
	}
	var buf [len(TimeFormat)]byte
	stamp := appendBasicTime(buf[:0], a.Time)
	if string(stamp[:len(dateFormat)]) != a.Date {
		msg += "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			a.Date + "' != '" + string(stamp[:len(dateFormat)]) + "', from '" + string(stamp) + "'."
	}
	if msg != "" {
		return newError(KindScope, msg)
	}
	return nil
}

// firstHeader returns the first value of the header with canonical key k.
func firstHeader(h http.Header, k string) (string, bool) {
	vs := h[k]
	if len(vs) == 0 {
		vs = lookupHeaderSlow(h, k)
		if len(vs) == 0 {
			return "", false
		}
	}
	return vs[0], true
}

// queryParam returns the decoded first value of the named parameter.
func queryParam(raw, name string) (string, bool) {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(seg, "=")
		if decodedEquals(k, name) {
			return percentDecode(v), true
		}
	}
	return "", false
}

// trimOWS trims spaces and tabs.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
