package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
)

// cli runs the aws CLI against ts with the given credentials environment.
type cli struct {
	t   *testing.T
	ts  *testServer
	env []string
}

func rootCLI(t *testing.T, ts *testServer) *cli {
	return &cli{t: t, ts: ts, env: []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(ts.DataDir, "credentials"),
		"AWS_CONFIG_FILE=" + filepath.Join(ts.DataDir, "config"),
	}}
}

func (c *cli) as(id, secret string) *cli {
	return &cli{t: c.t, ts: c.ts, env: []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_ENDPOINT_URL=" + c.ts.Endpoint, "AWS_DEFAULT_REGION=us-east-1"}}
}

// ok runs a command that must succeed and decodes its JSON output into v.
func (c *cli) ok(v any, args ...string) {
	c.t.Helper()
	out, errOut, err := awsCLI(c.t, c.env, append(args, "--output", "json")...)
	if err != nil {
		c.t.Fatalf("aws %s: %v\n%s\nserver log:\n%s", strings.Join(args, " "), err, errOut, c.ts.stderr)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), out, err)
		}
	}
}

// fails runs a command that must fail with the AWS error code and a
// message containing msg.
func (c *cli) fails(code, msg string, args ...string) {
	c.t.Helper()
	out, errOut, err := awsCLI(c.t, c.env, args...)
	if err == nil {
		c.t.Fatalf("aws %s succeeded, want %s: %s", strings.Join(args, " "), code, out)
	}
	if !strings.Contains(errOut, "("+code+")") || !strings.Contains(errOut, msg) {
		c.t.Errorf("aws %s: stderr %q, want (%s) and %q", strings.Join(args, " "), errOut, code, msg)
	}
}

func TestAWSCLIUsersAndAccessKeys(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws")
	ts := startServer(t, t.TempDir(), nil)
	root := rootCLI(t, ts)

	var created struct {
		User struct{ UserName, UserId, Arn, Path, CreateDate string }
	}
	root.ok(&created, "iam", "create-user", "--user-name", "alice")
	u := created.User
	if u.UserName != "alice" || !strings.HasPrefix(u.UserId, "AIDA") || !strings.HasSuffix(u.Arn, ":user/alice") || u.Path != "/" || u.CreateDate == "" {
		t.Errorf("create-user = %+v", u)
	}
	root.fails("EntityAlreadyExists", "User with name alice already exists.", "iam", "create-user", "--user-name", "alice")
	root.fails("NoSuchEntity", "The user with name bob cannot be found.", "iam", "get-user", "--user-name", "bob")
	root.fails("ValidationError", "failed to satisfy constraint", "iam", "create-user", "--user-name", "no spaces allowed")

	var list struct{ Users []struct{ UserName string } }
	root.ok(&list, "iam", "list-users")
	if len(list.Users) != 1 || list.Users[0].UserName != "alice" {
		t.Errorf("list-users = %+v", list)
	}

	var key struct {
		AccessKey struct{ UserName, AccessKeyId, SecretAccessKey, Status string }
	}
	root.ok(&key, "iam", "create-access-key", "--user-name", "alice")
	k := key.AccessKey
	if !strings.HasPrefix(k.AccessKeyId, "AKIA") || len(k.SecretAccessKey) != 40 || k.Status != "Active" {
		t.Errorf("create-access-key = %+v", k)
	}
	var keys struct {
		AccessKeyMetadata []struct{ AccessKeyId, Status, SecretAccessKey string }
	}
	root.ok(&keys, "iam", "list-access-keys", "--user-name", "alice")
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].AccessKeyId != k.AccessKeyId || keys.AccessKeyMetadata[0].SecretAccessKey != "" {
		t.Errorf("list-access-keys = %+v", keys)
	}

	// The user's key works, and the user, without policies, may do nothing.
	alice := root.as(k.AccessKeyId, k.SecretAccessKey)
	var ident struct{ Arn, UserId string }
	alice.ok(&ident, "sts", "get-caller-identity")
	if ident.Arn != u.Arn || ident.UserId != u.UserId {
		t.Errorf("alice's caller identity = %+v, want %s %s", ident, u.Arn, u.UserId)
	}
	alice.fails("AccessDenied", "User: "+u.Arn+" is not authorized to perform: iam:CreateUser on resource: "+
		strings.TrimSuffix(u.Arn, "alice")+"mallory because no identity-based policy allows the iam:CreateUser action",
		"iam", "create-user", "--user-name", "mallory")
	alice.fails("AccessDenied", "iam:GetUser", "iam", "get-user")

	// Deleting in the wrong order is refused; an inactive key stops working.
	root.fails("DeleteConflict", "Cannot delete entity, must delete access keys first.", "iam", "delete-user", "--user-name", "alice")
	root.ok(nil, "iam", "update-access-key", "--user-name", "alice", "--access-key-id", k.AccessKeyId, "--status", "Inactive")
	alice.fails("InvalidClientTokenId", "The security token included in the request is invalid", "sts", "get-caller-identity")
	root.ok(nil, "iam", "create-access-key", "--user-name", "alice")
	root.fails("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", "iam", "create-access-key", "--user-name", "alice")

	root.ok(&keys, "iam", "list-access-keys", "--user-name", "alice")
	for _, m := range keys.AccessKeyMetadata {
		root.ok(nil, "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", m.AccessKeyId)
	}
	root.fails("NoSuchEntity", "cannot be found", "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", k.AccessKeyId)
	root.ok(nil, "iam", "delete-user", "--user-name", "alice")
	root.ok(&list, "iam", "list-users")
	if len(list.Users) != 0 {
		t.Errorf("users after delete: %+v", list.Users)
	}
}

