package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EmptyPayloadHash is the hex SHA-256 of an empty body.
const EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// DefaultMaxSkew is AWS's general clock-skew window for header-signed
// requests.
const DefaultMaxSkew = 15 * time.Minute

// keyCacheSize bounds each of the two generations of the signing-key cache,
// so at most 2*keyCacheSize keys are held.
const keyCacheSize = 1024

// Verifier checks request times and signatures. The zero value is ready to
// use; a Verifier must not be copied after first use. It is safe for
// concurrent use.
type Verifier struct {
	Now     func() time.Time // nil = time.Now
	MaxSkew time.Duration    // header form; 0 = 15 minutes (AWS's general window; Lambda/function URLs may set 5 min)

	// The signing-key cache is keyed by SHA-256 of (secret, date, region,
	// service), so secrets are never stored as map keys. It has two
	// generations: when the current one is full it becomes the old one and
	// the previous old one is dropped; a hit in the old one is promoted.
	mu       sync.Mutex
	keys     map[[32]byte][32]byte
	oldKeys  map[[32]byte][32]byte
	derivedN uint64 // keys derived so far, for tests
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// CheckTime checks the request time against the clock.
//
// Header form: the request time must lie within MaxSkew of now, both ways
// (equality is accepted). Presigned form: X-Amz-Expires must be 1..604800
// seconds (else KindIncomplete, with S3's wording), now must be before
// Time+Expires (exactly at Time+Expires the URL has expired), and Time must
// not be more than MaxSkew in the future. The clock is truncated to whole
// seconds, the resolution of X-Amz-Date. Failures are KindExpired with AWS's
// messages, e.g. "Signature expired: 20240101T120000Z is now earlier than
// 20240101T120501Z (20240101T121001Z - 5 min.)".
func (v *Verifier) CheckTime(a *Auth) error {
	now := v.now().UTC().Truncate(time.Second)
	t := a.Time.UTC()
	skew := v.maxSkew()
	if a.Presigned {
		switch {
		case a.Expires < 0:
			return newError(KindIncomplete, "X-Amz-Expires must be non-negative")
		case a.Expires < time.Second:
			return newError(KindIncomplete, "X-Amz-Expires must be at least 1 second")
		case a.Expires > MaxExpires:
			return newError(KindIncomplete, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		if !now.Before(t.Add(a.Expires)) {
			return newError(KindExpired, "Request has expired")
		}
	} else if earliest := now.Add(-skew); t.Before(earliest) {
		return newError(KindExpired, "Signature expired: "+t.Format(TimeFormat)+" is now earlier than "+
			earliest.Format(TimeFormat)+" ("+now.Format(TimeFormat)+" - "+formatSkew(skew)+".)")
	}
	if latest := now.Add(skew); t.After(latest) {
		return newError(KindExpired, "Signature not yet current: "+t.Format(TimeFormat)+" is still later than "+
			latest.Format(TimeFormat)+" ("+now.Format(TimeFormat)+" + "+formatSkew(skew)+".)")
	}
	return nil
}

func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec"
}

// CheckSignature rebuilds the canonical request of r from the wire (see the
// package doc), signs it with the key derived from secret and the credential
// scope of a, and compares the result with a.Signature in constant time.
// payloadHash is the hex SHA-256 of the body the server received
// (PayloadHash); the canonical request always uses it.
//
// Errors: KindPayload when an x-amz-content-sha256 header (or, presigned,
// query parameter) differs from payloadHash, including UNSIGNED-PAYLOAD and
// STREAMING-*; KindIncomplete when a signed header is absent from the
// request or the query string is malformed; KindMismatch when host is not
// signed or the signature does not match.
//
// When the signature does not match the request as received, CheckSignature
// also tries the path with dot segments and empty segments removed (what
// normalising signers such as botocore sign) and, for presigned requests
// carrying X-Amz-Security-Token, the query without that parameter (a token
// appended after signing, as for a token header that is not signed).
func (v *Verifier) CheckSignature(r *http.Request, a *Auth, secret, payloadHash string) error {
	if err := checkPayloadHeader(r, a, payloadHash); err != nil {
		return err
	}
	if !containsString(a.SignedHeaders, "host") {
		return newError(KindMismatch, msgHostNotSigned)
	}
	var want [32]byte
	if !decodeSignature(a.Signature, &want) {
		return newError(KindMismatch, MsgSignatureMismatch)
	}
	key := v.signingKey(secret, a.Date, a.Region, a.Service)

	s := getScratch()
	defer putScratch(s)
	attempts := [4]canonOpts{{}}
	n := 1
	path, query := requestTarget(r)
	if needsNormalizing(path) && NormalizePath(path) != nonEmptyPath(path) {
		attempts[n] = canonOpts{normalize: true}
		n++
	}
	if a.Presigned && hasQueryParam(query, paramToken) {
		for i := range n {
			attempts[n+i] = canonOpts{normalize: attempts[i].normalize, dropToken: true}
		}
		n *= 2
	}
	for _, o := range attempts[:n] {
		cr, err := s.appendCanonicalRequest(s.cr[:0], r, a, payloadHash, o)
		s.cr = cr[:0]
		if err != nil {
			return err
		}
		got := s.sign(&key, a, cr)
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return nil
		}
	}
	return newError(KindMismatch, MsgSignatureMismatch)
}

func nonEmptyPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func hasQueryParam(raw, name string) bool {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(seg, "=")
		if decodedEquals(k, name) {
			return true
		}
	}
	return false
}

