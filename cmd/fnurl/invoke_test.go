package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// fnurlCmd runs a client command in-process with the given environment.
func fnurlCmd(env map[string]string, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestInvokeAndPresignCommands(t *testing.T) {
	f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, nil)
	home := t.TempDir()
	env := map[string]string{"HOME": home, "AWS_ACCESS_KEY_ID": f.userID, "AWS_SECRET_ACCESS_KEY": f.userKey}

	// Signed with environment credentials: alice may not invoke yet.
	out, _, err := fnurlCmd(env, "invoke", f.url, "-X", "POST", "-H", "Content-Type: application/json", "-d", `{"a":1}`)
	if err == nil || !strings.Contains(err.Error(), "403") || out != forbiddenBody {
		t.Errorf("invoke without permission: %q, %v", out, err)
	}
	// A profile with a wrong secret: the signature is refused.
	os.MkdirAll(filepath.Join(home, ".aws"), 0o700)
	os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[bad]\naws_access_key_id = "+f.userID+"\naws_secret_access_key = wrongwrongwrong\n"), 0o600)
	out, _, err = fnurlCmd(map[string]string{"HOME": home}, "invoke", "--profile", "bad", f.url)
	if err == nil || !strings.Contains(out, "signature") {
		t.Errorf("invoke with a bad profile: %q, %v", out, err)
	}
	// No credentials at all.
	if _, _, err := fnurlCmd(map[string]string{"HOME": t.TempDir()}, "invoke", f.url); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Errorf("invoke without credentials: %v", err)
	}

	// A presigned URL works from a plain HTTP client; a changed one does not.
	out, _, err = fnurlCmd(env, "presign", f.url, "--expires", "5m")
	if err != nil {
		t.Fatal(err)
	}
	presigned := strings.TrimSpace(out)
	if !strings.Contains(presigned, "X-Amz-Signature=") || !strings.Contains(presigned, "X-Amz-Expires=300") {
		t.Fatalf("presigned URL %q", presigned)
	}
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(presigned); status != 403 || body != forbiddenBody {
		t.Errorf("presigned, no permission: %d %s", status, body)
	}
	if status, body := get(strings.Replace(presigned, "X-Amz-Expires=300", "X-Amz-Expires=301", 1)); status != 403 || !strings.Contains(body, "signature") {
		t.Errorf("tampered presigned URL: %d %s", status, body)
	}
	if _, _, err := fnurlCmd(env, "presign", f.url, "--expires", "200h"); err == nil {
		t.Error("presign accepted --expires 200h")
	}
}

func TestDevDenyReasons(t *testing.T) {
	f := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, map[string]string{"FNURL_DEV_DENY_REASONS": "true"})
	_, _, h := sdkCall(t, "GET", f.url, "", f.userID, f.userKey, "")
	if why := h.Get("X-Fnurl-Deny-Reason"); !strings.Contains(why, "no identity-based policy allows lambda:InvokeFunctionUrl") {
		t.Errorf("X-Fnurl-Deny-Reason = %q", why)
	}
	_, errOut, err := fnurlCmd(map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": f.userID, "AWS_SECRET_ACCESS_KEY": f.userKey}, "invoke", f.url)
	if err == nil || !strings.Contains(errOut, "the server says why: no identity-based policy") {
		t.Errorf("fnurl invoke stderr = %q, err %v", errOut, err)
	}
	// Off by default.
	g := newURLFixture(t, types.FunctionUrlAuthTypeAwsIam, nil)
	if _, _, h := sdkCall(t, "GET", g.url, "", g.userID, g.userKey, ""); h.Get("X-Fnurl-Deny-Reason") != "" {
		t.Error("deny reason sent without --dev-deny-reasons")
	}
}