func TestSDKListUsersPagination(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	c := iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 12 {
		name := fmt.Sprintf("user-%02d", i)
		want[name] = true
		if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	pages := 0
	p := iamsdk.NewListUsersPaginator(c, &iamsdk.ListUsersInput{MaxItems: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range out.Users {
			if !want[aws.ToString(u.UserName)] {
				t.Errorf("unexpected or repeated user %s", aws.ToString(u.UserName))
			}
			delete(want, aws.ToString(u.UserName))
		}
	}
	if pages != 3 || len(want) != 0 {
		t.Errorf("pages = %d, users not listed = %v", pages, want)
	}
	_, err := c.ListUsers(ctx, &iamsdk.ListUsersInput{MaxItems: aws.Int32(1001)})
	if err == nil || !strings.Contains(err.Error(), "ValidationError") {
		t.Errorf("MaxItems 1001: %v", err)
	}
}

// TestAWSCLIPolicies walks the IAM part of the walkthrough: a user with no
// permissions is denied, a managed policy from file:// attached to it lets
// it in on the next request, detaching it shuts it out again; inline
// policies, versions and the errors of each step as AWS words them.
func TestAWSCLIPolicies(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws")
	ts := startServer(t, t.TempDir(), nil)
	root := rootCLI(t, ts)
	var created struct{ User struct{ Arn string } }
	root.ok(&created, "iam", "create-user", "--user-name", "alice")
	u := created.User
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	root.ok(&key, "iam", "create-access-key", "--user-name", "alice")
	alice := root.as(key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey)

	alice.fails("AccessDenied", "because no identity-based policy allows the iam:ListUsers action", "iam", "list-users")

	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	readUsers := write("read.json", `{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "ReadUsers", "Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser"], "Resource": "*"}]
}`)
	var pol struct {
		Policy struct{ Arn, PolicyId, DefaultVersionId string }
	}
	root.ok(&pol, "iam", "create-policy", "--policy-name", "ReadUsers", "--policy-document", readUsers)
	arn := pol.Policy.Arn
	if !strings.HasSuffix(arn, ":policy/ReadUsers") || !strings.HasPrefix(pol.Policy.PolicyId, "ANPA") || pol.Policy.DefaultVersionId != "v1" {
		t.Errorf("create-policy = %+v", pol.Policy)
	}
	root.fails("EntityAlreadyExists", "A policy called ReadUsers already exists. Duplicate names are not allowed.",
		"iam", "create-policy", "--policy-name", "ReadUsers", "--policy-document", readUsers)

	// Malformed documents get IAM's texts.
	for _, tt := range []struct{ doc, msg string }{
		{`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers"`, "Syntax errors in policy."},
		{`{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}`, "Policy document must be version 2012-10-17 or greater."},
		{`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers"}]}`, "Policy statement must contain resources."},
		{`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "iam:ListUsers", "Resource": "*"}]}`, "Policy document should not specify a principal."},
	} {
		root.fails("MalformedPolicyDocument", tt.msg, "iam", "create-policy", "--policy-name", "Bad", "--policy-document", tt.doc)
	}

	root.ok(nil, "iam", "attach-user-policy", "--user-name", "alice", "--policy-arn", arn)
	var attached struct {
		AttachedPolicies []struct{ PolicyName, PolicyArn string }
	}
	root.ok(&attached, "iam", "list-attached-user-policies", "--user-name", "alice")
	if len(attached.AttachedPolicies) != 1 || attached.AttachedPolicies[0].PolicyArn != arn {
		t.Errorf("attached = %+v", attached)
	}
	var list struct{ Users []struct{ UserName string } }
	alice.ok(&list, "iam", "list-users")
	if len(list.Users) != 1 {
		t.Errorf("alice's list-users = %+v", list)
	}
	alice.fails("AccessDenied", "iam:CreateUser", "iam", "create-user", "--user-name", "bob")

	// The simulator answers with the engine's decisions and the statements
	// that matched.
	var sim struct {
		EvaluationResults []struct {
			EvalActionName, EvalDecision string
			MatchedStatements            []struct{ SourcePolicyId, SourcePolicyType string }
		}
	}
	root.ok(&sim, "iam", "simulate-principal-policy", "--policy-source-arn", u.Arn, "--action-names", "iam:ListUsers", "iam:CreateUser")
	if len(sim.EvaluationResults) != 2 || sim.EvaluationResults[0].EvalDecision != "allowed" || sim.EvaluationResults[1].EvalDecision != "implicitDeny" ||
		len(sim.EvaluationResults[0].MatchedStatements) != 1 || sim.EvaluationResults[0].MatchedStatements[0].SourcePolicyType != "user-managed" {
		t.Errorf("simulate-principal-policy = %+v", sim)
	}
	root.ok(&sim, "iam", "simulate-custom-policy", "--action-names", "s3:GetObject", "--resource-arns", "arn:aws:s3:::b/k",
		"--policy-input-list", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)
	if len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != "explicitDeny" {
		t.Errorf("simulate-custom-policy = %+v", sim)
	}

	// Deleting in the wrong order.
	root.fails("DeleteConflict", "Cannot delete a policy attached to entities.", "iam", "delete-policy", "--policy-arn", arn)

	// A new default version takes effect at once: an explicit deny.
	denyList := write("deny.json", `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
  {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}`)
	var ver struct {
		PolicyVersion struct {
			VersionId        string
			IsDefaultVersion bool
		}
	}
	root.ok(&ver, "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", denyList, "--set-as-default")
	if ver.PolicyVersion.VersionId != "v2" || !ver.PolicyVersion.IsDefaultVersion {
		t.Errorf("create-policy-version = %+v", ver)
	}
	alice.fails("AccessDenied", "with an explicit deny in an identity-based policy", "iam", "list-users")
	var got struct {
		PolicyVersion struct {
			Document struct{ Statement []map[string]any }
		}
	}
	root.ok(&got, "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v2")
	if len(got.PolicyVersion.Document.Statement) != 2 {
		t.Errorf("get-policy-version document = %+v", got)
	}
	root.fails("DeleteConflict", "Cannot delete the default version of a policy.", "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
	root.ok(nil, "iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1")
	alice.ok(nil, "iam", "list-users")
	for range 3 {
		root.ok(nil, "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", readUsers)
	}
	root.fails("LimitExceeded", "A managed policy can have up to 5 versions.", "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", readUsers)

	// Detached: denied on the very next request.
	root.ok(nil, "iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", arn)
	alice.fails("AccessDenied", "because no identity-based policy allows the iam:ListUsers action", "iam", "list-users")
	root.fails("NoSuchEntity", "was not found", "iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", arn)

	// Inline policies.
	root.ok(nil, "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "inline-read", "--policy-document", readUsers)
	alice.ok(nil, "iam", "list-users")
	var inline struct {
		UserName, PolicyName string
		PolicyDocument       struct{ Statement []struct{ Sid string } }
	}
	root.ok(&inline, "iam", "get-user-policy", "--user-name", "alice", "--policy-name", "inline-read")
	if inline.PolicyName != "inline-read" || len(inline.PolicyDocument.Statement) != 1 || inline.PolicyDocument.Statement[0].Sid != "ReadUsers" {
		t.Errorf("get-user-policy = %+v", inline)
	}
	var names struct{ PolicyNames []string }
	root.ok(&names, "iam", "list-user-policies", "--user-name", "alice")
	if len(names.PolicyNames) != 1 || names.PolicyNames[0] != "inline-read" {
		t.Errorf("list-user-policies = %+v", names)
	}
	root.ok(nil, "iam", "delete-access-key", "--user-name", "alice", "--access-key-id", key.AccessKey.AccessKeyId)
	root.fails("DeleteConflict", "Cannot delete entity, must delete policies first.", "iam", "delete-user", "--user-name", "alice")
	root.ok(nil, "iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "inline-read")
	root.fails("NoSuchEntity", "The user policy with name inline-read cannot be found.", "iam", "get-user-policy", "--user-name", "alice", "--policy-name", "inline-read")
	root.ok(nil, "iam", "delete-user", "--user-name", "alice")

	root.fails("DeleteConflict", "you must delete the policy's versions", "iam", "delete-policy", "--policy-arn", arn)
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		root.ok(nil, "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", v)
	}
	root.ok(nil, "iam", "delete-policy", "--policy-arn", arn)
	root.fails("NoSuchEntity", "does not exist or is not attachable", "iam", "get-policy", "--policy-arn", arn)
}

func TestBoto3IAMWalkthrough(t *testing.T) {
	t.Parallel()
	py := requireTool(t, "python3")
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	cmd := exec.Command(py, "testdata/boto3_iam.py", ts.Endpoint, id, secret)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	want := map[string]any{
		"duplicate": "EntityAlreadyExists", "denied_before": "AccessDenied", "malformed": "MalformedPolicyDocument",
		"allowed_after_attach": "ok", "delete_attached_policy": "DeleteConflict", "denied_after_detach": "AccessDenied",
		"session_key_prefix": "ASIA",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if got["session_arn"] != got["user_arn"] {
		t.Errorf("session identity %v, want the user's ARN %v", got["session_arn"], got["user_arn"])
	}
	if doc, ok := got["policy_version_doc"].(map[string]any); !ok || doc["Version"] != "2012-10-17" {
		t.Errorf("policy document = %v", got["policy_version_doc"])
	}
}
