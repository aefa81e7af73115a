package main

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// sdkClients returns IAM and STS clients for ts with the given credentials.
func sdkClients(ts *testServer, id, secret, token string) (*iamsdk.Client, *sts.Client) {
	creds := credentials.NewStaticCredentialsProvider(id, secret, token)
	return iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint), Credentials: creds, RetryMaxAttempts: 1}),
		sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint), Credentials: creds, RetryMaxAttempts: 1})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// must returns v, or fails the test (by panicking, which the testing
// package reports with the stack) when err is not nil. It lets a call's two
// results be passed straight in.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSDKGroupsRolesAssumeRole(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	root, _ := sdkClients(ts, id, secret, "")

	// A user whose only permission comes from its group.
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})).AccessKey
	aliceIAM, aliceSTS := sdkClients(ts, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("readers")}))
	must(root.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"}]}`)}))
	if _, err := aliceIAM.ListRoles(ctx, &iamsdk.ListRolesInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("before joining the group: %v, want AccessDenied", err)
	}
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("alice")}))
	must(aliceIAM.ListRoles(ctx, &iamsdk.ListRolesInput{}))
	g := must(root.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("readers")}))
	if len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "alice" || !strings.HasPrefix(aws.ToString(g.Group.GroupId), "AGPA") {
		t.Errorf("GetGroup = %+v", g)
	}
	if _, err := root.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("readers")}); apiCode(err) != "DeleteConflict" {
		t.Errorf("DeleteGroup with members: %v", err)
	}
	if _, err := root.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")}); apiCode(err) != "DeleteConflict" {
		t.Errorf("DeleteUser in a group: %v", err)
	}

	// A role that alice may assume, with a trust policy naming her.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountOf(t, ts, id, secret) +
		`:user/alice"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}}]}`
	role := must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("deployer"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})).Role
	if !strings.HasPrefix(aws.ToString(role.RoleId), "AROA") || aws.ToInt32(role.MaxSessionDuration) != 7200 {
		t.Errorf("CreateRole = %+v", role)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(role.AssumeRolePolicyDocument)); doc != trust {
		t.Errorf("trust policy round trip: %q", doc)
	}
	_, err := root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bad"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`)})
	if apiCode(err) != "MalformedPolicyDocument" {
		t.Errorf("trust policy with Resource: %v", err)
	}
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("users"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateUser","iam:GetUser"],"Resource":"*"}]}`)}))

	assume := func(ext string, seconds int32, policy string) (*sts.AssumeRoleOutput, error) {
		in := &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("build-42"), ExternalId: aws.String(ext)}
		if seconds != 0 {
			in.DurationSeconds = aws.Int32(seconds)
		}
		if policy != "" {
			in.Policy = aws.String(policy)
		}
		return aliceSTS.AssumeRole(ctx, in)
	}
	if _, err := assume("wrong", 0, ""); apiCode(err) != "AccessDenied" {
		t.Errorf("wrong external ID: %v, want AccessDenied", err)
	}
	if _, err := assume("xyz", 7201, ""); apiCode(err) != "ValidationError" {
		t.Errorf("beyond MaxSessionDuration: %v, want ValidationError", err)
	}
	out, err := assume("xyz", 7200, "")
	if err != nil {
		t.Fatal(err)
	}
	wantArn := "arn:aws:sts::" + accountOf(t, ts, id, secret) + ":assumed-role/deployer/build-42"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantArn || aws.ToString(out.AssumedRoleUser.AssumedRoleId) != aws.ToString(role.RoleId)+":build-42" {
		t.Errorf("AssumedRoleUser = %+v", out.AssumedRoleUser)
	}
	c := out.Credentials
	sessIAM, sessSTS := sdkClients(ts, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	ident := must(sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(ident.Arn) != wantArn {
		t.Errorf("session identity = %s, want %s", aws.ToString(ident.Arn), wantArn)
	}
	// The session has the role's permissions (not alice's).
	must(sessIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("made-by-role")}))
	if _, err := sessIAM.ListRoles(ctx, &iamsdk.ListRolesInput{}); apiCode(err) != "AccessDenied" {
		t.Errorf("session ListRoles: %v, want AccessDenied", err)
	}
	// Role chaining is capped at one hour: let the role assume itself.
	selfTrust := strings.Replace(trust, `"Statement":[`, `"Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aws.ToString(role.Arn)+`"},"Action":"sts:AssumeRole"},`, 1)
	must(root.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer"), PolicyDocument: aws.String(selfTrust)}))
	must(sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(3600)}))
	if _, err := sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("chain"),
		DurationSeconds: aws.Int32(7200)}); apiCode(err) != "ValidationError" {
		t.Errorf("chained 2h session: %v, want ValidationError", err)
	}

	// A session policy narrows the session.
	out2, err := assume("xyz", 0, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	narrow, _ := sdkClients(ts, aws.ToString(out2.Credentials.AccessKeyId), aws.ToString(out2.Credentials.SecretAccessKey), aws.ToString(out2.Credentials.SessionToken))
	if _, err := narrow.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("nope")}); apiCode(err) != "AccessDenied" {
		t.Errorf("CreateUser outside the session policy: %v, want AccessDenied", err)
	}
	must(narrow.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}))

	// Deleting the role ends its sessions.
	if _, err := root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("deployer")}); apiCode(err) != "DeleteConflict" {
		t.Errorf("DeleteRole with policies: %v", err)
	}
	must(root.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("deployer"), PolicyName: aws.String("users")}))
	must(root.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("deployer")}))
	if _, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("session of a deleted role: %v, want InvalidClientTokenId", err)
	}
}

