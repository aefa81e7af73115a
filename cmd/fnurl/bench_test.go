package main

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// signedPost sends one signed query-protocol request and fails b unless the
// answer is 200.
func signedPost(b *testing.B, client *http.Client, endpoint, service, body string, c sigv4.Credentials) {
	req, _ := http.NewRequest("POST", endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(req, sigv4.PayloadHash([]byte(body)), c, "us-east-1", service, time.Now()); err != nil {
		b.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d %s", body, resp.StatusCode, out)
	}
}

// BenchmarkIAMAPI measures IAM API calls per second through the whole server
// (SigV4 verification, authorization, SQLite) with a raw signing client, at
// concurrency 1 and 16: a read (GetUser) and a write pair (CreateUser then
// DeleteUser, two calls per op).
func BenchmarkIAMAPI(b *testing.B) {
	dir := b.TempDir()
	ts := startServer(b, dir, nil)
	id, secret := rootCreds(b, dir)
	creds := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	signedPost(b, client, ts.Endpoint, "iam", "Action=CreateUser&Version=2010-05-08&UserName=bench", creds)
	var seq atomic.Int64
	getUser := func(b *testing.B) {
		signedPost(b, client, ts.Endpoint, "iam", "Action=GetUser&Version=2010-05-08&UserName=bench", creds)
	}
	createDelete := func(b *testing.B) {
		name := fmt.Sprintf("u%d", seq.Add(1))
		signedPost(b, client, ts.Endpoint, "iam", "Action=CreateUser&Version=2010-05-08&UserName="+name, creds)
		signedPost(b, client, ts.Endpoint, "iam", "Action=DeleteUser&Version=2010-05-08&UserName="+name, creds)
	}
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("GetUser/c=%d", c), func(b *testing.B) {
			concurrently(b, c, getUser)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
		b.Run(fmt.Sprintf("CreateDeleteUser/c=%d", c), func(b *testing.B) {
			concurrently(b, c, createDelete)
			b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// concurrently runs op b.N times from c goroutines.
func concurrently(b *testing.B, c int, op func(*testing.B)) {
	if c == 1 {
		for b.Loop() {
			op(b)
		}
		return
	}
	b.SetParallelism(max(1, c/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op(b)
		}
	})
}
