package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
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
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// syncWriter is a writer safe to read while a command writes to it.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// background runs an fnurl command until the test ends and returns its
// output streams.
func background(t *testing.T, env map[string]string, args ...string) (stdout, stderr *syncWriter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncWriter{}, &syncWriter{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("fnurl %s: %v\n%s", args[0], err, stderr)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("fnurl %s did not stop", args[0])
		}
	})
	return stdout, stderr
}

// waitFor polls cond until it is true or 60 s have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var proxyAddrRE = regexp.MustCompile(`listening on (http://\S+),`)

// TestProxy: tools that cannot sign call an AWS_IAM function URL through
// fnurl proxy, which signs with the user's credentials; the request's
// method, path, query, headers and body arrive intact, and a streamed
// response arrives as it is written.
func TestProxy(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	createEcho(t, ts, id, secret)
	lc := lambdaClient(ts, id, secret, "")
	echoURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		AuthType: types.FunctionUrlAuthTypeAwsIam})).FunctionUrl)
	pkg, err := streamPackage()
	if err != nil {
		t.Fatal(err)
	}
	rootIAM, _ := sdkClients(ts, id, secret, "")
	role := must(rootIAM.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("exec")})).Role
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("stream"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: pkg}}))
	streamURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("stream"),
		AuthType: types.FunctionUrlAuthTypeAwsIam, InvokeMode: types.InvokeModeResponseStream})).FunctionUrl)

	// A direct unsigned call is refused.
	resp, err := http.Get(echoURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("unsigned call: %d, want 403", resp.StatusCode)
	}

	env := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret}
	proxy := func(target string) string {
		out, _ := background(t, env, "proxy", "--listen", "127.0.0.1:0", "--target", target)
		var addr string
		waitFor(t, "the proxy to listen", func() bool {
			m := proxyAddrRE.FindStringSubmatch(out.String())
			if m != nil {
				addr = m[1]
			}
			return m != nil
		})
		return addr
	}
	echoProxy := proxy(echoURL)

	// A plain net/http client.
	req, _ := http.NewRequest("PUT", echoProxy+"/items/42?color=blue&n=1", strings.NewReader(`{"hello":"proxy"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Trace", "abc")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("through the proxy: %d %s", resp.StatusCode, b)
	}
	var echoed struct {
		Event struct {
			RawPath        string            `json:"rawPath"`
			RawQueryString string            `json:"rawQueryString"`
			Headers        map[string]string `json:"headers"`
			Body           string            `json:"body"`
			RequestContext struct {
				HTTP struct{ Method string } `json:"http"`
			} `json:"requestContext"`
		} `json:"event"`
	}
	if err := json.Unmarshal(b, &echoed); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	e := echoed.Event
	if e.RequestContext.HTTP.Method != "PUT" || e.RawPath != "/items/42" || e.RawQueryString != "color=blue&n=1" ||
		e.Body != `{"hello":"proxy"}` || e.Headers["x-trace"] != "abc" {
		t.Errorf("the function saw %+v", e)
	}

	// curl, which is told nothing about signing.
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-s", "-f", "-H", "Content-Type: text/plain", "-d", "from curl", echoProxy+"/c").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"body":"from curl"`) {
			t.Errorf("curl through the proxy: %v %s", err, out)
		}
	}

	// A streamed answer arrives piece by piece.
	resp, err = http.Get(proxy(streamURL) + "/?wait=2s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	firstAt := time.Now()
	if err != nil || first != "first\n" {
		t.Fatalf("first line: %q %v", first, err)
	}
	second, _ := r.ReadString('\n')
	if gap := time.Since(firstAt); second != "second\n" || gap < time.Second {
		t.Errorf("second line %q came %v after the first; want it about 2 s later (a proxy that buffers delivers both at once)", second, gap)
	}
	if resp.StatusCode != 202 || resp.Header.Get("X-Streamed") != "yes" {
		t.Errorf("streamed answer: %d %v", resp.StatusCode, resp.Header)
	}

	// A non-loopback address needs --allow-remote.
	if _, _, err := fnurlCmd(env, "proxy", "--listen", "0.0.0.0:0", "--target", echoURL); err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Errorf("proxy on 0.0.0.0: %v", err)
	}
}

