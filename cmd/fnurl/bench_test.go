package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/fnurl/fnurl/internal/sigv4"
	"github.com/fnurl/fnurl/internal/store/pgtest"
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
func BenchmarkIAMAPI(b *testing.B) { benchIAMAPI(b) }

// BenchmarkIAMAPIPostgres is BenchmarkIAMAPI with the PostgreSQL store.
func BenchmarkIAMAPIPostgres(b *testing.B) { benchIAMAPI(b, "--store", pgtest.URL(b)) }

func benchIAMAPI(b *testing.B, serveArgs ...string) {
	dir := b.TempDir()
	ts := startServer(b, dir, nil, serveArgs...)
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

// BenchmarkFunctionURL measures requests through function URLs to a warm Go
// function (aws-lambda-go) — signed and authorized (AWS_IAM) and
// unauthenticated (NONE) — beside a plain net/http hello server in the
// same run, at concurrency 1 and 16. Compare ns/op across the three.
func BenchmarkFunctionURL(b *testing.B) {
	pkg, err := echoPackage()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	ts := startServer(b, dir, nil)
	id, secret := rootCreds(b, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(b, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("echo"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: pkg}}))
	iamURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		AuthType: types.FunctionUrlAuthTypeAwsIam})).FunctionUrl)
	must(lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("echo"), Name: aws.String("open"), FunctionVersion: aws.String("$LATEST")}))
	noneURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		Qualifier: aws.String("open"), AuthType: types.FunctionUrlAuthTypeNone})).FunctionUrl)
	must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("echo"), Qualifier: aws.String("open"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}))

	hello := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer hello.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	creds := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	get := func(b *testing.B, url string, sign bool) {
		req, _ := http.NewRequest("GET", url, nil)
		if sign {
			if err := sigv4.Sign(req, "", creds, "us-east-1", "lambda", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", url, resp.StatusCode)
		}
	}
	// timed runs op and reports requests per second and the p50 and p99
	// latencies besides ns/op.
	timed := func(c int, op func(*testing.B)) func(*testing.B) {
		return func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			concurrently(b, c, func(b *testing.B) {
				start := time.Now()
				op(b)
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		}
	}
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("net-http-hello/c=%d", c), timed(c, func(b *testing.B) { get(b, hello.URL, false) }))
		b.Run(fmt.Sprintf("url-none/c=%d", c), timed(c, func(b *testing.B) { get(b, noneURL, false) }))
		b.Run(fmt.Sprintf("url-aws-iam/c=%d", c), timed(c, func(b *testing.B) { get(b, iamURL, true) }))
	}
}
