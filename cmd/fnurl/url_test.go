package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const forbiddenBody = `{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}`

// urlFixture is a server with a function, its URL and an IAM user without
// permissions.
type urlFixture struct {
	ts               *testServer
	lc               *lambdasdk.Client
	rootIAM          *iamsdk.Client
	url              string
	userID, userKey  string
	userArn, account string
}

func newURLFixture(t *testing.T, auth types.FunctionUrlAuthType, env map[string]string) *urlFixture {
	t.Helper()
	dir := t.TempDir()
	ts := startServer(t, dir, env)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	rootIAM, lc, role := rootLambda(t, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("hello"), Runtime: types.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": helloJS})}}))
	u := must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("hello"), AuthType: auth,
		Cors: &types.Cors{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"authorization", "x-amz-date"}, MaxAge: aws.Int32(300)}}))
	user := must(rootIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")})).User
	key := must(rootIAM.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})).AccessKey
	return &urlFixture{ts: ts, lc: lc, rootIAM: rootIAM, url: aws.ToString(u.FunctionUrl), userID: aws.ToString(key.AccessKeyId),
		userKey: aws.ToString(key.SecretAccessKey), userArn: aws.ToString(user.Arn), account: accountOf(t, ts, id, secret)}
}

// sdkCall signs a request to the URL with aws-sdk-go-v2's signer (service
// lambda) and returns status and body.
func sdkCall(t *testing.T, method, url, body, id, secret, token string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256([]byte(body))
	if id != "" {
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token},
			req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestFunctionURLDenials(t *testing.T) {
	f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, nil)

	// Unknown url-id.
	status, body, h := sdkCall(t, "GET", f.ts.Endpoint+"/lambda-url/"+strings.Repeat("z", 32)+"/", "", f.userID, f.userKey, "")
	if status != 403 || body != `{"Message":null}` || h.Get("x-amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("unknown url-id: %d %s %v", status, body, h)
	}
	// Unsigned request to an AWS_IAM URL.
	status, body, _ = sdkCall(t, "GET", f.url, "", "", "", "")
	if status != 403 || body != forbiddenBody {
		t.Errorf("unsigned: %d %s", status, body)
	}
	// Wrong secret.
	status, body, h = sdkCall(t, "GET", f.url, "", f.userID, strings.Repeat("x", 40), "")
	if status != 403 || !strings.Contains(body, "The request signature we calculated does not match") || h.Get("x-amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("wrong secret: %d %s %v", status, body, h)
	}
	// Unknown key.
	status, body, h = sdkCall(t, "GET", f.url, "", "AKIAUNKNOWNKEY000000", f.userKey, "")
	if status != 403 || !strings.Contains(body, "The security token included in the request is invalid") || h.Get("x-amzn-ErrorType") != "UnrecognizedClientException" {
		t.Errorf("unknown key: %d %s %v", status, body, h)
	}
	// Signed for another service.
	req, _ := http.NewRequest("GET", f.url, nil)
	v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: f.userID, SecretAccessKey: f.userKey},
		req, hex.EncodeToString(sha256.New().Sum(nil)), "execute-api", "us-east-1", time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("signed for execute-api: %d", resp.StatusCode)
	}
	// A user with no permissions: the bare 403, and the reason in the log.
	status, body, _ = sdkCall(t, "POST", f.url+"path?x=1", `{"a":1}`, f.userID, f.userKey, "")
	if status != 403 || body != forbiddenBody {
		t.Errorf("no permissions: %d %s", status, body)
	}
	// Info lines reach the log within the log's flush interval.
	waitFor(t, "the denial's reason in the server log", func() bool {
		log := f.ts.stderr.String()
		return strings.Contains(log, "function URL request denied") && strings.Contains(log, "no identity-based policy allows lambda:InvokeFunctionUrl")
	})
	// curl --aws-sigv4 gets the same 403.
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:lambda",
			"--user", f.userID+":"+f.userKey, f.url).Output()
		if err != nil || string(out) != "403" {
			t.Errorf("curl: %s %v", out, err)
		}
	}
	// CORS preflight is answered from the configuration, without a signature.
	req, _ = http.NewRequest("OPTIONS", f.url, nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST" || resp.Header.Get("Access-Control-Max-Age") != "300" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	// A NONE URL still needs a resource policy allowing "*".
	ctx := context.Background()
	must(f.lc.UpdateFunctionUrlConfig(ctx, &lambdasdk.UpdateFunctionUrlConfigInput{FunctionName: aws.String("hello"), AuthType: types.FunctionUrlAuthTypeNone}))
	status, body, _ = sdkCall(t, "GET", f.url, "", "", "", "")
	if status != 403 || body != forbiddenBody {
		t.Errorf("NONE without a resource policy: %d %s", status, body)
	}
}
