package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// echoPackage and streamPackage build the aws-lambda-go test functions as
// bootstraps and zip them, once per test run.
var (
	echoPackage   = sync.OnceValues(func() ([]byte, error) { return goFunctionPackage("echo") })
	streamPackage = sync.OnceValues(func() ([]byte, error) { return goFunctionPackage("stream") })
)

func goFunctionPackage(name string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "fnurl-fn-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "../../internal/testfunctions/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the %s function: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	w.Write(b)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type echoed struct {
	Event        map[string]any `json:"event"`
	AwsRequestID string         `json:"awsRequestId"`
}

// call sends a request to the URL (signed by root when sign is set) and
// decodes the echoed event.
func callEcho(t *testing.T, method, url string, header http.Header, body []byte, sign bool, id, secret string) (echoed, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if sign {
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req,
			hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	var e echoed
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("echo %s: %v", b, err)
	}
	return e, resp
}

// TestEventFidelity deploys an aws-lambda-go function that echoes its
// LambdaFunctionURLRequest and checks every field for both auth types.
func TestEventFidelity(t *testing.T) {
	pkg, err := echoPackage()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	account := accountOf(t, ts, id, secret)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	for _, name := range []string{"echo-iam", "echo-none"} {
		must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: pkg}}))
	}
	iamURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo-iam"),
		AuthType: types.FunctionUrlAuthTypeAwsIam})).FunctionUrl)
	noneURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo-none"),
		AuthType: types.FunctionUrlAuthTypeNone})).FunctionUrl)
	must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("echo-none"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}))

	h := http.Header{}
	h.Add("X-Multi", "one")
	h.Add("X-Multi", "two")
	h.Add("Cookie", "a=1; b=2")
	h.Set("User-Agent", "fnurl-test/1")
	e, resp := callEcho(t, "GET", iamURL+"some/path%20x?q=1&q=2&s=%2Fslash", h, nil, true, id, secret)
	ev := e.Event
	rc := ev["requestContext"].(map[string]any)
	hd := ev["headers"].(map[string]any)
	iamAuth, _ := rc["authorizer"].(map[string]any)["iam"].(map[string]any)
	urlID := strings.Split(iamURL, "/")[4]
	checks := []struct {
		what      string
		got, want any
	}{
		{"version", ev["version"], "2.0"},
		{"rawPath", ev["rawPath"], "/some/path%20x"},
		{"rawQueryString", ev["rawQueryString"], "q=1&q=2&s=%2Fslash"},
		{"queryStringParameters", ev["queryStringParameters"], map[string]any{"q": "1,2", "s": "/slash"}},
		{"cookies", ev["cookies"], []any{"a=1", "b=2"}},
		{"repeated header", hd["x-multi"], "one,two"},
		{"authorization stripped", hd["authorization"], nil},
		{"user agent", rc["http"].(map[string]any)["userAgent"], "fnurl-test/1"},
		{"method", rc["http"].(map[string]any)["method"], "GET"},
		{"http.path", rc["http"].(map[string]any)["path"], "/some/path%20x"},
		{"apiId", rc["apiId"], urlID},
		{"domainPrefix", rc["domainPrefix"], urlID},
		{"accountId", rc["accountId"], account},
		{"iam.userArn", iamAuth["userArn"], "arn:aws:iam::" + account + ":root"},
		{"iam.accessKey", iamAuth["accessKey"], id},
		{"iam.accountId", iamAuth["accountId"], account},
		{"body absent", ev["body"], nil},
		{"isBase64Encoded", ev["isBase64Encoded"], false},
		{"request ID is the invocation ID", rc["requestId"], resp.Header.Get("x-amzn-RequestId")},
		{"awsRequestId", e.AwsRequestID, resp.Header.Get("x-amzn-RequestId")},
		{"response cookie", resp.Header.Get("Set-Cookie"), "echoed=1; Path=/"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("AWS_IAM GET %s = %v, want %v", c.what, c.got, c.want)
		}
	}

	// POST with a text body and with a binary body, to the NONE URL.
	th := http.Header{}
	th.Set("Content-Type", "text/plain; charset=utf-8")
	th.Set("Authorization", "Basic dXNlcjpwYXNz")
	e, _ = callEcho(t, "POST", noneURL, th, []byte("hello text"), false, "", "")
	ev = e.Event
	rc = ev["requestContext"].(map[string]any)
	if ev["body"] != "hello text" || ev["isBase64Encoded"] != false || rc["accountId"] != "anonymous" || rc["authorizer"] != nil ||
		ev["headers"].(map[string]any)["authorization"] != "Basic dXNlcjpwYXNz" {
		t.Errorf("NONE text POST event: %v", ev)
	}
	bh := http.Header{}
	bh.Set("Content-Type", "application/octet-stream")
	bin := []byte{0, 1, 2, 0xfe, 0xff}
	e, _ = callEcho(t, "POST", noneURL, bh, bin, false, "", "")
	if e.Event["isBase64Encoded"] != true || e.Event["body"] != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary POST: body %v base64 %v", e.Event["body"], e.Event["isBase64Encoded"])
	}
}

