package sigv4

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func clientRequest(t testing.TB, g genReq) *http.Request {
	t.Helper()
	target := g.Path
	if g.RawQuery != "" {
		target += "?" + g.RawQuery
	}
	r, err := http.NewRequest(g.Method, "http://"+g.Host+target, bytes.NewReader(g.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range g.Headers {
		r.Header.Add(h[0], h[1])
	}
	return r
}

// TestSignRoundTrip signs generated requests with Sign, sends them through
// http.ReadRequest and verifies them, then checks that single-byte changes
// are rejected.
func TestSignRoundTrip(t *testing.T) {
	var signed []signedWire
	for _, g := range generate(11, 150, defaultGenOpts()) {
		r := clientRequest(t, g)
		c := Credentials{AccessKeyID: g.AKID, SecretAccessKey: g.Secret, SessionToken: g.Token}
		if err := Sign(r, PayloadHash(g.Body), c, g.Region, g.Service, genTime); err != nil {
			t.Fatalf("Sign(request %d): %v", g.ID, err)
		}
		signed = append(signed, signedWire{g: g, wire: wireFromGoClient(r, g.Body)})
	}
	checkSigned(t, signed, fixedClock(genTime))
}

func TestSignDetails(t *testing.T) {
	r, err := http.NewRequest("POST", "http://example.com/a%20b?x=1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	r.Header["x-amz-meta-lower"] = []string{"b"}
	r.Header["X-Amz-Meta-Lower"] = []string{"a"}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "old")
	r.Header.Set("User-Agent", "test")
	c := Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "tok"}
	if err := Sign(r, PayloadHash([]byte("{}")), c, "us-east-1", "lambda", handTime); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Header.Get("X-Amz-Date"), "20240101T120000Z"; got != want {
		t.Errorf("X-Amz-Date = %q, want %q", got, want)
	}
	if got := r.Header.Get("X-Amz-Security-Token"); got != "tok" {
		t.Errorf("X-Amz-Security-Token = %q", got)
	}
	if got := r.Header.Values("X-Amz-Meta-Lower"); strings.Join(got, ",") != "a,b" {
		t.Errorf("merged header values = %q, want [a b]", got)
	}
	if _, ok := r.Header["x-amz-meta-lower"]; ok {
		t.Errorf("non-canonical key kept")
	}
	authz := r.Header.Values("Authorization")
	if len(authz) != 1 || !strings.Contains(authz[0], "SignedHeaders=content-type;host;x-amz-date;x-amz-meta-lower;x-amz-security-token,") {
		t.Errorf("Authorization = %q", authz)
	}
	if err := verifyWire(t, string(wireFromGoClient(r, []byte("{}")).bytes())); err != nil {
		t.Errorf("signed request rejected: %v", err)
	}
	if s := fmt.Sprint(c) + fmt.Sprintf("%+v %#v", c, c); strings.Contains(s, testSecret) || strings.Contains(s, "tok") {
		t.Errorf("formatted credentials leak secrets: %s", s)
	}
	for _, bad := range []Credentials{{}, {AccessKeyID: "a"}, {SecretAccessKey: "s"}} {
		if err := Sign(r, "", bad, "us-east-1", "lambda", handTime); err == nil {
			t.Errorf("Sign with %v succeeded", bad)
		}
	}
	bad, _ := http.NewRequest("GET", "http://example.com/?a=%zz", nil)
	if err := Sign(bad, "", c, "us-east-1", "lambda", handTime); err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("Sign with a malformed query = %v, want an error without the secret", err)
	}
}

// TestSignMatchesGoV2 compares Sign with aws-sdk-go-v2 on requests where
// both sign the same headers: no body (the SDK signs content-length when
// there is one), only content-type and x-amz-* extra headers, a canonically
// encoded query (the SDK parses the query with url.ParseQuery, which reads
// '+' as a space and drops pairs holding ';').
func TestSignMatchesGoV2(t *testing.T) {
	o := defaultGenOpts()
	o.canonicalWire = true
	o.noBody = true
	o.headerTabs = false
	s := v4.NewSigner()
	compared := 0
	for _, g := range generate(12, 200, o) {
		var hs [][2]string
		for _, h := range g.Headers {
			if k := strings.ToLower(h[0]); k == "content-type" || strings.HasPrefix(k, "x-amz-") {
				hs = append(hs, h)
			}
		}
		g.Headers = hs
		ours, theirs := clientRequest(t, g), clientRequest(t, g)
		if err := Sign(ours, EmptyPayloadHash, Credentials{g.AKID, g.Secret, g.Token}, g.Region, g.Service, genTime); err != nil {
			t.Fatal(err)
		}
		creds := aws.Credentials{AccessKeyID: g.AKID, SecretAccessKey: g.Secret, SessionToken: g.Token}
		if err := s.SignHTTP(context.Background(), creds, theirs, EmptyPayloadHash, g.Service, g.Region, genTime); err != nil {
			t.Fatal(err)
		}
		compared++
		if got, want := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization"); got != want {
			t.Errorf("request %d (%s %s):\nSign:        %s\naws-sdk-go-v2: %s", g.ID, g.Method, ours.URL, got, want)
		}
	}
	if compared < 100 {
		t.Errorf("only %d requests compared", compared)
	}
}

