package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/fnurl/fnurl/internal/store/pgtest"
)

// TestMain stops the PostgreSQL server that tests with --store start.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	removeBinary()
	os.Exit(code)
}

func randomMasterKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestMultiNodePostgres runs three server processes on one PostgreSQL
// database: what one node writes, the others see at once, and killing one
// node loses nothing.
func TestMultiNodePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and three server processes")
	}
	url := pgtest.URL(t)
	const rootID, rootSecret = "AKIAFNURLMULTINODE01", "multiNodeSecret0123456789abcdefghijklmno"
	env := []string{"FNURL_STORE=" + url, "FNURL_MASTER_KEY=" + randomMasterKey(t),
		"FNURL_ROOT_ACCESS_KEY_ID=" + rootID, "FNURL_ROOT_SECRET_ACCESS_KEY=" + rootSecret}

	// The three nodes start at the same time on an empty database.
	nodes := make([]*process, 3)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i] = startProcess(t, t.TempDir(), env)
		}()
	}
	wg.Wait()
	for _, p := range nodes {
		if p != nil { // the others stop even when one did not start
			t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
		}
	}
	for _, p := range nodes {
		if p == nil {
			t.FailNow()
		}
	}
	ctx := context.Background()
	client := func(p *process, id, secret string) (*iamsdk.Client, *sts.Client) {
		return sdkClients(&testServer{Endpoint: p.endpoint}, id, secret, "")
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	rootA, _ := client(a, rootID, rootSecret)
	rootC, _ := client(c, rootID, rootSecret)

	// Same account everywhere.
	var accounts []string
	for _, p := range nodes {
		_, s := client(p, rootID, rootSecret)
		out, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity on %s: %v", p.endpoint, err)
		}
		accounts = append(accounts, aws.ToString(out.Account))
	}
	if accounts[0] != accounts[1] || accounts[1] != accounts[2] {
		t.Fatalf("nodes disagree on the account: %q", accounts)
	}

	// Node B must be listening before the changes below, or it reads
	// through and they would not test that it hears them (its listener
	// connects after it starts serving, later on a loaded machine).
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(b.endpoint + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		scrape, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if regexp.MustCompile(`(?m)^fnurl_read_cache_enabled 1$`).Match(scrape) {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("node B is not listening for changes after 10s:\n%s", scrape)
		}
	}

	// A user and key created through node A work through node B.
	must(rootA.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	key := must(rootA.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})).AccessKey
	aliceB, aliceSTSB := client(b, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	who, err := aliceSTSB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":user/alice") {
		t.Fatalf("alice's key through node B: %v, %v", who, err)
	}
	getUser := func() error {
		_, err := aliceB.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")})
		return err
	}
	if err := getUser(); apiCode(err) != "AccessDenied" {
		t.Fatalf("GetUser without a policy through node B: %v, want AccessDenied", err)
	}
	pol := must(rootA.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("read-self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})).Policy

	// Attaching and detaching through node C changes node B's decision
	// within a second, though node B keeps what it reads in memory: it
	// hears node C's changes.
	eventually := func(what string, check func() (bool, any)) {
		t.Helper()
		start := time.Now()
		for {
			ok, last := check()
			if ok {
				t.Logf("%s seen by node B after %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s through node C not seen by node B within 1s: last result %v", what, last)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor := func(what string, ok func(error) bool) {
		t.Helper()
		eventually(what, func() (bool, any) { err := getUser(); return ok(err), err })
	}
	must(rootC.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Arn}))
	waitFor("attach", func(err error) bool { return err == nil })
	must(rootC.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Arn}))
	waitFor("detach", func(err error) bool { return apiCode(err) == "AccessDenied" })

	// Deactivating alice's key through node C stops it on node B, which
	// has just used it; reactivating it through node A lets it in again.
	setKey := func(cl *iamsdk.Client, status iamtypes.StatusType) {
		must(cl.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: key.AccessKeyId, Status: status}))
	}
	callerB := func() error { _, err := aliceSTSB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); return err }
	setKey(rootC, iamtypes.StatusTypeInactive)
	eventually("key deactivated", func() (bool, any) { err := callerB(); return apiCode(err) == "InvalidClientTokenId", err })
	setKey(rootA, iamtypes.StatusTypeActive)
	eventually("key reactivated", func() (bool, any) { err := callerB(); return err == nil, err })

	// A function URL served by node B stops answering once node C removes
	// the permission that opened it.
	_, lambdaA, role := rootLambda(t, &testServer{Endpoint: a.endpoint}, rootID, rootSecret)
	lambdaC := lambdaClient(&testServer{Endpoint: c.endpoint}, rootID, rootSecret, "")
	must(lambdaA.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("hello"), Runtime: lambdatypes.RuntimeNodejs20x,
		Handler: aws.String("index.handler"), Role: role.Arn, Code: &lambdatypes.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": helloJS})}}))
	fnURL := aws.ToString(must(lambdaA.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("hello"),
		AuthType: lambdatypes.FunctionUrlAuthTypeNone})).FunctionUrl)
	must(lambdaA.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: lambdatypes.FunctionUrlAuthTypeNone}))
	urlB := b.endpoint + fnURL[strings.Index(fnURL, "/lambda-url/"):]
	getURL := func() (int, string) {
		resp, err := http.Get(urlB)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := getURL(); code != 200 || body != `"Hello from Lambda!"` {
		t.Fatalf("function URL through node B: %d %s", code, body)
	}
	getURL() // warm
	must(lambdaC.RemovePermission(ctx, &lambdasdk.RemovePermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("public")}))
	eventually("permission removed", func() (bool, any) { code, body := getURL(); return code == 403, fmt.Sprint(code, " ", body) })

	// Node B says that it caches and how many changes it heard.
	resp, err := http.Get(b.endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scrape, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^fnurl_read_cache_enabled 1$`).Match(scrape) {
		t.Errorf("node B's metrics do not say its read cache is on:\n%s", scrape)
	}
	changes := -1
	if m := regexp.MustCompile(`(?m)^fnurl_store_changes_total (\d+)$`).FindSubmatch(scrape); m != nil {
		changes, _ = strconv.Atoi(string(m[1]))
	}
	if changes < 5 {
		t.Errorf("fnurl_store_changes_total on node B = %d, want at least the 5 changes above", changes)
	}

	// Writes through every node, then kill -9 node B.
	var created []string
	for i, p := range nodes {
		cl, _ := client(p, rootID, rootSecret)
		for j := range 5 {
			name := fmt.Sprintf("n%d-u%d", i, j)
			must(cl.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}))
			created = append(created, name)
		}
	}
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	b.cmd.Wait()
	if err := getUser(); err == nil {
		t.Fatal("node B still answers after kill -9")
	}
	for _, p := range []*process{a, c} {
		cl, _ := client(p, rootID, rootSecret)
		must(cl.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after-" + p.endpoint[len(p.endpoint)-5:])}))
		out, err := cl.ListUsers(ctx, &iamsdk.ListUsersInput{})
		if err != nil {
			t.Fatalf("ListUsers on %s after node B died: %v", p.endpoint, err)
		}
		have := map[string]bool{}
		for _, u := range out.Users {
			have[aws.ToString(u.UserName)] = true
		}
		for _, name := range append(created, "alice") {
			if !have[name] {
				t.Errorf("%s: user %s lost", p.endpoint, name)
			}
		}
		// alice's key still works on the surviving nodes.
		_, s := client(p, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
		if _, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Errorf("alice's key on %s after node B died: %v", p.endpoint, err)
		}
	}
}

// TestMigrateToPostgres copies an embedded store into PostgreSQL with
// "fnurl migrate" and serves from the copy.
func TestMigrateToPostgres(t *testing.T) {
	url := pgtest.URL(t)
	dir := t.TempDir()
	master := randomMasterKey(t)
	env := map[string]string{"FNURL_MASTER_KEY": master}
	ts := startServer(t, dir, env)
	rootID, rootSecret := rootCreds(t, dir)
	root, _ := sdkClients(ts, rootID, rootSecret, "")
	ctx := context.Background()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/team/")}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey
	_, s := sdkClients(ts, rootID, rootSecret, "")
	account := aws.ToString(must(s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).Account)
	ts.Stop(t)

	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	if err := run(ctx, []string{"migrate", "--from", dir, "--to", url}, getenv, &out, &errOut); err != nil {
		t.Fatalf("fnurl migrate: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "users ") || !strings.Contains(out.String(), "copied ") {
		t.Errorf("migrate output:\n%s", out.String())
	}
	// A second run refuses: the target is no longer empty.
	if err := run(ctx, []string{"migrate", "--from", dir, "--to", url}, getenv, &out, &errOut); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second migrate: %v, want a not-empty error", err)
	}

	// A node with another data directory, the same master key and the
	// store URL serves everything: root key, account, bob and bob's key.
	ts2 := startServer(t, t.TempDir(), env, "--store", url)
	root2, sts2 := sdkClients(ts2, rootID, rootSecret, "")
	if got := aws.ToString(must(sts2.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).Account); got != account {
		t.Errorf("account after migrate = %s, want %s", got, account)
	}
	u := must(root2.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")})).User
	if aws.ToString(u.Path) != "/team/" {
		t.Errorf("bob's path = %s", aws.ToString(u.Path))
	}
	_, bobSTS := sdkClients(ts2, aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	if _, err := bobSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("bob's key after migrate: %v", err)
	}
}
