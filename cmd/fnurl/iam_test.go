package main

import (
	"context"
	"encoding/json"
	"fmt"
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
