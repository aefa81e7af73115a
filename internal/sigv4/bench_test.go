package sigv4

import (
	"strings"
	"testing"
)

// benchRequest is a realistic function-URL POST: six signed headers, a
// session token, a small JSON body and a short query.
func benchRequest(b *testing.B) (wire []byte, body []byte) {
	b.Helper()
	body = []byte(`{"orderId":"12345","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"note":"deliver after 5pm"}`)
	g := genReq{
		Method: "POST", Host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
		Path: "/orders/12345", RawQuery: "dryRun=false&source=web",
		Headers: [][2]string{
			{"Content-Type", "application/json"},
			{"X-Amz-Content-Sha256", PayloadHash(body)},
			{"User-Agent", "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26"},
			{"Accept", "application/json"},
			{"X-Amz-Target", "Orders.Create"},
		},
		Body: body, Region: "us-east-1", Service: "lambda",
		AKID: "ASIAQWERTYUIOPASDFGH", Secret: genCreds["ASIAQWERTYUIOPASDFGH"], Token: genToken,
	}
	r := clientRequest(b, g)
	r.ContentLength = int64(len(body))
	if err := Sign(r, PayloadHash(body), Credentials{g.AKID, g.Secret, g.Token}, g.Region, g.Service, genTime); err != nil {
		b.Fatal(err)
	}
	authz := r.Header.Get("Authorization")
	if !strings.Contains(authz, "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target,") {
		b.Fatalf("unexpected signed headers: %s", authz)
	}
	wire = wireFromGoClient(r, body).bytes()
	return wire, body
}

func BenchmarkVerify(b *testing.B) {
	wire, body := benchRequest(b)
	r, _ := readServerRequest(b, wire)
	hash := PayloadHash(body)
	v := &Verifier{Now: fixedClock(genTime)}
	secret := genCreds["ASIAQWERTYUIOPASDFGH"]
	verify := func() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.CheckScope("us-east-1", "lambda"); err != nil {
			b.Fatal(err)
		}
		if err := v.CheckTime(a); err != nil {
			b.Fatal(err)
		}
		if err := v.CheckSignature(r, a, secret, hash); err != nil {
			b.Fatal(err)
		}
	}
	verify() // warm the key cache
	b.ReportAllocs()
	for b.Loop() {
		verify()
	}
}

func BenchmarkVerifyColdKey(b *testing.B) {
	wire, body := benchRequest(b)
	r, _ := readServerRequest(b, wire)
	hash := PayloadHash(body)
	secret := genCreds["ASIAQWERTYUIOPASDFGH"]
	b.ReportAllocs()
	for b.Loop() {
		v := &Verifier{Now: fixedClock(genTime)} // empty key cache
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.CheckScope("us-east-1", "lambda"); err != nil {
			b.Fatal(err)
		}
		if err := v.CheckTime(a); err != nil {
			b.Fatal(err)
		}
		if err := v.CheckSignature(r, a, secret, hash); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMismatch measures a request whose signature is wrong and
// whose path needs the normalised retry: the most work an attacker can
// cause per request.
func BenchmarkVerifyMismatch(b *testing.B) {
	wire, body := benchRequest(b)
	s := strings.Replace(string(wire), "/orders/12345", "/orders/./12345", 1)
	i := strings.Index(s, "Signature=") + len("Signature=")
	s = s[:i] + "0000" + s[i+4:]
	r, _ := readServerRequest(b, []byte(s))
	hash := PayloadHash(body)
	v := &Verifier{Now: fixedClock(genTime)}
	secret := genCreds["ASIAQWERTYUIOPASDFGH"]
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.CheckSignature(r, a, secret, hash); KindOf(err) != KindMismatch {
			b.Fatal(err)
		}
	}
}

func BenchmarkPayloadHash(b *testing.B) {
	for _, n := range []struct {
		name string
		size int
	}{{"1KB", 1 << 10}, {"6MB", 6 << 20}} {
		b.Run(n.name, func(b *testing.B) {
			body := make([]byte, n.size)
			for i := range body {
				body[i] = byte(i)
			}
			b.SetBytes(int64(n.size))
			b.ReportAllocs()
			for b.Loop() {
				PayloadHash(body)
			}
		})
	}
}
