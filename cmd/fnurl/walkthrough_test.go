package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// signedResult is what one client got.
type signedResult struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// signers call a function URL with SigV4 through each independent client:
// aws-sdk-go-v2's signer, curl --aws-sigv4, the npm aws4 package (Postman's
// signer) and botocore.
func callWithEverySigner(t *testing.T, url, id, secret, token string) map[string]signedResult {
	t.Helper()
	out := map[string]signedResult{}
	status, body, _ := sdkCall(t, "GET", url, "", id, secret, token)
	out["aws-sdk-go-v2"] = signedResult{status, body}

	curl := requireTool(t, "curl")
	args := []string{"-s", "-w", "\n%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:lambda", "--user", id + ":" + secret}
	if token != "" {
		args = append(args, "-H", "x-amz-security-token: "+token)
	}
	b, err := exec.Command(curl, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	i := strings.LastIndexByte(string(b), '\n')
	code := 0
	json.Unmarshal(b[i+1:], &code)
	out["curl"] = signedResult{code, string(b[:i])}

	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN="+token)
	node := requireTool(t, "node")
	modules, _ := filepath.Abs("../../testtools/node_modules")
	if _, err := os.Stat(filepath.Join(modules, "aws4")); err != nil {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			t.Fatal("npm aws4 is not installed in testtools/ (run scripts/test)")
		}
		t.Skip("npm aws4 not installed; run scripts/test")
	}
	cmd := exec.Command(node, "testdata/aws4_call.mjs", "GET", url, "us-east-1")
	cmd.Env = append(env, "FNURL_NODE_MODULES="+modules)
	out["aws4"] = runSigner(t, cmd)

	py := requireTool(t, "python3")
	cmd = exec.Command(py, "testdata/botocore_call.py", "GET", url, "us-east-1")
	cmd.Env = env
	out["botocore"] = runSigner(t, cmd)
	return out
}

func runSigner(t *testing.T, cmd *exec.Cmd) signedResult {
	t.Helper()
	b, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s: %v\n%s", cmd.Args[1], err, stderr)
	}
	var r signedResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %q: %v", cmd.Args[1], b, err)
	}
	return r
}

// expectAll checks that every signer got the status (and, for 200, the body).
func expectAll(t *testing.T, step string, got map[string]signedResult, status int, body string) {
	t.Helper()
	for signer, r := range got {
		if r.Status != status || body != "" && r.Body != body {
			t.Errorf("%s: %s got %d %q, want %d %q", step, signer, r.Status, r.Body, status, body)
		}
	}
}

const hello = `"Hello from Lambda!"`

