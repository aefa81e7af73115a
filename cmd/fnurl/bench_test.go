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
	iamURL, noneURL, creds := echoURLs(b)

	hello := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer hello.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(b *testing.B, url string, sign bool) {
		if sign {
			getURL(b, client, url, &creds)
		} else {
			getURL(b, client, url, nil)
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

// echoURLs starts a server with serveArgs and the echo function (aws-lambda-go)
// behind two function URLs, one AWS_IAM and one NONE, and returns them with
// the root credentials that may call the AWS_IAM one.
func echoURLs(b *testing.B, serveArgs ...string) (iamURL, noneURL string, creds sigv4.Credentials) {
	b.Helper()
	pkg, err := echoPackage()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	ts := startServer(b, dir, nil, serveArgs...)
	id, secret := rootCreds(b, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(b, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("echo"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: pkg}}))
	iamURL = aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		AuthType: types.FunctionUrlAuthTypeAwsIam})).FunctionUrl)
	must(lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("echo"), Name: aws.String("open"), FunctionVersion: aws.String("$LATEST")}))
	noneURL = aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		Qualifier: aws.String("open"), AuthType: types.FunctionUrlAuthTypeNone})).FunctionUrl)
	must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("echo"), Qualifier: aws.String("open"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}))
	return iamURL, noneURL, sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
}

// getURL sends one GET to url, signed with creds unless they are nil, and
// fails b unless the answer is 200.
func getURL(b testing.TB, client *http.Client, url string, creds *sigv4.Credentials) {
	req, _ := http.NewRequest("GET", url, nil)
	if creds != nil {
		if err := sigv4.Sign(req, "", *creds, "us-east-1", "lambda", time.Now()); err != nil {
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

// BenchmarkAuditOverhead measures what the audit trail costs an authorized
// invocation: two servers in this process, one with the audit trail on (the
// default) and one with --audit off, each with the echo function behind an
// AWS_IAM function URL called with signed requests at concurrency 16. The
// servers are measured in alternating rounds (off, on, on, off, …) of b.N/10
// requests each, after a warm-up round that fills both warm pools. It
// reports the median over rounds of audited÷unaudited throughput
// (on/off-throughput; 0.9 would mean audited invocations are 10% slower) and
// each mode's p50 latency.
func BenchmarkAuditOverhead(b *testing.B) {
	onURL, _, onCreds := echoURLs(b)
	offURL, _, offCreds := echoURLs(b, "--audit", "off")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const c, rounds = 16, 10
	n := max(c, b.N/rounds)
	// phase sends n signed requests from c goroutines and returns how long
	// they took and their latencies.
	phase := func(url string, creds sigv4.Credentials) (time.Duration, []time.Duration) {
		var next atomic.Int64
		lat := make([]time.Duration, n)
		var wg sync.WaitGroup
		start := time.Now()
		for range c {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
					t := time.Now()
					getURL(b, client, url, &creds)
					lat[i] = time.Since(t)
				}
			})
		}
		wg.Wait()
		return time.Since(start), lat
	}
	phase(onURL, onCreds)
	phase(offURL, offCreds)
	b.ResetTimer()
	var ratios []float64
	var onLat, offLat []time.Duration
	for r := range rounds {
		var on, off time.Duration
		var l []time.Duration
		if r%2 == 0 {
			off, l = phase(offURL, offCreds)
			offLat = append(offLat, l...)
			on, l = phase(onURL, onCreds)
			onLat = append(onLat, l...)
		} else {
			on, l = phase(onURL, onCreds)
			onLat = append(onLat, l...)
			off, l = phase(offURL, offCreds)
			offLat = append(offLat, l...)
		}
		ratios = append(ratios, off.Seconds()/on.Seconds())
	}
	b.StopTimer()
	slices.Sort(ratios)
	slices.Sort(onLat)
	slices.Sort(offLat)
	b.ReportMetric(ratios[len(ratios)/2], "on/off-throughput")
	b.ReportMetric(float64(onLat[len(onLat)/2].Microseconds()), "on-p50-µs")
	b.ReportMetric(float64(offLat[len(offLat)/2].Microseconds()), "off-p50-µs")
	b.ReportMetric(float64(2*n*rounds)/b.Elapsed().Seconds(), "req/s")
}
