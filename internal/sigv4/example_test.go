package sigv4_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// A server verifies a request in this order: Parse, route by service,
// CheckScope, CheckTime, look up the secret, CheckSignature.
func Example() {
	// A client signs a request...
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"hello":"world"}`)
	req, _ := http.NewRequest("POST", "https://abc123.lambda-url.us-east-1.on.aws/orders?id=7", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	creds := sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	if err := sigv4.Sign(req, sigv4.PayloadHash(body), creds, "us-east-1", "lambda", now); err != nil {
		panic(err)
	}
	var wire bytes.Buffer
	req.Write(&wire)

	// ...and the server receives it.
	r, _ := http.ReadRequest(bufio.NewReader(&wire))
	received, _ := io.ReadAll(r.Body)

	v := &sigv4.Verifier{Now: func() time.Time { return now.Add(2 * time.Minute) }, MaxSkew: 5 * time.Minute}
	a, err := sigv4.Parse(r)
	if err != nil {
		fmt.Println("parse:", err)
		return
	}
	if err := a.CheckScope("us-east-1", "lambda"); err != nil {
		fmt.Println("scope:", err)
		return
	}
	if err := v.CheckTime(a); err != nil {
		fmt.Println("time:", err)
		return
	}
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" // looked up by a.AccessKeyID
	if err := v.CheckSignature(r, a, secret, sigv4.PayloadHash(received)); err != nil {
		fmt.Println("signature:", err)
		return
	}
	fmt.Println("verified", a.AccessKeyID, "for", a.Service, "signing", strings.Join(a.SignedHeaders, ";"))

	// A tampered body fails.
	err = v.CheckSignature(r, a, secret, sigv4.PayloadHash([]byte(`{"hello":"mallory"}`)))
	fmt.Println(sigv4.KindOf(err) == sigv4.KindMismatch)
	// Output:
	// verified AKIAIOSFODNN7EXAMPLE for lambda signing content-type;host;x-amz-date
	// true
}
