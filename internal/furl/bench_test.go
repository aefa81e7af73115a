package furl

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// benchRequest is a signed GET as a browser-like SDK client sends it to an
// AWS_IAM function URL, with a query string.
func benchRequest() *Request {
	h := http.Header{}
	h.Set("User-Agent", "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64")
	h.Set("Accept", "application/json")
	h.Set("Accept-Encoding", "gzip")
	h.Set("X-Amz-Date", "20260101T120000Z")
	h.Set("X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	h.Set("Cookie", "session=abc; theme=dark")
	return &Request{Method: "GET", RawPath: "/items/42", RawQuery: "verbose=1&tag=a&tag=b", Header: h,
		Host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost:8686", RemoteAddr: "127.0.0.1:54321",
		URLID: "abcdefghijklmnopqrstuvwxyz012345", RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", Time: time.Unix(1767268800, 0),
		IAM: &IAMAuthorizer{AccessKey: "AKIAIOSFODNN7EXAMPLE", AccountID: "111122223333", CallerID: "AIDAEXAMPLE",
			UserArn: "arn:aws:iam::111122223333:user/bench", UserID: "AIDAEXAMPLE"}}
}

// BenchmarkBuildEvent measures the payload format 2.0 event of a signed
// GET (headers, cookies, query string, IAM authorizer) and of a POST with a
// 1 KB JSON body.
func BenchmarkBuildEvent(b *testing.B) {
	b.Run("get", func(b *testing.B) {
		r := benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := BuildEvent(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("post-1KB-json", func(b *testing.B) {
		r := benchRequest()
		r.Method, r.RawQuery = "POST", ""
		r.Header.Set("Content-Type", "application/json")
		r.Body = []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"widget \"deluxe\""},`, 25) + `{}]}`)
		b.SetBytes(int64(len(r.Body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := BuildEvent(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMapResponse measures the mapping of a function's result to the
// HTTP response: a structured response like the echo function's (headers,
// a cookie and a 1.5 KB JSON body in a string), and a plain JSON object.
func BenchmarkMapResponse(b *testing.B) {
	event, err := BuildEvent(benchRequest())
	if err != nil {
		b.Fatal(err)
	}
	structured, _ := json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"Content-Type": "application/json"},
		"cookies": []string{"echoed=1; Path=/"}, "body": string(event)})
	for _, bc := range []struct {
		name    string
		payload []byte
	}{
		{"structured", structured},
		{"plain-object", []byte(`{"message":"hello","count":3,"tags":["a","b"]}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := MapResponse(bc.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
