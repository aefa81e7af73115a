package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// handSign signs a canonical request written out by hand, independently of
// the canonicaliser, with the suite's credentials.
func handSign(t *testing.T, canonical string, date time.Time, region, service string) string {
	t.Helper()
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac([]byte("AWS4"+testSecret), date.Format("20060102"))
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, "aws4_request")
	h := sha256.Sum256([]byte(canonical))
	sts := "AWS4-HMAC-SHA256\n" + date.Format("20060102T150405Z") + "\n" + date.Format("20060102") + "/" + region + "/" + service + "/aws4_request\n" + hex.EncodeToString(h[:])
	return hex.EncodeToString(mac(k, sts))
}

var handTime = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

func authzFor(signedHeaders, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240101/us-east-1/lambda/aws4_request, SignedHeaders=" + signedHeaders + ", Signature=" + sig
}

// verifyWire reads wire bytes as a server and runs the whole pipeline.
func verifyWire(t *testing.T, wire string) error {
	t.Helper()
	r, body := readServerRequest(t, []byte(wire))
	a, err := Parse(r)
	if err != nil {
		return err
	}
	if err := a.CheckScope("us-east-1", "lambda"); err != nil {
		return err
	}
	v := &Verifier{Now: fixedClock(handTime)}
	if err := v.CheckTime(a); err != nil {
		return err
	}
	return v.CheckSignature(r, a, testSecret, PayloadHash(body))
}

// TestCheckSignatureHandWritten checks canonicalisation details against
// canonical requests written out literally.
func TestCheckSignatureHandWritten(t *testing.T) {
	body := "hello"
	bodyHash := PayloadHash([]byte(body))
	tests := []struct {
		name      string
		canonical string // what the client signed
		signed    string // SignedHeaders
		wire      string // request with %AUTH% for the Authorization header
	}{
		{
			name: "transfer-encoding from r.TransferEncoding, chunked body",
			canonical: "POST\n/fn\n\nhost:example.com\ntransfer-encoding:chunked\nx-amz-date:20240101T120000Z\n\n" +
				"host;transfer-encoding;x-amz-date\n" + bodyHash,
			signed: "host;transfer-encoding;x-amz-date",
			wire:   "POST /fn HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: %AUTH%\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		},
		{
			name: "host keeps case and port; repeated headers in order; values collapsed",
			canonical: "GET\n/\n\nhost:Example.COM:8443\nx-a:1,two words,3\nx-amz-date:20240101T120000Z\n\n" +
				"host;x-a;x-amz-date\n" + EmptyPayloadHash,
			signed: "host;x-a;x-amz-date",
			wire:   "GET / HTTP/1.1\r\nHost: Example.COM:8443\r\nX-A: 1\r\nX-Amz-Date: 20240101T120000Z\r\nx-a: two \t words\r\nX-A:\t3 \t\r\nAuthorization: %AUTH%\r\n\r\n",
		},
		{
			name: "double encoding of the wire path",
			canonical: "POST\n/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A1%253Afunction%253Af/invocations\n\n" +
				"host:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + bodyHash,
			signed: "host;x-amz-date",
			wire:   "POST /2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nContent-Length: 5\r\nAuthorization: %AUTH%\r\n\r\nhello",
		},
		{
			name: "query: '+' is a literal plus, missing '=' is an empty value, duplicates sorted by value, lower-case hex",
			canonical: "GET\n/\n%E1%88%B4=%2F&A=&a=%2B&a=b%20c&c%2Bd=\n" +
				"host:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + EmptyPayloadHash,
			signed: "host;x-amz-date",
			wire:   "GET /?c+d&a=b%20c&a=+&%e1%88%b4=/&A= HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: %AUTH%\r\n\r\n",
		},
		{
			name: "query: empty segments ignored, unreserved escapes decoded",
			canonical: "GET\n/\na=A~&b=\n" +
				"host:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + EmptyPayloadHash,
			signed: "host;x-amz-date",
			wire:   "GET /?&a=%41%7e&&b=& HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: %AUTH%\r\n\r\n",
		},
		{
			name:      "normalised path signed, raw path sent",
			canonical: "GET\n/a/c/\n\nhost:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + EmptyPayloadHash,
			signed:    "host;x-amz-date",
			wire:      "GET //a/./b/../c// HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: %AUTH%\r\n\r\n",
		},
		{
			name:      "raw path signed and sent",
			canonical: "GET\n//a/./b/../c//\n\nhost:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + EmptyPayloadHash,
			signed:    "host;x-amz-date",
			wire:      "GET //a/./b/../c// HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: %AUTH%\r\n\r\n",
		},
		{
			name:      "Date header instead of X-Amz-Date",
			canonical: "GET\n/\n\ndate:Mon, 01 Jan 2024 12:00:00 GMT\nhost:example.com\n\ndate;host\n" + EmptyPayloadHash,
			signed:    "date;host",
			wire:      "GET / HTTP/1.1\r\nHost: example.com\r\nDate: Mon, 01 Jan 2024 12:00:00 GMT\r\nAuthorization: %AUTH%\r\n\r\n",
		},
		{
			name: "x-amz-content-sha256 signed and equal to the body hash",
			canonical: "PUT\n/\n\ncontent-length:5\nhost:example.com\nx-amz-content-sha256:" + bodyHash + "\nx-amz-date:20240101T120000Z\n\n" +
				"content-length;host;x-amz-content-sha256;x-amz-date\n" + bodyHash,
			signed: "content-length;host;x-amz-content-sha256;x-amz-date",
			wire:   "PUT / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nX-Amz-Content-Sha256: " + bodyHash + "\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: %AUTH%\r\n\r\nhello",
		},
		{
			name:      "unsigned token header accepted",
			canonical: "GET\n/\n\nhost:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + EmptyPayloadHash,
			signed:    "host;x-amz-date",
			wire:      "GET / HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nX-Amz-Security-Token: abc\r\nAuthorization: %AUTH%\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := handSign(t, tt.canonical, handTime, "us-east-1", "lambda")
			wire := strings.Replace(tt.wire, "%AUTH%", authzFor(tt.signed, sig), 1)
			if err := verifyWire(t, wire); err != nil {
				r, b := readServerRequest(t, []byte(wire))
				t.Fatalf("rejected: %v\nours:\n%s\nwant:\n%s", err, ourCanonical(r, b), tt.canonical)
			}
			// The same signature in upper-case hex is refused, as AWS
			// refuses it (aws/aws-sdk-js#3322).
			wire = strings.Replace(tt.wire, "%AUTH%", authzFor(tt.signed, strings.ToUpper(sig)), 1)
			if err := verifyWire(t, wire); err == nil {
				t.Errorf("upper-case signature accepted")
			}
		})
	}
}

