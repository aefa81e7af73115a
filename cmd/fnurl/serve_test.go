package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// testServer is a fnurl server started in-process through run, as the
// command line would start it.
type testServer struct {
	Endpoint string
	DataDir  string
	cancel   context.CancelFunc
	done     chan error
	stderr   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's log writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var endpointRE = regexp.MustCompile(`at (https?://127\.0\.0\.1:\d+)`)

// startServer runs "fnurl serve" with the given environment on a free port
// and waits until it listens.
func startServer(t testing.TB, dataDir string, env map[string]string, extraArgs ...string) *testServer {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	ts := &testServer{DataDir: dataDir, cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, extraArgs...)
	go func() {
		err := run(ctx, args, getenv, pw, ts.stderr)
		pw.CloseWithError(errors.New("server stopped"))
		ts.done <- err
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := endpointRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case ts.Endpoint = <-found:
	case err := <-ts.done:
		t.Fatalf("server exited before listening: %v\n%s", err, ts.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start\n%s", ts.stderr)
	}
	t.Cleanup(func() { ts.Stop(t) })
	return ts
}

// Stop shuts the server down and checks that it exited cleanly.
func (ts *testServer) Stop(t testing.TB) {
	t.Helper()
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("server exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("server did not stop")
	}
}

// rootCreds reads the generated credentials file.
func rootCreds(t testing.TB, dataDir string) (id, secret string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no credentials in file:\n%s", b)
	}
	return id, secret
}

// requireTool skips the test when a program is missing, unless
// FNURL_TEST_REQUIRE_TOOLS=1, where a missing tool is a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required (FNURL_TEST_REQUIRE_TOOLS=1) but not found", name)
		}
		t.Skipf("%s not found; install it or run scripts/test", name)
	}
	return p
}

// awsCLI runs the aws CLI with only the given environment (plus PATH and
// HOME pointing nowhere useful) and returns stdout, stderr and the error.
func awsCLI(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	aws := requireTool(t, "aws")
	cmd := exec.Command(aws, args...)
	home := t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard"}, env...)
	if pyenv := os.Getenv("PYENV_ROOT"); pyenv != "" {
		cmd.Env = append(cmd.Env, "PYENV_ROOT="+pyenv)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func TestAWSCLIGetCallerIdentity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)

	// The generated credentials file is private.
	fi, err := os.Stat(filepath.Join(dir, "credentials"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v", err, fi.Mode().Perm())
	}

	// As the banner says: point the CLI at the data directory's files.
	out, errOut, err := awsCLI(t, []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
	}, "sts", "get-caller-identity", "--output", "json")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s\nserver log:\n%s", err, errOut, ts.stderr)
	}
	var ident struct{ UserId, Account, Arn string }
	if err := json.Unmarshal([]byte(out), &ident); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if len(ident.Account) != 12 || ident.Arn != "arn:aws:iam::"+ident.Account+":root" || ident.UserId != ident.Account {
		t.Errorf("caller identity = %+v", ident)
	}

	tests := []struct {
		name     string
		env      []string
		wantCode string
	}{
		{"endpoint flag", []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret}, ""},
		{"endpoint env", []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_ENDPOINT_URL=" + ts.Endpoint}, ""},
		{"wrong secret", []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + strings.Repeat("x", 40)}, "SignatureDoesNotMatch"},
		{"unknown key", []string{"AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000", "AWS_SECRET_ACCESS_KEY=" + secret}, "InvalidClientTokenId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"sts", "get-caller-identity", "--region", "us-east-1", "--output", "json"}
			if !strings.Contains(strings.Join(tt.env, " "), "AWS_ENDPOINT_URL") {
				args = append(args, "--endpoint-url", ts.Endpoint)
			}
			out, errOut, err := awsCLI(t, tt.env, args...)
			if tt.wantCode == "" {
				if err != nil || !strings.Contains(out, ident.Arn) {
					t.Fatalf("want success, got %v\n%s%s", err, out, errOut)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %s, command succeeded: %s", tt.wantCode, out)
			}
			if !strings.Contains(errOut, "("+tt.wantCode+")") {
				t.Errorf("stderr %q does not name %s", errOut, tt.wantCode)
			}
		})
	}
}

