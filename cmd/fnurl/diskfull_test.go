package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// TestDiskFull runs the server on a small file system, fills it up under a
// stream of IAM writes, and checks that the writes that no longer fit fail
// with a clear AWS-shaped error (500, saying the storage is full) rather
// than hanging or crashing the server; that once space is freed the same
// server takes writes again; and that after a restart every acknowledged
// write is there and the database is intact.
func TestDiskFull(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "data")
	const id, secret = "AKIAFNURLDISKFULL001", "diskFullTestSecret0123456789abcdefghijkl"
	env := []string{"FNURL_ROOT_ACCESS_KEY_ID=" + id, "FNURL_ROOT_SECRET_ACCESS_KEY=" + secret}
	p := startProcess(t, dir, env)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	client, _ := sdkClients(&testServer{Endpoint: p.endpoint}, id, secret, "")
	ctx := context.Background()

	// Leave a little room, then write until the file system is full.
	filler := filepath.Join(mnt, "filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filler, make([]byte, max(0, free-512<<10)), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:*:*:function:` +
		strings.Repeat("x", 1500) + `"}]}`
	var acked []string
	var fullErr error
	for i := 0; i < 2000 && fullErr == nil; i++ {
		name := fmt.Sprintf("u%04d", i)
		if _, err := client.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
			fullErr = err
			break
		}
		acked = append(acked, name)
		if _, err := client.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(doc)}); err != nil {
			fullErr = err
		}
	}
	if fullErr == nil {
		t.Fatalf("%d users written and the file system is not full", len(acked))
	}
	var api smithy.APIError
	if !errors.As(fullErr, &api) || api.ErrorCode() != "ServiceUnavailable" && api.ErrorCode() != "InternalFailure" ||
		!strings.Contains(strings.ToLower(api.ErrorMessage()), "storage is full") {
		t.Errorf("write on a full disk failed with %v; want a clear storage-full error", fullErr)
	}
	t.Logf("after %d users: %v", len(acked), fullErr)
	// Reads still work.
	if _, err := client.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String(acked[0])}); err != nil {
		t.Errorf("read on a full disk: %v", err)
	}

	// Free the space: the same server takes writes again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after")}); err != nil {
		t.Fatalf("write after freeing space: %v", err)
	}
	acked = append(acked, "after")

	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "fnurl.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	users, err := db.ListUsers(ctx, "/", "", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, u := range users {
		present[u.Name] = true
	}
	for _, name := range acked {
		if !present[name] {
			t.Errorf("acknowledged user %s lost", name)
		}
	}
}