func TestPresignRoundTrip(t *testing.T) {
	o := defaultGenOpts()
	o.noBody = true
	for _, g := range generate(13, 150, o) {
		r := clientRequest(t, g)
		c := Credentials{AccessKeyID: g.AKID, SecretAccessKey: g.Secret, SessionToken: g.Token}
		exp := time.Duration(g.Expires) * time.Second
		u, err := Presign(r, c, g.Region, g.Service, genTime, exp)
		if err != nil {
			t.Fatalf("Presign(request %d): %v", g.ID, err)
		}
		if r.URL.RawQuery != g.RawQuery {
			t.Fatalf("Presign modified the request")
		}
		wire := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", g.Method, u.RequestURI(), g.Host)
		rr, body := readServerRequest(t, []byte(wire))
		for _, tc := range []struct {
			now  time.Time
			want Kind
		}{
			{genTime, 0},
			{genTime.Add(exp - time.Second), 0},
			{genTime.Add(exp), KindExpired},
		} {
			err := pipeline(&Verifier{Now: fixedClock(tc.now)}, rr, body, g.Region, g.Service)
			if KindOf(err) != tc.want || (tc.want == 0 && err != nil) {
				t.Errorf("request %d at %v: %v, want kind %v\n%s", g.ID, tc.now, err, tc.want, wire)
			}
		}
		// A body breaks a presigned URL: it signs the empty payload.
		wire = fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1\r\n\r\nx", g.Method, u.RequestURI(), g.Host)
		rr, body = readServerRequest(t, []byte(wire))
		if err := pipeline(&Verifier{Now: fixedClock(genTime)}, rr, body, g.Region, g.Service); KindOf(err) != KindMismatch {
			t.Errorf("request %d with a body: %v, want KindMismatch", g.ID, err)
		}
	}
}

func TestPresignDetails(t *testing.T) {
	c := Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	r, _ := http.NewRequest("GET", "http://example.com/p?keep=1&=v&&X-Amz-Signature=old&X-Amz-Date=old#frag", nil)
	u, err := Presign(r, c, "us-east-1", "lambda", handTime, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("keep") != "1" || len(q["X-Amz-Signature"]) != 1 || q.Get("X-Amz-Date") != "20240101T120000Z" ||
		q.Get("X-Amz-Expires") != "3600" || q.Get("X-Amz-SignedHeaders") != "host" ||
		q.Get("X-Amz-Credential") != testAKID+"/20240101/us-east-1/lambda/aws4_request" || u.Fragment != "" ||
		!strings.HasPrefix(u.RawQuery, "keep=1&=v&X-Amz-Algorithm=") {
		t.Errorf("Presign = %s", u)
	}
	if strings.Contains(u.String(), testSecret) {
		t.Errorf("URL contains the secret")
	}
	for _, exp := range []time.Duration{0, -time.Second, 1500 * time.Millisecond, MaxExpires + time.Second} {
		if _, err := Presign(r, c, "us-east-1", "lambda", handTime, exp); err == nil {
			t.Errorf("Presign(expires %v) succeeded", exp)
		}
	}
	if _, err := Presign(r, Credentials{AccessKeyID: "a"}, "us-east-1", "lambda", handTime, time.Hour); err == nil {
		t.Errorf("Presign without a secret succeeded")
	}
	r.Host = "other.example.com:8080"
	u, err = Presign(r, c, "us-east-1", "lambda", handTime, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	wire := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: other.example.com:8080\r\n\r\n"
	rr, body := readServerRequest(t, []byte(wire))
	if err := pipeline(&Verifier{Now: fixedClock(handTime)}, rr, body, "us-east-1", "lambda"); err == nil {
		t.Errorf("unknown test key accepted") // genCreds does not hold testAKID
	}
	a, err := Parse(rr)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Verifier{Now: fixedClock(handTime)}).CheckSignature(rr, a, testSecret, PayloadHash(body)); err != nil {
		t.Errorf("request to r.Host rejected: %v", err)
	}
	if _, err := Presign(&http.Request{URL: &url.URL{Path: "/"}}, c, "us-east-1", "lambda", handTime, time.Hour); err == nil {
		t.Errorf("Presign without a host succeeded")
	}
}