func TestBoto3GetCallerIdentity(t *testing.T) {
	t.Parallel()
	py := requireTool(t, "python3")
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			t.Fatal("boto3 is required but cannot be imported")
		}
		t.Skip("boto3 not installed")
	}
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	script := `
import json, sys, boto3, botocore.exceptions
endpoint, key, secret = sys.argv[1:4]
out = {}
for name, k, s in [("ok", key, secret), ("wrong", key, "y" * 40), ("unknown", "AKIAUNKNOWNKEY000000", secret)]:
    c = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id=k, aws_secret_access_key=s)
    try:
        r = c.get_caller_identity()
        out[name] = {"Arn": r["Arn"], "Account": r["Account"], "UserId": r["UserId"]}
    except botocore.exceptions.ClientError as e:
        out[name] = {"Code": e.response["Error"]["Code"], "Status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                     "RequestId": e.response["ResponseMetadata"].get("RequestId", "")}
print(json.dumps(out))
`
	cmd := exec.Command(py, "-c", script, ts.Endpoint, id, secret)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if arn, _ := got["ok"]["Arn"].(string); !strings.HasSuffix(arn, ":root") {
		t.Errorf("ok: %v", got["ok"])
	}
	for name, want := range map[string]string{"wrong": "SignatureDoesNotMatch", "unknown": "InvalidClientTokenId"} {
		if got[name]["Code"] != want || got[name]["Status"] != float64(403) || got[name]["RequestId"] == "" {
			t.Errorf("%s: got %v, want %s 403 with a request ID", name, got[name], want)
		}
	}
}