func TestCheckSignatureErrors(t *testing.T) {
	canonical := "POST\n/\n\nhost:example.com\nx-amz-date:20240101T120000Z\n\nhost;x-amz-date\n" + PayloadHash([]byte("hello"))
	sig := handSign(t, canonical, handTime, "us-east-1", "lambda")
	base := "POST / HTTP/1.1\r\nHost: example.com\r\nX-Amz-Date: 20240101T120000Z\r\nContent-Length: 5\r\n%EXTRA%Authorization: " +
		authzFor("host;x-amz-date", sig) + "\r\n\r\nhello"
	if err := verifyWire(t, strings.Replace(base, "%EXTRA%", "", 1)); err != nil {
		t.Fatalf("base request rejected: %v", err)
	}
	tests := []struct {
		name  string
		extra string
		kind  Kind
		msg   string
	}{
		{"content sha256 mismatch", "X-Amz-Content-Sha256: " + EmptyPayloadHash + "\r\n", KindPayload, msgPayloadMismatch},
		{"unsigned payload", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n", KindPayload, "'UNSIGNED-PAYLOAD' is not supported"},
		{"streaming payload", "X-Amz-Content-Sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\r\n", KindPayload, "is not supported"},
		{"second content sha256 wrong", "X-Amz-Content-Sha256: " + PayloadHash([]byte("hello")) + "\r\nX-Amz-Content-Sha256: x\r\n", KindPayload, msgPayloadMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyWire(t, strings.Replace(base, "%EXTRA%", tt.extra, 1))
			if KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want kind %v with %q", err, tt.kind, tt.msg)
			}
		})
	}

	t.Run("signed header absent", func(t *testing.T) {
		wire := strings.Replace(base, "%EXTRA%", "", 1)
		wire = strings.Replace(wire, "SignedHeaders=host;x-amz-date", "SignedHeaders=host;x-amz-date;x-missing", 1)
		err := verifyWire(t, wire)
		if KindOf(err) != KindIncomplete || !strings.Contains(err.Error(), "'x-missing'") {
			t.Errorf("got %v, want KindIncomplete naming x-missing", err)
		}
	})
	t.Run("hand-built auth without host", func(t *testing.T) {
		r, body := readServerRequest(t, []byte(strings.Replace(base, "%EXTRA%", "", 1)))
		a, err := Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		a.SignedHeaders = []string{"x-amz-date"}
		err = (&Verifier{}).CheckSignature(r, a, testSecret, PayloadHash(body))
		if KindOf(err) != KindMismatch || !strings.Contains(err.Error(), "'Host'") {
			t.Errorf("got %v, want KindMismatch about Host", err)
		}
	})
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), sig[:63], sig + "0"} {
		t.Run("malformed signature "+bad, func(t *testing.T) {
			wire := strings.Replace(strings.Replace(base, "%EXTRA%", "", 1), sig, bad, 1)
			if err := verifyWire(t, wire); KindOf(err) != KindMismatch {
				t.Errorf("got %v, want KindMismatch", err)
			}
		})
	}
	t.Run("body changed", func(t *testing.T) {
		wire := strings.Replace(strings.Replace(base, "%EXTRA%", "", 1), "hello", "jello", 1)
		err := verifyWire(t, wire)
		if KindOf(err) != KindMismatch || err.(*Error).Message != MsgSignatureMismatch {
			t.Errorf("got %v, want KindMismatch with AWS's message", err)
		}
	})
}