// TestStreamingURL checks that a RESPONSE_STREAM URL delivers the first
// chunk before the function finishes.
func TestStreamingURL(t *testing.T) {
	pkg, err := streamPackage()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("stream"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: role.Arn, Timeout: aws.Int32(10), Code: &types.FunctionCode{ZipFile: pkg}}))
	url := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("stream"),
		AuthType: types.FunctionUrlAuthTypeAwsIam, InvokeMode: types.InvokeModeResponseStream})).FunctionUrl)

	req, _ := http.NewRequest("GET", url+"?wait=1500ms", nil)
	sum := sha256.Sum256(nil)
	v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now())
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Streamed") != "yes" {
		t.Errorf("status %d, headers %v; want the prelude's 202 and headers\n%s", resp.StatusCode, resp.Header, ts.stderr)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
		t.Fatalf("first chunk %q, %v", buf, err)
	}
	firstAt := time.Since(start)
	rest, _ := io.ReadAll(resp.Body)
	allAt := time.Since(start)
	if string(rest) != "second\n" {
		t.Errorf("rest of the stream = %q", rest)
	}
	// The function waits 1.5 s between chunks: the first must arrive well
	// before the end.
	if allAt-firstAt < time.Second {
		t.Errorf("first chunk at %v, end at %v: the response was not streamed", firstAt, allAt)
	}

	// A warm streamed invocation counts the server's time before the
	// event, not after the answer: the response outlives it. (The first
	// environment returns to the pool just after its stream ends, so the
	// next request may still start another: stream until one is warm.)
	var scrape string
	for i := 0; ; i++ {
		req, _ = http.NewRequest("GET", url+"?wait=1ms", nil)
		v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now())
		resp2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(resp2.Body); string(b) != "first\nsecond\n" {
			t.Errorf("stream %d = %q", i, b)
		}
		resp2.Body.Close()
		scrape = waitMetrics(t, ts.Endpoint, []metricCheck{
			{"fnurl_request_duration_seconds_count", []string{`service="lambda-url"`}, float64(i + 2)},
		})
		if metricValue(t, scrape, "fnurl_invocations_total", `function="stream"`, `start="warm"`) > 0 || i == 9 {
			break
		}
	}
	warm := metricValue(t, scrape, "fnurl_invocations_total", `function="stream"`, `start="warm"`)
	if warm == 0 {
		t.Fatal("no warm streamed invocation in 10")
	}
	if got := metricValue(t, scrape, "fnurl_invocation_overhead_seconds_count", `phase="request"`); got != warm {
		t.Errorf("request phases observed: %v, want %v (the warm invocations)", got, warm)
	}
	if got := metricValue(t, scrape, "fnurl_invocation_overhead_seconds_count", `phase="response"`); got != 0 {
		t.Errorf("response phases observed for streams: %v, want 0", got)
	}
}