// TestWalkthrough performs the seed walkthrough against a fresh server:
// the aws CLI administers; four independent signers call the URL.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws")
	requireTool(t, "node")
	dir := t.TempDir()
	auditFile := filepath.Join(dir, "audit.jsonl")
	ts := startServer(t, t.TempDir(), map[string]string{"FNURL_TEST_SESSION_LIFETIME": "8s"}, "--audit-log", auditFile, "--log-level", "debug")
	root := rootCLI(t, ts)
	zipPath := filepath.Join(dir, "function.zip")
	if err := os.WriteFile(zipPath, zipOf(t, map[string]string{"index.js": helloJS}), 0o600); err != nil {
		t.Fatal(err)
	}

	// A function with a URL in AWS_IAM mode.
	var role struct{ Role struct{ Arn string } }
	root.ok(&role, "iam", "create-role", "--role-name", "hello-role", "--assume-role-policy-document", lambdaTrust)
	var fn struct{ FunctionArn string }
	root.ok(&fn, "lambda", "create-function", "--function-name", "hello", "--runtime", "nodejs20.x", "--handler", "index.handler",
		"--role", role.Role.Arn, "--zip-file", "fileb://"+zipPath)
	var u struct{ FunctionUrl string }
	root.ok(&u, "lambda", "create-function-url-config", "--function-name", "hello", "--auth-type", "AWS_IAM")

	// An IAM user with no permissions and an access key.
	var user struct{ User struct{ Arn string } }
	root.ok(&user, "iam", "create-user", "--user-name", "walker")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	root.ok(&key, "iam", "create-access-key", "--user-name", "walker")
	id, secret := key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey

	expectAll(t, "no permissions", callWithEverySigner(t, u.FunctionUrl, id, secret, ""), 403, forbiddenBody)

	// An identity policy allowing lambda:InvokeFunctionUrl on the function.
	policyFile := filepath.Join(dir, "policy.json")
	os.WriteFile(policyFile, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"`+fn.FunctionArn+`"}]}`), 0o600)
	var pol struct{ Policy struct{ Arn string } }
	root.ok(&pol, "iam", "create-policy", "--policy-name", "invoke-hello", "--policy-document", "file://"+policyFile)
	root.ok(nil, "iam", "attach-user-policy", "--user-name", "walker", "--policy-arn", pol.Policy.Arn)
	expectAll(t, "identity policy", callWithEverySigner(t, u.FunctionUrl, id, secret, ""), 200, hello)

	// Removed: denied again.
	root.ok(nil, "iam", "detach-user-policy", "--user-name", "walker", "--policy-arn", pol.Policy.Arn)
	expectAll(t, "policy detached", callWithEverySigner(t, u.FunctionUrl, id, secret, ""), 403, forbiddenBody)

	// A resource-based permission for the user instead.
	root.ok(nil, "lambda", "add-permission", "--function-name", "hello", "--statement-id", "walker-url", "--action", "lambda:InvokeFunctionUrl",
		"--principal", user.User.Arn, "--function-url-auth-type", "AWS_IAM")
	expectAll(t, "resource policy", callWithEverySigner(t, u.FunctionUrl, id, secret, ""), 200, hello)

	// Temporary credentials: allowed with the token, refused once expired.
	walker := root.as(id, secret)
	var tok struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
	}
	walker.ok(&tok, "sts", "get-session-token", "--duration-seconds", "900")
	c := tok.Credentials
	expectAll(t, "session credentials", callWithEverySigner(t, u.FunctionUrl, c.AccessKeyId, c.SecretAccessKey, c.SessionToken), 200, hello)
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(exp) + 500*time.Millisecond)
	expectAll(t, "expired session", callWithEverySigner(t, u.FunctionUrl, c.AccessKeyId, c.SecretAccessKey, c.SessionToken), 403, "")

	// Every request of the run (the aws CLI, aws-sdk-go-v2, curl and the
	// npm signers) was one fnurl's HTTP/1.1 front takes: none went to
	// net/http.
	scrape := waitMetrics(t, ts.Endpoint, []metricCheck{{name: "fnurl_http1_handoffs_total", labels: []string{`reason="request"`}}})
	if n := metricValue(t, scrape, "fnurl_http1_requests_total"); n < 30 {
		t.Errorf("fnurl_http1_requests_total = %v, want the run's requests", n)
	}

	// No secret of the whole run reached the server's log (at debug
	// level), the audit trail's JSON lines, the function's log or any file
	// of the data directory other than the two that hold secrets by design.
	rootKeyID, rootSecret := rootCreds(t, ts.DataDir)
	logs, _, err := fnurlCmd(map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": rootKeyID, "AWS_SECRET_ACCESS_KEY": rootSecret,
		"AWS_ENDPOINT_URL": ts.Endpoint}, "logs", "hello")
	if err != nil || !strings.Contains(logs, "REPORT RequestId") {
		t.Fatalf("fnurl logs hello: %v\n%s", err, logs)
	}
	master, err := os.ReadFile(filepath.Join(ts.DataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	ts.Stop(t)
	secrets := map[string]string{"root secret": rootSecret, "user secret": secret, "session secret": c.SecretAccessKey,
		"session token": c.SessionToken, "master key": strings.TrimSpace(string(master))}
	places := map[string]string{"server log": ts.stderr.String(), "function log": logs}
	for _, f := range []string{auditFile} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			t.Fatalf("audit log: %v (%d bytes)", err, len(b))
		}
		places[filepath.Base(f)] = string(b)
	}
	filepath.WalkDir(ts.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "credentials" || d.Name() == "master.key" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		places[path] = string(b)
		return nil
	})
	for what, s := range secrets {
		if len(s) < 16 {
			t.Fatalf("%s %q is too short to search for", what, s)
		}
		for where, text := range places {
			if strings.Contains(text, s) {
				t.Errorf("the %s appears in %s", what, where)
			}
		}
	}
	t.Logf("%d secrets searched for in %d places", len(secrets), len(places))
}

// TestURLAuthModel2025: under AWS's model since October 2025, a URL also
// needs lambda:InvokeFunction with lambda:InvokedViaFunctionUrl = true;
// under the legacy model the same call is allowed, and the audit trail
// notes that AWS would now deny it.
func TestURLAuthModel2025(t *testing.T) {
	for _, model := range []string{"2025", "legacy"} {
		t.Run(model, func(t *testing.T) {
			f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, map[string]string{"FNURL_URL_AUTH_MODEL": model})
			ctx := context.Background()
			fnArn := "arn:aws:lambda:us-east-1:" + f.account + ":function:hello"
			must(f.rootIAM.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("url"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnArn + `"}]}`)}))
			status, body, h := sdkCall(t, "GET", f.url, "", f.userID, f.userKey, "")
			if model == "2025" {
				if status != 403 || body != forbiddenBody {
					t.Fatalf("InvokeFunctionUrl only, 2025 model: %d %s", status, body)
				}
				must(f.rootIAM.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("invoke"),
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"` + fnArn +
						`","Condition":{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}]}`)}))
				status, body, _ = sdkCall(t, "GET", f.url, "", f.userID, f.userKey, "")
			}
			if status != 200 || body != hello {
				t.Fatalf("%s model, allowed: %d %s", model, status, body)
			}
			if model == "legacy" {
				rootID, rootSecret := rootCreds(t, f.ts.DataDir)
				out, _, err := fnurlCmd(map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": rootID, "AWS_SECRET_ACCESS_KEY": rootSecret,
					"AWS_ENDPOINT_URL": f.ts.Endpoint}, "explain", h.Get("x-amzn-RequestId"))
				if err != nil || !strings.Contains(out, "AWS's 2025 model would deny it") || !strings.Contains(out, "decision: allowed") {
					t.Errorf("explain under the legacy model: %v\n%s", err, out)
				}
			}
		})
	}
}