// TestContentLengthFallback checks that a signed content-length missing
// from r.Header (as with HTTP/2) is taken from r.ContentLength.
func TestContentLengthFallback(t *testing.T) {
	canonical := "POST\n/\n\ncontent-length:5\nhost:example.com\nx-amz-date:20240101T120000Z\n\ncontent-length;host;x-amz-date\n" + PayloadHash([]byte("hello"))
	sig := handSign(t, canonical, handTime, "us-east-1", "lambda")
	r, body := readServerRequest(t, []byte("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nX-Amz-Date: 20240101T120000Z\r\nAuthorization: "+
		authzFor("content-length;host;x-amz-date", sig)+"\r\n\r\nhello"))
	r.Header.Del("Content-Length")
	r.ProtoMajor = 2
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Verifier{}).CheckSignature(r, a, testSecret, PayloadHash(body)); err != nil {
		t.Errorf("CheckSignature: %v", err)
	}
}

// TestPresignedTokenAppendedAfterSigning covers the presigned counterpart
// of post-sts-header-after: a token added to the URL after signing.
func TestPresignedTokenAppendedAfterSigning(t *testing.T) {
	q := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + testAKID + "%2F20240101%2Fus-east-1%2Flambda%2Faws4_request" +
		"&X-Amz-Date=20240101T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
	canonical := "GET\n/\n" + q + "\nhost:example.com\n\nhost\n" + EmptyPayloadHash
	sig := handSign(t, canonical, handTime, "us-east-1", "lambda")
	wire := "GET /?" + q + "&X-Amz-Security-Token=tok%2Fen&X-Amz-Signature=" + sig + " HTTP/1.1\r\nHost: example.com\r\n\r\n"
	if err := verifyWire(t, wire); err != nil {
		t.Errorf("rejected: %v", err)
	}
	r, _ := readServerRequest(t, []byte(wire))
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if a.SecurityToken != "tok/en" {
		t.Errorf("SecurityToken = %q, want %q", a.SecurityToken, "tok/en")
	}
	// The token itself is still protected when it was signed: changing any
	// other parameter fails even though the token-less form is tried.
	if err := verifyWire(t, strings.Replace(wire, "X-Amz-Expires=60", "X-Amz-Expires=61", 1)); KindOf(err) != KindMismatch {
		t.Errorf("changed expiry: got %v, want KindMismatch", err)
	}
}

