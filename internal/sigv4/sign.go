package sigv4

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credentials are what a client signs with.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// String shows only the access key ID, so that credentials printed by
// accident (fmt, %v) do not leak secrets.
func (c Credentials) String() string { return "sigv4.Credentials{" + c.AccessKeyID + "}" }

// GoString is like String, for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue shows only the access key ID in structured logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID))
}

var _ slog.LogValuer = Credentials{}

// Sign signs r in place with an Authorization header, for service in
// region at time t. payloadHash is the hex SHA-256 of the body that will be
// sent ("" means an empty body). Sign sets X-Amz-Date and, when c has a
// session token, X-Amz-Security-Token, and signs host, x-amz-date,
// x-amz-security-token, content-type and every other x-amz-* header present;
// other headers are sent unsigned. Header keys are first rewritten to their
// canonical spelling (values of keys differing only in case are merged in
// the order net/http's client would write them), so the signed values are
// exactly those a server receives.
func Sign(r *http.Request, payloadHash string, c Credentials, region, service string, t time.Time) error {
	if r.URL == nil {
		return errors.New("sigv4: sign: request has no URL")
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return errors.New("sigv4: sign: missing access key ID or secret access key")
	}
	if payloadHash == "" {
		payloadHash = EmptyPayloadHash
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	canonicalizeHeaderKeys(r.Header)
	r.Header.Del("Authorization")
	t = t.UTC()
	r.Header.Set("X-Amz-Date", t.Format(TimeFormat))
	if c.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", c.SessionToken)
	}
	if h := r.Host; h == "" && r.URL.Host == "" {
		return errors.New("sigv4: sign: request has no host")
	}
	signed := []string{"host"}
	for k := range r.Header {
		lk := strings.ToLower(k)
		if lk == "content-type" || strings.HasPrefix(lk, "x-amz-") {
			signed = append(signed, lk)
		}
	}
	slices.Sort(signed)
	signed = slices.Compact(signed)
	a := &Auth{
		AccessKeyID:   c.AccessKeyID,
		Date:          t.Format(dateFormat),
		Region:        region,
		Service:       service,
		SignedHeaders: signed,
		Time:          t,
	}
	sig, err := signAuth(r, a, c.SecretAccessKey, payloadHash)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", Algorithm+" Credential="+c.AccessKeyID+"/"+a.Scope()+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}

// Presign returns a presigned copy of r.URL valid for expires (whole
// seconds, 1 s to 7 days) from t. It adds X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Security-Token (when c has a session token) and X-Amz-Signature
// after the existing query (from which any earlier presign parameters are
// removed). It signs the method, the path, the whole query, the host
// (r.Host, else the URL's host) and an empty payload: only a request with
// that method and no body verifies, and no other header is signed, so the
// URL can be used by any HTTP client as is. r is not modified.
func Presign(r *http.Request, c Credentials, region, service string, t time.Time, expires time.Duration) (*url.URL, error) {
	if r.URL == nil {
		return nil, errors.New("sigv4: presign: request has no URL")
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, errors.New("sigv4: presign: missing access key ID or secret access key")
	}
	if expires < time.Second || expires > MaxExpires || expires%time.Second != 0 {
		return nil, fmt.Errorf("sigv4: presign: expires %v must be whole seconds between 1s and %v", expires, MaxExpires)
	}
	if err := checkQueryEscapes(r.URL.RawQuery); err != nil {
		return nil, fmt.Errorf("sigv4: presign: %w", err)
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return nil, errors.New("sigv4: presign: request has no host")
	}
	t = t.UTC()
	a := &Auth{
		Presigned:     true,
		AccessKeyID:   c.AccessKeyID,
		Date:          t.Format(dateFormat),
		Region:        region,
		Service:       service,
		SignedHeaders: []string{"host"},
		Time:          t,
		Expires:       expires,
		SecurityToken: c.SessionToken,
	}
	var q []string
	for _, seg := range strings.Split(r.URL.RawQuery, "&") {
		if seg == "" {
			continue
		}
		k, _, _ := strings.Cut(seg, "=")
		switch percentDecode(k) {
		case paramAlgorithm, paramCredential, paramDate, paramExpires, paramSignedHeaders, paramSignature, paramToken:
			continue
		}
		q = append(q, seg)
	}
	enc := func(s string) string {
		var b []byte
		for i := 0; i < len(s); i++ {
			b = appendEncodedByte(b, s[i])
		}
		return string(b)
	}
	q = append(q,
		paramAlgorithm+"="+Algorithm,
		paramCredential+"="+enc(c.AccessKeyID+"/"+a.Scope()),
		paramDate+"="+t.Format(TimeFormat),
		paramExpires+"="+strconv.FormatInt(int64(expires/time.Second), 10),
		paramSignedHeaders+"=host",
	)
	if c.SessionToken != "" {
		q = append(q, paramToken+"="+enc(c.SessionToken))
	}
	u := *r.URL
	u.RawQuery = strings.Join(q, "&")
	u.ForceQuery = false
	u.Fragment, u.RawFragment = "", ""
	tmp := &http.Request{Method: r.Method, URL: &u, Host: host}
	sig, err := signAuth(tmp, a, c.SecretAccessKey, EmptyPayloadHash)
	if err != nil {
		return nil, err
	}
	u.RawQuery += "&" + paramSignature + "=" + sig
	return &u, nil
}

// signAuth returns the hex signature of r under a.
func signAuth(r *http.Request, a *Auth, secret, payloadHash string) (string, error) {
	s := getScratch()
	defer putScratch(s)
	cr, err := s.appendCanonicalRequest(s.cr[:0], r, a, payloadHash, canonOpts{})
	s.cr = cr[:0]
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return "", fmt.Errorf("sigv4: sign: %s", e.Message)
		}
		return "", err
	}
	key := DeriveKey(secret, a.Date, a.Region, a.Service)
	sig := s.sign(&key, a, cr)
	return fmt.Sprintf("%x", sig[:]), nil
}

// canonicalizeHeaderKeys rewrites h so that every key is in canonical form,
// merging keys that differ only in case in sorted key order.
func canonicalizeHeaderKeys(h http.Header) {
	var odd []string
	for k := range h {
		if http.CanonicalHeaderKey(k) != k {
			odd = append(odd, k)
		}
	}
	if len(odd) == 0 {
		return
	}
	groups := map[string][]string{}
	for _, k := range odd {
		ck := http.CanonicalHeaderKey(k)
		groups[ck] = append(groups[ck], k)
	}
	for ck, keys := range groups {
		if _, ok := h[ck]; ok {
			keys = append(keys, ck)
		}
		slices.Sort(keys)
		var vs []string
		for _, k := range keys {
			vs = append(vs, h[k]...)
			delete(h, k)
		}
		h[ck] = vs
	}
}
