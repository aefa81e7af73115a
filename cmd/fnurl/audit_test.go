package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestAuditExplainsDenials produces several kinds of denial and checks that
// the audit trail records each with a reason that names what was missing.
func TestAuditExplainsDenials(t *testing.T) {
	jsonl := filepath.Join(t.TempDir(), "audit.jsonl")
	f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, map[string]string{"FNURL_AUDIT_LOG": jsonl})
	ctx := context.Background()
	rootID, rootSecret := rootCreds(t, f.ts.DataDir)
	rootEnv := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": rootID, "AWS_SECRET_ACCESS_KEY": rootSecret, "AWS_ENDPOINT_URL": f.ts.Endpoint}

	// The console's public-access statement, which does not apply to AWS_IAM URLs.
	must(f.lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("FunctionURLAllowPublicAccess"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}))

	_, _, h := sdkCall(t, "GET", f.url, "", f.userID, f.userKey, "")
	denied := h.Get("x-amzn-RequestId")
	_, _, h = sdkCall(t, "GET", f.url, "", f.userID, strings.Repeat("x", 40), "")
	badSig := h.Get("x-amzn-RequestId")
	_, _, h = sdkCall(t, "GET", f.ts.Endpoint+"/lambda-url/"+strings.Repeat("q", 32)+"/", "", "", "", "")
	unknown := h.Get("x-amzn-RequestId")

	// An explicit deny on an IAM call.
	must(f.rootIAM.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoListing","Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}`)}))
	aliceIAM, _ := sdkClients(f.ts, f.userID, f.userKey, "")
	if _, err := aliceIAM.ListUsers(ctx, &iamsdk.ListUsersInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("ListUsers: %v", err)
	}

	tests := []struct {
		id   string
		want []string
	}{
		{denied, []string{"answer:   403 AccessDeniedException,", "decision: implicit_deny", "lambda:InvokeFunctionUrl",
			"no identity-based policy allows lambda:InvokeFunctionUrl", "FunctionURLAllowPublicAccess", "lambda:FunctionUrlAuthType",
			"NONE", "AWS_IAM", "user/alice"}},
		{badSig, []string{"answer:   403 SignatureDoesNotMatch,", "decision: authentication_failed", "signature"}},
		{unknown, []string{"answer:   403 AccessDeniedException,", "decision: not_found", "no function URL has the url-id"}},
	}
	for _, tt := range tests {
		out, _, err := fnurlCmd(rootEnv, "explain", tt.id)
		if err != nil {
			t.Fatalf("explain %s: %v", tt.id, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("explain %s: no %q in\n%s", tt.id, w, out)
			}
		}
	}
	out, _, err := fnurlCmd(rootEnv, "audit", "--denied", "--principal", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "explicit_deny") || !strings.Contains(out, "NoListing") || !strings.Contains(out, "iam:ListUsers") {
		t.Errorf("audit --denied:\n%s", out)
	}
	if strings.Contains(out, "  allowed ") {
		t.Errorf("audit --denied lists allowed requests:\n%s", out)
	}
	// Alice may not read the trail.
	aliceEnv := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": f.userID, "AWS_SECRET_ACCESS_KEY": f.userKey, "AWS_ENDPOINT_URL": f.ts.Endpoint}
	if _, _, err := fnurlCmd(aliceEnv, "audit"); err == nil || !strings.Contains(err.Error(), "fnurl:GetAuditEvents") {
		t.Errorf("alice reading the audit trail: %v", err)
	}
	// The JSON lines carry the same events, and no secret.
	f.ts.Stop(t)
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{denied, badSig, unknown} {
		if !strings.Contains(string(b), id) {
			t.Errorf("request %s missing from the JSON lines", id)
		}
	}
	for _, secret := range []string{f.userKey, rootSecret} {
		if strings.Contains(string(b), secret) || strings.Contains(f.ts.stderr.String(), secret) {
			t.Error("a secret access key reached the audit log or the server log")
		}
	}
}

// TestAuditMoreDenials: an unknown key, an expired session token and the
// missing second permission of the 2025 model each get a recorded reason.
func TestAuditMoreDenials(t *testing.T) {
	f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, map[string]string{"FNURL_TEST_SESSION_LIFETIME": "2s", "FNURL_URL_AUTH_MODEL": "2025"})
	ctx := context.Background()
	rootID, rootSecret := rootCreds(t, f.ts.DataDir)
	rootEnv := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": rootID, "AWS_SECRET_ACCESS_KEY": rootSecret, "AWS_ENDPOINT_URL": f.ts.Endpoint}
	fnArn := "arn:aws:lambda:us-east-1:" + f.account + ":function:hello"
	must(f.rootIAM.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("url"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnArn + `"}]}`)}))

	_, _, h := sdkCall(t, "GET", f.url, "", f.userID, f.userKey, "")
	second := h.Get("x-amzn-RequestId")
	_, _, h = sdkCall(t, "GET", f.url, "", "AKIAUNKNOWNKEY000000", f.userKey, "")
	unknown := h.Get("x-amzn-RequestId")
	_, aliceSTS := sdkClients(f.ts, f.userID, f.userKey, "")
	c := must(aliceSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})).Credentials
	time.Sleep(time.Until(aws.ToTime(c.Expiration)) + 200*time.Millisecond)
	_, _, h = sdkCall(t, "GET", f.url, "", aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	expired := h.Get("x-amzn-RequestId")

	for _, tt := range []struct {
		id   string
		want []string
	}{
		{second, []string{"decision: implicit_deny", "lambda:InvokeFunction", "user/alice"}},
		{unknown, []string{"decision: authentication_failed", "The security token included in the request is invalid", "AKIAUNKNOWNKEY000000"}},
		{expired, []string{"decision: authentication_failed", "The security token included in the request is expired"}},
	} {
		out, _, err := fnurlCmd(rootEnv, "explain", tt.id)
		if err != nil {
			t.Fatalf("explain %s: %v", tt.id, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("explain: no %q in\n%s", w, out)
			}
		}
	}
}
