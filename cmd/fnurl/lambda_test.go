package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func lambdaClient(ts *testServer, id, secret, token string) *lambdasdk.Client {
	return lambdasdk.New(lambdasdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, token)})
}

// zipOf builds a deployment package from file names and contents.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rootLambda returns the root user's IAM and Lambda clients for ts and an
// execution role, "exec", that Lambda may assume.
func rootLambda(tb testing.TB, ts *testServer, id, secret string) (*iamsdk.Client, *lambdasdk.Client, *iamtypes.Role) {
	tb.Helper()
	rootIAM, _ := sdkClients(ts, id, secret, "")
	role := must(rootIAM.CreateRole(context.Background(), &iamsdk.CreateRoleInput{RoleName: aws.String("exec"),
		AssumeRolePolicyDocument: aws.String(lambdaTrust)})).Role
	return rootIAM, lambdaClient(ts, id, secret, ""), role
}

const helloJS = `exports.handler = async () => ({statusCode: 200, body: JSON.stringify('Hello from Lambda!')});`

const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestSDKLambdaControlPlane(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	rootIAM, lc, role := rootLambda(t, ts, id, secret)
	other := must(rootIAM.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("not-for-lambda"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})).Role
	code := zipOf(t, map[string]string{"index.js": helloJS})
	create := func(name string, roleArn *string, zipFile []byte, runtime string) (*lambdasdk.CreateFunctionOutput, error) {
		return lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.Runtime(runtime),
			Handler: aws.String("index.handler"), Role: roleArn, Code: &types.FunctionCode{ZipFile: zipFile}})
	}
	for _, tt := range []struct {
		name, runtime string
		role          *string
		zip           []byte
		code          string
	}{
		{"bad-role", "nodejs20.x", other.Arn, code, "InvalidParameterValueException"},
		{"no-role", "nodejs20.x", aws.String("arn:aws:iam::123456789012:role/none"), code, "InvalidParameterValueException"},
		{"bad-zip", "nodejs20.x", role.Arn, []byte("not a zip"), "InvalidParameterValueException"},
		{"bad-runtime", "cobol85", role.Arn, code, "InvalidParameterValueException"},
		{"bad name!", "nodejs20.x", role.Arn, code, "ValidationException"},
	} {
		if _, err := create(tt.name, tt.role, tt.zip, tt.runtime); apiCode(err) != tt.code {
			t.Errorf("CreateFunction %s: %v, want %s", tt.name, err, tt.code)
		}
	}
	out := must(create("hello", role.Arn, code, "nodejs20.x"))
	if aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:"+accountOf(t, ts, id, secret)+":function:hello" ||
		out.State != types.StateActive || aws.ToString(out.CodeSha256) == "" || aws.ToInt32(out.Timeout) != 3 {
		t.Errorf("CreateFunction = %+v", out)
	}
	if _, err := create("hello", role.Arn, code, "nodejs20.x"); apiCode(err) != "ResourceConflictException" {
		t.Errorf("duplicate CreateFunction: %v", err)
	}
	// By name, by ARN and by partial ARN.
	for _, n := range []string{"hello", aws.ToString(out.FunctionArn), accountOf(t, ts, id, secret) + ":function:hello"} {
		if _, err := lc.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String(n)}); err != nil {
			t.Errorf("GetFunction(%s): %v", n, err)
		}
	}
	if _, err := lc.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("nope")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("GetFunction(nope): %v", err)
	}

	// Optimistic concurrency on updates.
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("hello"),
		Timeout: aws.Int32(10), RevisionId: aws.String("00000000-0000-4000-8000-000000000000")}); apiCode(err) != "PreconditionFailedException" {
		t.Errorf("stale RevisionId: %v", err)
	}
	upd := must(lc.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("hello"),
		Timeout: aws.Int32(10), RevisionId: out.RevisionId, Environment: &types.Environment{Variables: map[string]string{"GREETING": "hi"}}}))
	if aws.ToInt32(upd.Timeout) != 10 || upd.Environment.Variables["GREETING"] != "hi" || aws.ToString(upd.RevisionId) == aws.ToString(out.RevisionId) {
		t.Errorf("UpdateFunctionConfiguration = %+v", upd)
	}
	code2 := zipOf(t, map[string]string{"index.js": strings.Replace(helloJS, "Hello", "Hi", 1)})
	upc := must(lc.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String("hello"), ZipFile: code2}))
	if aws.ToString(upc.CodeSha256) == aws.ToString(out.CodeSha256) {
		t.Error("UpdateFunctionCode did not change CodeSha256")
	}

	// Function URL configuration.
	u := must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("hello"), AuthType: types.FunctionUrlAuthTypeAwsIam}))
	if !strings.HasPrefix(aws.ToString(u.FunctionUrl), ts.Endpoint+"/lambda-url/") || len(strings.Split(aws.ToString(u.FunctionUrl), "/")[4]) != 32 {
		t.Errorf("FunctionUrl = %s", aws.ToString(u.FunctionUrl))
	}
	if _, err := lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("hello"),
		AuthType: types.FunctionUrlAuthTypeAwsIam}); apiCode(err) != "ResourceConflictException" {
		t.Errorf("second URL: %v", err)
	}
	if _, err := lc.GetFunctionUrlConfig(ctx, &lambdasdk.GetFunctionUrlConfigInput{FunctionName: aws.String("hello"), Qualifier: aws.String("1")}); apiCode(err) != "ValidationException" {
		t.Errorf("numeric qualifier: %v", err)
	}
	uu := must(lc.UpdateFunctionUrlConfig(ctx, &lambdasdk.UpdateFunctionUrlConfigInput{FunctionName: aws.String("hello"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://example.com"}, MaxAge: aws.Int32(60)}}))
	if uu.AuthType != types.FunctionUrlAuthTypeNone || uu.InvokeMode != types.InvokeModeBuffered || uu.Cors == nil ||
		aws.ToString(uu.FunctionUrl) != aws.ToString(u.FunctionUrl) {
		t.Errorf("UpdateFunctionUrlConfig = %+v", uu)
	}

	// Resource-based policy statements, exactly as Lambda writes them.
	st := must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("FunctionURLAllowPublicAccess"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}))
	want := `{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` +
		aws.ToString(out.FunctionArn) + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`
	if aws.ToString(st.Statement) != want {
		t.Errorf("statement = %s\nwant        %s", aws.ToString(st.Statement), want)
	}
	must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("FunctionURLAllowInvokeAction"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true)}))
	pol := must(lc.GetPolicy(ctx, &lambdasdk.GetPolicyInput{FunctionName: aws.String("hello")}))
	var doc struct {
		Version, Id string
		Statement   []map[string]any
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil || doc.Id != "default" || len(doc.Statement) != 2 {
		t.Errorf("GetPolicy = %s, %v", aws.ToString(pol.Policy), err)
	}
	if _, err := lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("x"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("not a principal")}); apiCode(err) != "InvalidParameterValueException" {
		t.Errorf("bad principal: %v", err)
	}
	if _, err := lc.RemovePermission(ctx, &lambdasdk.RemovePermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("missing")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("RemovePermission(missing): %v", err)
	}

	// A user without Lambda permissions is denied; with lambda:GetFunction it may read.
	must(rootIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("dev")}))
	key := must(rootIAM.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("dev")})).AccessKey
	dev := lambdaClient(ts, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	_, err := dev.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("hello")})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "lambda:GetFunction") {
		t.Errorf("dev GetFunction: %v", err)
	}
	must(rootIAM.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunction","Resource":"arn:aws:lambda:*:*:function:hello"}]}`)}))
	must(dev.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("hello")}))
	if _, err := dev.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("hello")}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("dev DeleteFunction: %v", err)
	}

	must(lc.DeleteFunctionUrlConfig(ctx, &lambdasdk.DeleteFunctionUrlConfigInput{FunctionName: aws.String("hello")}))
	if _, err := lc.GetFunctionUrlConfig(ctx, &lambdasdk.GetFunctionUrlConfigInput{FunctionName: aws.String("hello")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("URL after delete: %v", err)
	}
	must(lc.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("hello")}))
	if _, err := lc.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("hello")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("GetFunction after delete: %v", err)
	}
}

