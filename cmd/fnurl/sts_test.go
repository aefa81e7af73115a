package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestAWSCLIGetSessionToken(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws")
	ts := startServer(t, t.TempDir(), nil)
	root := rootCLI(t, ts)
	root.ok(nil, "iam", "create-user", "--user-name", "alice")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	root.ok(&key, "iam", "create-access-key", "--user-name", "alice")
	alice := root.as(key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey)

	// (The CLI itself refuses out-of-range durations before sending them;
	// TestSDKGetSessionTokenValidation covers the server's answer.)

	var tok struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
	}
	alice.ok(&tok, "sts", "get-session-token", "--duration-seconds", "900")
	c := tok.Credentials
	if !strings.HasPrefix(c.AccessKeyId, "ASIA") || c.SessionToken == "" || c.Expiration == "" {
		t.Fatalf("get-session-token = %+v", c)
	}
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		t.Fatalf("Expiration %q: %v", c.Expiration, err)
	}
	if life := time.Until(exp); life > 900*time.Second || life < 800*time.Second {
		t.Errorf("lifetime %v, want 900s", life)
	}
	session := &cli{t: t, ts: ts, env: append(root.as(c.AccessKeyId, c.SecretAccessKey).env, "AWS_SESSION_TOKEN="+c.SessionToken)}
	var ident struct{ Arn, UserId string }
	session.ok(&ident, "sts", "get-caller-identity")
	if !strings.HasSuffix(ident.Arn, ":user/alice") || !strings.HasPrefix(ident.UserId, "AIDA") {
		t.Errorf("session caller identity = %+v", ident)
	}
	// Without MFA, these credentials may not call IAM, nor GetSessionToken.
	session.fails("InvalidClientTokenId", "The security token included in the request is invalid", "iam", "get-user")
	session.fails("AccessDenied", "Cannot call GetSessionToken with session credentials", "sts", "get-session-token")
	// A session token for another key, or a damaged one, is refused.
	tampered := &cli{t: t, ts: ts, env: append(root.as(c.AccessKeyId, c.SecretAccessKey).env, "AWS_SESSION_TOKEN="+c.SessionToken[:len(c.SessionToken)-3]+"AAA")}
	tampered.fails("InvalidClientTokenId", "invalid", "sts", "get-caller-identity")

}

// TestAWSCLISessionExpires watches temporary credentials expire, with the
// test-only lifetime setting shortening them to seconds.
func TestAWSCLISessionExpires(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws")
	ts := startServer(t, t.TempDir(), map[string]string{"FNURL_TEST_SESSION_LIFETIME": "5s"})
	root := rootCLI(t, ts)
	var tok struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
	}
	root.ok(&tok, "sts", "get-session-token", "--duration-seconds", "900")
	c := tok.Credentials
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		t.Fatal(err)
	}
	// Still valid: checked with the SDK, which takes milliseconds.
	_, sc := sdkClients(ts, c.AccessKeyId, c.SecretAccessKey, c.SessionToken)
	if _, err := sc.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("fresh session credentials: %v", err)
	}
	time.Sleep(time.Until(exp) + 500*time.Millisecond)
	session := &cli{t: t, ts: ts, env: append(root.as(c.AccessKeyId, c.SecretAccessKey).env, "AWS_SESSION_TOKEN="+c.SessionToken)}
	session.fails("ExpiredToken", "The security token included in the request is expired", "sts", "get-caller-identity")
}

func TestSDKGetSessionTokenValidation(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
	ctx := context.Background()
	for _, d := range []int32{100, 129601} {
		_, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(d)})
		if err == nil || !strings.Contains(err.Error(), "ValidationError") {
			t.Errorf("DurationSeconds %d: %v, want ValidationError", d, err)
		}
	}
	// The root user's sessions are capped at one hour.
	out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if life := time.Until(aws.ToTime(out.Credentials.Expiration)); life > time.Hour || life < 59*time.Minute {
		t.Errorf("root session lifetime = %v, want 1h", life)
	}
	sc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId),
			aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))})
	ident, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(ident.Arn), ":root") {
		t.Errorf("root session identity: %v %v", ident, err)
	}
}
