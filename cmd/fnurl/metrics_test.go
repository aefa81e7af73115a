package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// metricValue finds one sample in a scrape.
func metricValue(t *testing.T, scrape, name string, labels ...string) float64 {
	t.Helper()
	for _, line := range strings.Split(scrape, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(line, l) {
				ok = false
			}
		}
		if ok {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}

// metricCheck is one sample a test expects in a scrape.
type metricCheck struct {
	name   string
	labels []string
	want   float64
}

// waitMetrics scrapes /metrics until every check holds, for up to 5 s, and
// reports those that still do not. A request's metrics are recorded just
// after its response is sent, so a scrape right after a response may not
// count it yet. It returns the last scrape.
func waitMetrics(t *testing.T, endpoint string, checks []metricCheck) string {
	t.Helper()
	var scrape string
	var wrong []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(endpoint + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "version=0.0.4") {
			t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		scrape, wrong = string(b), nil
		for _, c := range checks {
			if got := metricValue(t, scrape, c.name, c.labels...); got != c.want {
				wrong = append(wrong, fmt.Sprintf("%s%v = %v, want %v", c.name, c.labels, got, c.want))
			}
		}
		if len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range wrong {
		t.Error(w)
	}
	return scrape
}

func TestMetricsAfterKnownWorkload(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	rootIAM, rootSTS := sdkClients(ts, id, secret, "")
	for range 3 {
		must(rootSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	}
	_, bad := sdkClients(ts, id, strings.Repeat("b", 40), "")
	for range 2 {
		bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}
	must(rootIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("m")}))
	key := must(rootIAM.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("m")})).AccessKey
	mIAM, _ := sdkClients(ts, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	mIAM.ListUsers(ctx, &iamsdk.ListUsersInput{})

	scrape := waitMetrics(t, ts.Endpoint, []metricCheck{
		{"fnurl_requests_total", []string{`service="sts"`, `action="sts:GetCallerIdentity"`, `status="200"`}, 3},
		{"fnurl_requests_total", []string{`service="sts"`, `status="403"`, `error="SignatureDoesNotMatch"`}, 2},
		{"fnurl_authentication_failures_total", []string{`service="sts"`, `error="SignatureDoesNotMatch"`}, 2},
		{"fnurl_authorization_decisions_total", []string{`service="iam"`, `decision="implicit_deny"`}, 1},
		{"fnurl_requests_total", []string{`action="iam:ListUsers"`, `status="403"`, `error="AccessDenied"`}, 1},
		{"fnurl_request_duration_seconds_count", []string{`service="sts"`}, 5},
	})
	if strings.Contains(scrape, aws.ToString(key.AccessKeyId)) || strings.Contains(scrape, id) {
		t.Error("an access key ID appears in the metrics")
	}
}

// TestBruteForceThrottled: a source that keeps failing authentication is
// throttled, while valid requests from the same source keep working.
func TestBruteForceThrottled(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, good := sdkClients(ts, id, secret, "")
	_, bad := sdkClients(ts, id, strings.Repeat("b", 40), "")
	var codes []string
	for range 25 {
		_, err := bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		codes = append(codes, apiCode(err))
		must(good.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	}
	if codes[0] != "SignatureDoesNotMatch" || codes[24] != "Throttling" {
		t.Errorf("codes = %v; want SignatureDoesNotMatch first and Throttling at the end", codes)
	}
}

func TestInvocationMetrics(t *testing.T) {
	requireTool(t, "node")
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("m"), Runtime: types.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": helloJS})}}))
	for range 3 {
		must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("m")}))
	}
	// Two invocations through a function URL, warm too.
	u := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("m"),
		AuthType: types.FunctionUrlAuthTypeNone})).FunctionUrl)
	must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("m"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}))
	for range 2 {
		resp := must(http.Get(u))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
		}
	}
	must(lc.PutFunctionConcurrency(ctx, &lambdasdk.PutFunctionConcurrencyInput{FunctionName: aws.String("m"), ReservedConcurrentExecutions: aws.Int32(0)}))
	if _, err := lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("m")}); apiCode(err) != "TooManyRequestsException" {
		t.Errorf("reserved concurrency 0: %v", err)
	}
	scrape := waitMetrics(t, ts.Endpoint, []metricCheck{
		{"fnurl_invocations_total", []string{`function="m"`, `start="cold"`, `outcome="ok"`}, 1},
		{"fnurl_invocations_total", []string{`function="m"`, `start="warm"`, `outcome="ok"`}, 4},
		{"fnurl_invocation_duration_seconds_count", []string{`function="m"`}, 5},
		{"fnurl_execution_environments", []string{`function="m"`}, 1},
		{"fnurl_requests_total", []string{`action="lambda:InvokeFunction"`, `status="429"`, `error="TooManyRequestsException"`}, 1},
		// The server's own time: warm invocations only, both phases.
		{"fnurl_invocation_overhead_seconds_count", []string{`phase="request"`}, 4},
		{"fnurl_invocation_overhead_seconds_count", []string{`phase="response"`}, 4},
	})
	for _, phase := range []string{"request", "response"} {
		// Positive, and less than the whole of the invocations' time.
		sum := metricValue(t, scrape, "fnurl_invocation_overhead_seconds_sum", `phase="`+phase+`"`)
		total := metricValue(t, scrape, "fnurl_request_duration_seconds_sum", `service="lambda"`) +
			metricValue(t, scrape, "fnurl_request_duration_seconds_sum", `service="lambda-url"`)
		if sum <= 0 || sum >= total {
			t.Errorf("fnurl_invocation_overhead_seconds_sum{phase=%q} = %v, want in (0, %v)", phase, sum, total)
		}
	}
}