// TestAWSCLILambdaWaiters checks that the CLI's waiters succeed.
func TestAWSCLILambdaWaiters(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws")
	ts := startServer(t, t.TempDir(), nil)
	root := rootCLI(t, ts)
	var role struct{ Role struct{ Arn string } }
	root.ok(&role, "iam", "create-role", "--role-name", "exec", "--assume-role-policy-document", lambdaTrust)
	zipPath := t.TempDir() + "/fn.zip"
	if err := writeFile(zipPath, zipOf(t, map[string]string{"index.js": helloJS})); err != nil {
		t.Fatal(err)
	}
	root.ok(nil, "lambda", "create-function", "--function-name", "hello", "--runtime", "nodejs20.x", "--handler", "index.handler",
		"--role", role.Role.Arn, "--zip-file", "fileb://"+zipPath)
	root.ok(nil, "lambda", "wait", "function-active-v2", "--function-name", "hello")
	root.ok(nil, "lambda", "update-function-code", "--function-name", "hello", "--zip-file", "fileb://"+zipPath)
	root.ok(nil, "lambda", "wait", "function-updated-v2", "--function-name", "hello")
	root.fails("ResourceNotFoundException", "Function not found", "lambda", "get-function", "--function-name", "nope")
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func TestSDKVersionsAliasesAndAliasURLs(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": helloJS})}}))
	v1 := must(lc.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("f")}))
	if aws.ToString(v1.Version) != "1" || !strings.HasSuffix(aws.ToString(v1.FunctionArn), ":function:f:1") {
		t.Errorf("PublishVersion = %s %s", aws.ToString(v1.Version), aws.ToString(v1.FunctionArn))
	}
	must(lc.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Timeout: aws.Int32(30)}))
	v2 := must(lc.PublishVersion(ctx, &lambdasdk.PublishVersionInput{FunctionName: aws.String("f")}))
	if aws.ToString(v2.Version) != "2" || aws.ToInt32(v2.Timeout) != 30 {
		t.Errorf("second version = %s timeout %d", aws.ToString(v2.Version), aws.ToInt32(v2.Timeout))
	}
	got := must(lc.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("f"), Qualifier: aws.String("1")}))
	if aws.ToInt32(got.Timeout) != 3 || aws.ToString(got.Version) != "1" {
		t.Errorf("version 1 = timeout %d version %s; versions must be frozen", aws.ToInt32(got.Timeout), aws.ToString(got.Version))
	}
	if vs := must(lc.ListVersionsByFunction(ctx, &lambdasdk.ListVersionsByFunctionInput{FunctionName: aws.String("f")})).Versions; len(vs) != 3 {
		t.Errorf("ListVersionsByFunction = %d versions, want $LATEST, 1 and 2", len(vs))
	}

	a := must(lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	if !strings.HasSuffix(aws.ToString(a.AliasArn), ":function:f:live") {
		t.Errorf("AliasArn = %s", aws.ToString(a.AliasArn))
	}
	if _, err := lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("f"), Name: aws.String("bad"), FunctionVersion: aws.String("9")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("alias to a missing version: %v", err)
	}
	cfg := must(lc.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("f:live")}))
	if aws.ToString(cfg.Version) != "1" {
		t.Errorf("f:live resolves to version %s, want 1", aws.ToString(cfg.Version))
	}
	must(lc.UpdateAlias(ctx, &lambdasdk.UpdateAliasInput{FunctionName: aws.String("f"), Name: aws.String("live"), FunctionVersion: aws.String("2")}))
	cfg = must(lc.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("f"), Qualifier: aws.String("live")}))
	if aws.ToString(cfg.Version) != "2" {
		t.Errorf("after UpdateAlias live -> %s, want 2", aws.ToString(cfg.Version))
	}

	// A URL and a policy for the alias, separate from the function's.
	u := must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("f"), Qualifier: aws.String("live"),
		AuthType: types.FunctionUrlAuthTypeAwsIam}))
	if !strings.HasSuffix(aws.ToString(u.FunctionArn), ":function:f:live") {
		t.Errorf("alias URL FunctionArn = %s", aws.ToString(u.FunctionArn))
	}
	if _, err := lc.GetFunctionUrlConfig(ctx, &lambdasdk.GetFunctionUrlConfigInput{FunctionName: aws.String("f")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("unqualified URL should not exist: %v", err)
	}
	if _, err := lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("f"), Qualifier: aws.String("nope"),
		AuthType: types.FunctionUrlAuthTypeAwsIam}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("URL for a missing alias: %v", err)
	}
	st := must(lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("f"), Qualifier: aws.String("live"), StatementId: aws.String("s"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeAwsIam}))
	if !strings.Contains(aws.ToString(st.Statement), `"Resource":"`+aws.ToString(a.AliasArn)+`"`) {
		t.Errorf("alias statement = %s", aws.ToString(st.Statement))
	}
	if _, err := lc.GetPolicy(ctx, &lambdasdk.GetPolicyInput{FunctionName: aws.String("f")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("the unqualified function has no policy: %v", err)
	}
	if as := must(lc.ListAliases(ctx, &lambdasdk.ListAliasesInput{FunctionName: aws.String("f")})).Aliases; len(as) != 1 {
		t.Errorf("ListAliases = %d", len(as))
	}
	must(lc.DeleteAlias(ctx, &lambdasdk.DeleteAliasInput{FunctionName: aws.String("f"), Name: aws.String("live")}))
	if _, err := lc.GetAlias(ctx, &lambdasdk.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("live")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("deleted alias: %v", err)
	}
	status, _, _ := sdkCall(t, "GET", aws.ToString(u.FunctionUrl), "", id, secret, "")
	if status != 403 {
		t.Errorf("URL of a deleted alias answered %d, want 403", status)
	}
}