func TestKeyCache(t *testing.T) {
	v := &Verifier{}
	k1 := v.signingKey("secret", "20240101", "us-east-1", "lambda")
	if want := DeriveKey("secret", "20240101", "us-east-1", "lambda"); k1 != want {
		t.Fatalf("cached key differs from DeriveKey")
	}
	v.signingKey("secret", "20240101", "us-east-1", "lambda")
	if v.derivedN != 1 {
		t.Errorf("derived %d keys for one tuple, want 1", v.derivedN)
	}
	// Concatenation ambiguity must not alias tuples.
	if v.signingKey("secret2", "0240101", "us-east-1", "lambda") == k1 {
		t.Errorf("distinct tuples share a key")
	}
	for _, ks := range []map[[32]byte][32]byte{v.keys, v.oldKeys} {
		for id := range ks {
			if strings.Contains(string(id[:]), "secret") {
				t.Errorf("cache key holds the secret")
			}
		}
	}
	// Bounded: far more tuples than the cache holds.
	for i := range 5 * keyCacheSize {
		v.signingKey(fmt.Sprint("s", i), "20240101", "us-east-1", "lambda")
	}
	if n := len(v.keys) + len(v.oldKeys); n > 2*keyCacheSize {
		t.Errorf("cache holds %d keys, want at most %d", n, 2*keyCacheSize)
	}
	// A recent key is still cached.
	before := v.derivedN
	v.signingKey(fmt.Sprint("s", 5*keyCacheSize-1), "20240101", "us-east-1", "lambda")
	if v.derivedN != before {
		t.Errorf("recent key was derived again")
	}
}

// TestVerifierConcurrent verifies the same requests from many goroutines
// with one Verifier (run with -race).
func TestVerifierConcurrent(t *testing.T) {
	reqs := goV2Signed(t, generate(7, 40, goV2Opts()))
	v := &Verifier{Now: fixedClock(genTime)}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(reqs))
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range reqs {
				sw := reqs[(i+w)%len(reqs)]
				r, body := readServerRequest(t, sw.wire.bytes())
				if err := pipeline(v, r, body, sw.g.Region, sw.g.Service); err != nil {
					errs <- fmt.Errorf("request %d: %w", sw.g.ID, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNormalizePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"//", "/"},
		{"/./", "/"},
		{"/..", "/"},
		{"/../a", "/a"},
		{"/example/..", "/"},
		{"/example1/example2/../..", "/"},
		{"/./example", "/example"},
		{"//example//", "/example/"},
		{"/a/b/../c/./d/", "/a/c/d/"},
		{"/a/b/.", "/a/b"},
		{"/a/.b/..c/", "/a/.b/..c/"},
		{"/%2E%2E/a", "/%2E%2E/a"},
	}
	for _, tt := range tests {
		if got := NormalizePath(tt.in); got != tt.want {
			t.Errorf("NormalizePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalKey(t *testing.T) {
	for _, name := range []string{"host", "x-amz-date", "content-md5", "x-amz-meta-a_b", "my header", "a:b", "ÿ", "-x-", "x--y", "1abc"} {
		if got, want := string(canonicalKey(nil, name)), http.CanonicalHeaderKey(name); got != want {
			t.Errorf("canonicalKey(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestHMAC(t *testing.T) {
	for _, n := range []int{0, 1, 32, 63, 64, 65, 200} {
		key := []byte(strings.Repeat("k", n))
		for _, data := range []string{"", "20240101", strings.Repeat("d", 64), strings.Repeat("d", 300)} {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(data))
			want := m.Sum(nil)
			if got := hmacSum(key, data); !hmac.Equal(got[:], want) {
				t.Errorf("hmacSum(%d-byte key, %d-byte data) = %x, want %x", n, len(data), got, want)
			}
		}
	}
}

func TestErrorStrings(t *testing.T) {
	e := &Error{Kind: KindExpired, Message: "Request has expired"}
	if got, want := e.Error(), "sigv4: expired: Request has expired"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := Kind(42).String(); got != "unknown" {
		t.Errorf("Kind(42).String() = %q", got)
	}
	if KindOf(fmt.Errorf("wrapped: %w", e)) != KindExpired {
		t.Errorf("KindOf does not unwrap")
	}
	if KindOf(fmt.Errorf("other")) != 0 {
		t.Errorf("KindOf(other) != 0")
	}
}

// TestPayloadHash checks the hash against crypto/sha256, the empty body's
// (a constant) included.
func TestPayloadHash(t *testing.T) {
	for _, body := range [][]byte{nil, {}, []byte("abc"), make([]byte, 100)} {
		sum := sha256.Sum256(body)
		if got, want := PayloadHash(body), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("PayloadHash(%q) = %s, want %s", body, got, want)
		}
	}
}