// TestMaxEnvironments runs a server limited to one execution environment:
// a function's idle environment is stopped to make room for another
// function's, and an invocation that finds the one environment busy gets
// TooManyRequestsException.
func TestMaxEnvironments(t *testing.T) {
	requireTool(t, "node")
	dir := t.TempDir()
	ts := startServer(t, dir, nil, "--max-environments", "1")
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	const slowJS = `exports.handler = async () => { await new Promise(r => setTimeout(r, 1500)); return "slow"; };`
	for name, code := range map[string]string{"quick": helloJS, "slow": slowJS} {
		must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimeNodejs20x,
			Handler: aws.String("index.handler"), Role: role.Arn, Timeout: aws.Int32(10),
			Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": code})}}))
	}
	invoke := func(name string) error {
		_, err := lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(name)})
		return err
	}
	// envs returns the functions that have environments, and how many,
	// from /metrics.
	envs := func() map[string]string {
		resp, err := http.Get(ts.Endpoint + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out := map[string]string{}
		for _, m := range regexp.MustCompile(`(?m)^fnurl_execution_environments\{function="([a-z]+)"\} (\d+)$`).FindAllStringSubmatch(string(b), -1) {
			if m[2] != "0" {
				out[m[1]] = m[2]
			}
		}
		return out
	}
	waitEnvs := func(want map[string]string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := envs()
			if maps.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("environments = %v, want %v", got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	if err := invoke("quick"); err != nil {
		t.Fatal(err)
	}
	waitEnvs(map[string]string{"quick": "1"})
	// slow takes quick's place while quick is idle.
	slowDone := make(chan error, 1)
	go func() { slowDone <- invoke("slow") }()
	waitEnvs(map[string]string{"slow": "1"})
	// While slow runs, quick finds no room.
	if err := invoke("quick"); apiCode(err) != "TooManyRequestsException" {
		t.Errorf("invoking quick while slow's environment is busy: %v, want TooManyRequestsException", err)
	}
	if err := <-slowDone; err != nil {
		t.Fatalf("slow: %v", err)
	}
	// Once slow is idle, quick takes its place again.
	if err := invoke("quick"); err != nil {
		t.Errorf("invoking quick after slow finished: %v", err)
	}
	waitEnvs(map[string]string{"quick": "1"})
}

// TestNetHTTPFlag: with --net-http (and FNURL_NET_HTTP=true) every request
// is net/http's and the HTTP/1.1 front answers none; by default it answers
// them.
func TestNetHTTPFlag(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		env   map[string]string
		args  []string
		front bool
	}{
		{"default", nil, nil, true},
		{"flag", nil, []string{"--net-http"}, false},
		{"environment", map[string]string{"FNURL_NET_HTTP": "true"}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ts := startServer(t, dir, c.env, c.args...)
			id, secret := rootCreds(t, dir)
			_, rootSTS := sdkClients(ts, id, secret, "")
			for range 3 {
				must(rootSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
			}
			scrape := waitMetrics(t, ts.Endpoint, []metricCheck{
				{"fnurl_requests_total", []string{`action="sts:GetCallerIdentity"`, `status="200"`}, 3},
			})
			// The three calls, and the scrapes (which count as they are read).
			if n := metricValue(t, scrape, "fnurl_http1_requests_total"); (n >= 4) != c.front || (!c.front && n != 0) {
				t.Errorf("fnurl_http1_requests_total = %v, front on: %v", n, c.front)
			}
		})
	}
}