func TestSDKGetCallerIdentity(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	client := func(id, secret string) *sts.Client {
		return sts.New(sts.Options{
			Region:           "us-east-1",
			BaseEndpoint:     aws.String(ts.Endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
			RetryMaxAttempts: 1,
		})
	}
	ctx := context.Background()
	out, err := client(id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != "arn:aws:iam::"+aws.ToString(out.Account)+":root" {
		t.Errorf("Arn = %s", aws.ToString(out.Arn))
	}
	_, err = client(id, strings.Repeat("z", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %v", err)
	}
	_, err = client("AKIAUNKNOWNKEY000000", secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestCurlGetForm(t *testing.T) {
	curl := requireTool(t, "curl")
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	out, err := exec.Command(curl, "-sS", "--aws-sigv4", "aws:amz:us-east-1:sts", "--user", id+":"+secret,
		ts.Endpoint+"/?Action=GetCallerIdentity&Version=2011-06-15").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	var resp struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if err := xml.Unmarshal(out, &resp); err != nil || !strings.HasSuffix(resp.Arn, ":root") {
		t.Errorf("curl GET form: %v\n%s", err, out)
	}
}

func TestUnsignedAndMalformed(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantCode   string
		json       bool
	}{
		{"sts get unsigned", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", nil, "", 403, "MissingAuthenticationToken", false},
		{"sts post unsigned", "POST", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=GetCallerIdentity&Version=2011-06-15", 403, "MissingAuthenticationToken", false},
		{"iam post unsigned", "POST", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=ListUsers&Version=2010-05-08", 403, "MissingAuthenticationToken", false},
		{"lambda unsigned", "GET", "/2015-03-31/functions", nil, "", 403, "MissingAuthenticationTokenException", true},
		{"malformed header", "GET", "/?Action=GetCallerIdentity", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKIA"}, "", 400, "IncompleteSignature", false},
		{"malformed lambda", "GET", "/2015-03-31/functions", map[string]string{"Authorization": "AWS4-HMAC-SHA256 garbage"}, "", 400, "IncompleteSignatureException", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.Endpoint+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId header")
			}
			if tt.json {
				if got := resp.Header.Get("x-amzn-ErrorType"); got != tt.wantCode {
					t.Errorf("x-amzn-ErrorType = %q, want %q", got, tt.wantCode)
				}
				return
			}
			var e struct {
				Code      string `xml:"Error>Code"`
				RequestID string `xml:"RequestId"`
			}
			if err := xml.Unmarshal(body, &e); err != nil || e.Code != tt.wantCode || e.RequestID != resp.Header.Get("x-amzn-RequestId") {
				t.Errorf("body %s: %+v, %v; want code %s", body, e, err, tt.wantCode)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	body := "Action=GetCallerIdentity&Pad=" + strings.Repeat("a", 1<<20)
	resp, err := http.Post(ts.Endpoint+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "RequestEntityTooLarge") {
		t.Errorf("oversized body: %d %s", resp.StatusCode, b)
	}
}

func TestRestartKeepsAccountAndCredentials(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	account1 := callerAccount(t, ts.Endpoint, id, secret)
	ts.Stop(t)

	ts2 := startServer(t, dir, nil)
	id2, secret2 := rootCreds(t, dir)
	if id2 != id || secret2 != secret {
		t.Fatal("credentials file changed across restarts")
	}
	if account2 := callerAccount(t, ts2.Endpoint, id, secret); account2 != account1 {
		t.Errorf("account changed across restarts: %s -> %s", account1, account2)
	}
	ts2.Stop(t) // writes out what its log buffers
	if strings.Contains(ts.stderr.String()+ts2.stderr.String(), secret) {
		t.Error("the secret access key appears in the server log")
	}
}

func TestConfiguredRootCredentials(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"FNURL_ROOT_ACCESS_KEY_ID":     "AKIAFNURLTESTROOT001",
		"FNURL_ROOT_SECRET_ACCESS_KEY": "fnurlTestRootSecret0123456789abcdefghijk",
		"FNURL_ACCOUNT_ID":             "111122223333",
		"FNURL_MASTER_KEY":             strings.Repeat("ab", 32),
	}
	ts := startServer(t, dir, env)
	if got := callerAccount(t, ts.Endpoint, env["FNURL_ROOT_ACCESS_KEY_ID"], env["FNURL_ROOT_SECRET_ACCESS_KEY"]); got != "111122223333" {
		t.Errorf("account = %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "credentials")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("credentials file written although credentials were configured: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("master key file written although FNURL_MASTER_KEY was set: %v", err)
	}
	ts.Stop(t)

	// Another master key does not open this data directory.
	env["FNURL_MASTER_KEY"] = strings.Repeat("cd", 32)
	err := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir},
		func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "master key does not match") {
		t.Errorf("wrong master key: %v", err)
	}
}

// callerAccount calls GetCallerIdentity with the SDK and returns the account.
func callerAccount(t *testing.T, endpoint, id, secret string) string {
	t.Helper()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Account)
}

// TestGracefulShutdown sends half of a signed request, asks the server to
// stop, then sends the rest: the request in flight must still be answered.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)

	body := "Action=GetCallerIdentity&Version=2011-06-15"
	req, _ := http.NewRequest("POST", ts.Endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	signer := v4.NewSigner()
	if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.Host, len(body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&raw, "%s: %s\r\n", k, v)
		}
	}
	raw.WriteString("\r\n")

	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(raw.Bytes())
	conn.Write([]byte(body[:10]))
	time.Sleep(100 * time.Millisecond) // let the server start reading the body

	ts.cancel()
	ts.cancel = nil
	time.Sleep(200 * time.Millisecond) // shutdown has begun; the listener is closed
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(ts.Endpoint, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("server still accepts new connections during shutdown")
	}
	conn.Write([]byte(body[10:]))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), ":root") {
		t.Errorf("in-flight request: %d %s", resp.StatusCode, b)
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("server exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("server did not exit after the last request")
	}
}

func TestServeFlagsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--region", "US East"}, "region"},
		{[]string{"serve", "--shutdown-timeout", "soon"}, "shutdown timeout"},
		{[]string{"serve", "--max-environments", "0"}, "--max-environments"},
		{[]string{"serve", "--max-environments", "many"}, "--max-environments"},
		{[]string{"serve", "--log-format", "xml", "--data-dir", "DIR"}, "log format"},
		{[]string{"serve", "extra"}, "unexpected arguments"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, tt := range tests {
		for i, a := range tt.args {
			if a == "DIR" {
				tt.args[i] = t.TempDir()
			}
		}
		err := run(context.Background(), tt.args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestREADMEDocumentsEveryFlag keeps the README's configuration table true.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var help bytes.Buffer
	run(context.Background(), []string{"help", "serve"}, func(string) string { return "" }, &help, &help)
	names := regexp.MustCompile(`(?m)^\s+-([a-z-]+)|\b(FNURL_[A-Z_]+)\b`).FindAllStringSubmatch(help.String(), -1)
	if len(names) < 10 {
		t.Fatalf("help lists too few settings:\n%s", help.String())
	}
	for _, m := range names {
		name := m[2]
		if m[1] != "" {
			name = "--" + m[1]
		}
		if !bytes.Contains(readme, []byte(name)) {
			t.Errorf("README.md does not document %s", name)
		}
	}
}