// TestDeploy deploys a Go main package and a Node.js directory with fnurl
// deploy, calls the printed URLs with fnurl invoke, redeploys a change, and
// checks that --watch picks up an edit by itself.
func TestDeploy(t *testing.T) {
	requireTool(t, "go")
	requireTool(t, "node")
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	env := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_ENDPOINT_URL": ts.Endpoint,
		"PATH": os.Getenv("PATH")}
	invoke := func(url string, args ...string) string {
		t.Helper()
		out, _, err := fnurlCmd(env, append([]string{"invoke", url}, args...)...)
		if err != nil {
			t.Fatalf("fnurl invoke %s: %v\n%s", url, err, out)
		}
		return out
	}

	// A Go main package (aws-lambda-go), built into a bootstrap.
	goDir, err := filepath.Abs("../../internal/testfunctions/echo")
	if err != nil {
		t.Fatal(err)
	}
	out, progress, err := fnurlCmd(env, "deploy", goDir, "--name", "goecho")
	if err != nil {
		t.Fatalf("deploy Go: %v\n%s", err, progress)
	}
	goURL := strings.TrimSpace(out)
	for _, want := range []string{"building", "uploading", "created execution role fnurl-deploy-goecho", "created function goecho (provided.al2023)", "created function URL (AWS_IAM)"} {
		if !strings.Contains(progress, want) {
			t.Errorf("deploy progress lacks %q:\n%s", want, progress)
		}
	}
	if got := invoke(goURL+"hi?x=1", "-H", "Content-Type: text/plain", "-d", "payload"); !strings.Contains(got, `"body":"payload"`) || !strings.Contains(got, `"rawPath":"/hi"`) {
		t.Errorf("Go function answered %s", got)
	}

	// A Node.js directory, public (NONE), then changed and redeployed.
	jsDir := t.TempDir()
	write := func(greeting string) {
		src := `exports.handler = async () => ({statusCode: 200, body: "` + greeting + `"});`
		if err := os.WriteFile(filepath.Join(jsDir, "index.js"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hello v1")
	out, progress, err = fnurlCmd(env, "deploy", jsDir, "--name", "greeter", "--auth", "NONE")
	if err != nil {
		t.Fatalf("deploy Node.js: %v\n%s", err, progress)
	}
	jsURL := strings.TrimSpace(out)
	resp, err := http.Get(jsURL) // NONE: no signature needed
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello v1" {
		t.Errorf("public URL: %d %q", resp.StatusCode, b)
	}
	write("hello v2")
	out, progress, err = fnurlCmd(env, "deploy", jsDir, "--name", "greeter", "--auth", "NONE")
	if err != nil || strings.TrimSpace(out) != jsURL || !strings.Contains(progress, "updated function greeter") {
		t.Fatalf("redeploy: %v %q\n%s", err, out, progress)
	}
	if got := invoke(jsURL); got != "hello v2" {
		t.Errorf("after redeploy: %q", got)
	}

	// --watch redeploys on its own.
	stdout, stderr := background(t, env, "deploy", jsDir, "--name", "greeter", "--auth", "NONE", "--watch")
	waitFor(t, "the first deploy of --watch", func() bool { return strings.Contains(stderr.String(), "watching") })
	if strings.TrimSpace(stdout.String()) != jsURL {
		t.Errorf("--watch printed %q, want %s", stdout, jsURL)
	}
	write("hello v3, watched")
	waitFor(t, "--watch to redeploy", func() bool { return strings.Contains(stderr.String(), "redeployed greeter") })
	if got := invoke(jsURL); got != "hello v3, watched" {
		t.Errorf("after --watch: %q\n%s", got, stderr)
	}
}

// TestPolicySimulate: fnurl policy simulate gives the simulator's answer.
func TestPolicySimulate(t *testing.T) {
	f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, nil)
	id, secret := rootCreds(t, f.ts.DataDir)
	env := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_ENDPOINT_URL": f.ts.Endpoint}
	fnArn := "arn:aws:lambda:us-east-1:" + f.account + ":function:hello"
	must(f.rootIAM.PutUserPolicy(context.Background(), &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("url"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"InvokeHello","Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnArn +
			`","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)}))
	simulate := func(args ...string) string {
		t.Helper()
		out, errOut, err := fnurlCmd(env, append([]string{"policy", "simulate", "--policy-source-arn", f.userArn}, args...)...)
		if err != nil {
			t.Fatalf("policy simulate: %v\n%s", err, errOut)
		}
		return out
	}
	out := simulate("--action-names", "lambda:InvokeFunctionUrl,lambda:DeleteFunction", "--resource-arns", fnArn, "--context", "aws:SourceIp=10.1.2.3:ip")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "lambda:InvokeFunctionUrl") || !strings.Contains(lines[1], "allowed") || !strings.Contains(lines[1], "url") ||
		!strings.Contains(lines[2], "lambda:DeleteFunction") || !strings.Contains(lines[2], "implicitDeny") {
		t.Errorf("simulate:\n%s", out)
	}
	if out := simulate("--action-names", "lambda:InvokeFunctionUrl", "--resource-arns", fnArn, "--context", "aws:SourceIp=192.0.2.1:ip"); !strings.Contains(out, "implicitDeny") {
		t.Errorf("simulate from outside 10/8:\n%s", out)
	}
	var js struct {
		EvaluationResults []struct{ EvalDecision string }
	}
	if err := json.Unmarshal([]byte(simulate("--action-names", "lambda:InvokeFunctionUrl", "--resource-arns", fnArn, "--context", "aws:SourceIp=10.9.9.9:ip",
		"--output", "json")), &js); err != nil || len(js.EvaluationResults) != 1 || js.EvaluationResults[0].EvalDecision != "allowed" {
		t.Errorf("--output json: %+v %v", js, err)
	}
	policyFile := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(policyFile, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"lambda:*","Resource":"*"}]}`), 0o600)
	out, errOut, err := fnurlCmd(env, "policy", "simulate-custom", "--policy-input-list", "file://"+policyFile, "--action-names", "lambda:GetFunction")
	if err != nil || !strings.Contains(out, "explicitDeny") {
		t.Errorf("simulate-custom: %v %s %s", err, out, errOut)
	}
	if _, _, err := fnurlCmd(env, "policy", "simulate", "--action-names", "x:y"); err == nil {
		t.Error("simulate without --policy-source-arn succeeded")
	}
}

// TestCompletion: the scripts name every command and each command's flags,
// and bash accepts the bash script.
func TestCompletion(t *testing.T) {
	bash, _, err := fnurlCmd(nil, "completion", "bash")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !strings.Contains(bash, " "+c.name) {
			t.Errorf("bash completion lacks the command %s", c.name)
		}
	}
	for _, want := range []string{"--listen --log-format", "--target", "--watch", "--policy-source-arn", "-X", "simulate-custom"} {
		if !strings.Contains(bash, want) {
			t.Errorf("bash completion lacks %q", want)
		}
	}
	if sh, err := exec.LookPath("bash"); err == nil {
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(bash)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v %s", err, out)
		}
		// And it completes: "fnurl dep" → deploy; "fnurl deploy --wa" → --watch.
		script := bash + `
COMP_WORDS=(fnurl dep); COMP_CWORD=1; _fnurl; echo "${COMPREPLY[@]}"
COMP_WORDS=(fnurl deploy --wa); COMP_CWORD=2; _fnurl; echo "${COMPREPLY[@]}"`
		out, err := exec.Command(sh, "-c", script).CombinedOutput()
		if err != nil || string(out) != "deploy\n--watch\n" {
			t.Errorf("completing: %v %q", err, out)
		}
	}
	for _, sh := range []string{"zsh", "fish"} {
		out, _, err := fnurlCmd(nil, "completion", sh)
		if err != nil || !strings.Contains(out, "deploy") || !strings.Contains(out, "watch") {
			t.Errorf("%s completion: %v\n%s", sh, err, out)
		}
	}
	if _, _, err := fnurlCmd(nil, "completion", "tcsh"); err == nil {
		t.Error("completion tcsh succeeded")
	}
}