// TestInvokeAndLogs invokes a Node.js function through the Lambda API
// (with the log tail) and reads its logs with fnurl logs.
func TestInvokeAndLogs(t *testing.T) {
	requireTool(t, "node")
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	code := `exports.handler = async (event) => { console.log("got", event.n); if (event.fail) throw new Error("boom"); return {n: event.n * 2}; };`
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("double"), Runtime: types.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": code})}}))
	out := must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("double"), Payload: []byte(`{"n": 21}`), LogType: types.LogTypeTail}))
	if string(out.Payload) != `{"n":42}` || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("Invoke = %s %v %v", out.Payload, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
	}
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !strings.Contains(string(tail), "got 21") || !strings.Contains(string(tail), "REPORT RequestId:") {
		t.Errorf("log tail = %q", tail)
	}
	out = must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("double"), Payload: []byte(`{"n": 1, "fail": true}`)}))
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "boom") {
		t.Errorf("failing Invoke = %s %v", out.Payload, aws.ToString(out.FunctionError))
	}
	ev := must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("double"), Payload: []byte(`{"n": 5}`), InvocationType: types.InvocationTypeEvent}))
	if ev.StatusCode != 202 {
		t.Errorf("Event invoke status %d", ev.StatusCode)
	}
	dry := must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("double"), InvocationType: types.InvocationTypeDryRun}))
	if dry.StatusCode != 204 {
		t.Errorf("DryRun status %d", dry.StatusCode)
	}
	// The event invocation runs after the answer: wait for its line.
	env := map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_ENDPOINT_URL": ts.Endpoint}
	var logs string
	for range 50 {
		logs, _, _ = fnurlCmd(env, "logs", "double")
		if strings.Contains(logs, "got 5") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"START RequestId:", "got 21", "got 1", "boom", "got 5", "END RequestId:", "REPORT RequestId:"} {
		if !strings.Contains(logs, want) {
			t.Errorf("fnurl logs has no %q:\n%s", want, logs)
		}
	}
}