// checkPayloadHeader enforces that a client-supplied x-amz-content-sha256
// equals the hash of the body actually received.
func checkPayloadHeader(r *http.Request, a *Auth, payloadHash string) error {
	for _, v := range lookupHeader(r.Header, "x-amz-content-sha256") {
		if err := checkPayloadValue(v, payloadHash); err != nil {
			return err
		}
	}
	if a.Presigned {
		_, query := requestTarget(r)
		if v, ok := queryParam(query, paramContentSHA256); ok {
			return checkPayloadValue(v, payloadHash)
		}
	}
	return nil
}

func checkPayloadValue(v, payloadHash string) error {
	v = trimOWS(v)
	if strings.EqualFold(v, payloadHash) {
		return nil
	}
	if v == "UNSIGNED-PAYLOAD" || strings.HasPrefix(v, "STREAMING-") {
		return newError(KindPayload, "x-amz-content-sha256 '"+v+"' is not supported by this service; the payload must be signed.")
	}
	return newError(KindPayload, msgPayloadMismatch)
}

// decodeSignature decodes 64 lower-case hex digits into dst. Like AWS, it
// refuses the same signature in upper case: the encoding is part of the
// protocol, and no signer writes anything else.
func decodeSignature(sig string, dst *[32]byte) bool {
	if len(sig) != 64 {
		return false
	}
	for i := range dst {
		h, ok1 := unhex(sig[2*i])
		l, ok2 := unhex(sig[2*i+1])
		if !ok1 || !ok2 || sig[2*i] >= 'A' && sig[2*i] <= 'F' || sig[2*i+1] >= 'A' && sig[2*i+1] <= 'F' {
			return false
		}
		dst[i] = h<<4 | l
	}
	return true
}

// sign returns HMAC-SHA256(key, string to sign of cr). The HMAC is computed
// by hand over the scratch buffer to avoid allocating hash states.
func (s *scratch) sign(key *[32]byte, a *Auth, cr []byte) [32]byte {
	crHash := sha256.Sum256(cr)
	buf := s.sts[:0]
	for _, b := range key {
		buf = append(buf, b^0x36)
	}
	for range sha256.BlockSize - len(key) {
		buf = append(buf, 0x36)
	}
	buf = appendStringToSign(buf, a, &crHash)
	inner := sha256.Sum256(buf)
	s.sts = buf[:0]
	var outer [sha256.BlockSize + sha256.Size]byte
	for i, b := range key {
		outer[i] = b ^ 0x5c
	}
	for i := len(key); i < sha256.BlockSize; i++ {
		outer[i] = 0x5c
	}
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}

// signingKey returns the SigV4 signing key for (secret, date, region,
// service), from the cache when possible.
func (v *Verifier) signingKey(secret, date, region, service string) [32]byte {
	id := cacheID(secret, date, region, service)
	v.mu.Lock()
	if k, ok := v.keys[id]; ok {
		v.mu.Unlock()
		return k
	}
	if k, ok := v.oldKeys[id]; ok {
		v.storeLocked(id, k)
		v.mu.Unlock()
		return k
	}
	v.mu.Unlock()
	k := DeriveKey(secret, date, region, service)
	v.mu.Lock()
	v.derivedN++
	v.storeLocked(id, k)
	v.mu.Unlock()
	return k
}

func (v *Verifier) storeLocked(id, k [32]byte) {
	if v.keys == nil {
		v.keys = make(map[[32]byte][32]byte)
	}
	if len(v.keys) >= keyCacheSize {
		v.oldKeys, v.keys = v.keys, make(map[[32]byte][32]byte)
	}
	v.keys[id] = k
}

// cacheID hashes the length-prefixed key material so that the cache never
// holds a secret and distinct tuples cannot collide by concatenation.
func cacheID(secret, date, region, service string) [32]byte {
	var stack [192]byte
	b := stack[:0]
	for _, s := range [...]string{secret, date, region, service} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	id := sha256.Sum256(b)
	clear(b)
	return id
}

// DeriveKey computes the SigV4 signing key HMAC(HMAC(HMAC(HMAC("AWS4"+secret,
// date), region), service), "aws4_request").
func DeriveKey(secret, date, region, service string) [32]byte {
	var stack [128]byte
	k0 := append(append(stack[:0], "AWS4"...), secret...)
	k := hmacSum(k0, date)
	clear(k0)
	k = hmacSum(k[:], region)
	k = hmacSum(k[:], service)
	return hmacSum(k[:], Terminator)
}

// hmacSum returns HMAC-SHA256(key, data) (RFC 2104), computed with
// sha256.Sum256 over stack buffers so that deriving a key does not allocate
// for the short inputs SigV4 uses.
func hmacSum(key []byte, data string) [32]byte {
	var block [sha256.BlockSize]byte
	if len(key) > sha256.BlockSize {
		h := sha256.Sum256(key)
		copy(block[:], h[:])
	} else {
		copy(block[:], key)
	}
	var stack [sha256.BlockSize + 64]byte
	in := stack[:0]
	for _, b := range block {
		in = append(in, b^0x36)
	}
	in = append(in, data...)
	inner := sha256.Sum256(in)
	var outer [sha256.BlockSize + sha256.Size]byte
	for i, b := range block {
		outer[i] = b ^ 0x5c
	}
	copy(outer[sha256.BlockSize:], inner[:])
	clear(block[:])
	clear(stack[:])
	return sha256.Sum256(outer[:])
}

// PayloadHash returns the lower-case hex SHA-256 of body.
func PayloadHash(body []byte) string {
	if len(body) == 0 {
		return EmptyPayloadHash
	}
	h := sha256.Sum256(body)
	var buf [2 * sha256.Size]byte
	hex.Encode(buf[:], h[:])
	return string(buf[:])
}