func accountOf(t *testing.T, ts *testServer, id, secret string) string {
	t.Helper()
	return callerAccount(t, ts.Endpoint, id, secret)
}

func TestSDKPermissionsBoundary(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	root, _ := sdkClients(ts, id, secret, "")
	admin := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("Admin"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})).Policy
	readOnly := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("ReadOnly"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)})).Policy
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob"), PermissionsBoundary: readOnly.Arn}))
	must(root.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: admin.Arn}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey
	bob, _ := sdkClients(ts, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")

	u := must(bob.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")})).User
	if u.PermissionsBoundary == nil || aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(readOnly.Arn) {
		t.Errorf("GetUser boundary = %+v", u.PermissionsBoundary)
	}
	_, err := bob.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("eve")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "because no permissions boundary allows the iam:CreateUser action") {
		t.Errorf("CreateUser past the boundary: %v", err)
	}
	if _, err := root.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: readOnly.Arn}); apiCode(err) != "DeleteConflict" {
		t.Errorf("deleting a policy in use as a boundary: %v", err)
	}
	must(root.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("bob")}))
	must(bob.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("eve")}))
}

func TestSDKTagsLastUsedKeyInfo(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	root, rootSTS := sdkClients(ts, id, secret, "")
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("tina"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("tina")})).AccessKey
	tina, _ := sdkClients(ts, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")

	lu := must(root.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId}))
	if lu.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("unused key: %+v", lu.AccessKeyLastUsed)
	}
	// A policy that uses the caller's tag: only users of team blue may list.
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("tina"), PolicyName: aws.String("team"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)}))
	must(tina.ListUsers(ctx, &iamsdk.ListUsersInput{}))
	lu = must(root.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId}))
	if lu.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "iam" || aws.ToString(lu.UserName) != "tina" {
		t.Errorf("used key: %+v", lu.AccessKeyLastUsed)
	}
	must(root.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("tina"), Tags: []iamtypes.Tag{{Key: aws.String("TEAM"), Value: aws.String("red")}}}))
	tags := must(root.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("tina")})).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Value) != "red" {
		t.Errorf("tags after retagging with another case: %+v", tags)
	}
	if _, err := tina.ListUsers(ctx, &iamsdk.ListUsersInput{}); apiCode(err) != "AccessDenied" {
		t.Errorf("after the tag changed: %v, want AccessDenied", err)
	}
	must(root.UntagUser(ctx, &iamsdk.UntagUserInput{UserName: aws.String("tina"), TagKeys: []string{"team"}}))
	if tags := must(root.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("tina")})).Tags; len(tags) != 0 {
		t.Errorf("tags after untag: %+v", tags)
	}
	info := must(rootSTS.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: key.AccessKeyId}))
	if aws.ToString(info.Account) != accountOf(t, ts, id, secret) {
		t.Errorf("GetAccessKeyInfo = %s", aws.ToString(info.Account))
	}
}
