package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// buildBinary builds cmd/fnurl once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "fnurl-bin-")
	if err != nil {
		return "", err
	}
	binDir.Store(&dir)
	bin := filepath.Join(dir, "fnurl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// binDir is buildBinary's directory, once it has made one.
var binDir atomic.Pointer[string]

// removeBinary deletes what buildBinary built (TestMain calls it).
func removeBinary() {
	if dir := binDir.Load(); dir != nil {
		os.RemoveAll(*dir)
	}
}

// process is a fnurl server running as a child process.
type process struct {
	cmd      *exec.Cmd
	endpoint string
}

// startProcess starts a server process logging at warn level; args are
// added to its command line (a later flag wins).
func startProcess(t *testing.T, dataDir string, env []string, args ...string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := endpointRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case ep := <-found:
		return &process{cmd: cmd, endpoint: ep}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("server process did not start")
	}
	return nil
}

// TestKill9LosesNoAcknowledgedWrite kills the server with SIGKILL in the
// middle of a stream of IAM writes, Lambda writes (aliases) and function
// invocations, 20 times, and checks after each kill that every write the
// server acknowledged is there and the database is intact, that no function
// process outlives the server, and after each restart that the function
// runs again (a cold start over what the killed server left behind).
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills 20 server processes")
	}
	dir := t.TempDir()
	const id, secret = "AKIAFNURLCRASHTEST01", "crashTestSecret0123456789abcdefghijklmno"
	env := []string{"FNURL_ROOT_ACCESS_KEY_ID=" + id, "FNURL_ROOT_SECRET_ACCESS_KEY=" + secret}
	acked, ackedAliases := map[string]bool{}, map[string]bool{}
	var invocations int64
	environments := 0
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		p := startProcess(t, dir, env)
		ts := &testServer{Endpoint: p.endpoint}
		client, _ := sdkClients(ts, id, secret, "")
		lc := lambdaClient(ts, id, secret, "")
		if round == 0 {
			createEcho(t, ts, id, secret)
		}
		// The function starts on a server that replaces a killed one.
		if _, err := lc.Invoke(context.Background(), &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"round":1}`)}); err != nil {
			t.Fatalf("round %d: invoke after restart: %v", round, err)
		}

		// Four writers create users until the server dies under them.
		var mu sync.Mutex
		var wg sync.WaitGroup
		ctx, cancel := context.WithCancel(context.Background())
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					name := fmt.Sprintf("r%02d-w%d-%04d", round, w, i)
					if _, err := client.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err == nil {
						mu.Lock()
						acked[name] = true
						mu.Unlock()
					} else if strings.Contains(err.Error(), "connection refused") {
						return
					}
				}
			}()
		}
		// One writer creates aliases, two invoke the function.
		var invoked atomic.Int64
		wg.Add(3)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("a%02d-%04d", round, i)
				if _, err := lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("echo"), Name: aws.String(name),
					FunctionVersion: aws.String("$LATEST")}); err == nil {
					mu.Lock()
					ackedAliases[name] = true
					mu.Unlock()
				} else if strings.Contains(err.Error(), "connection refused") {
					return
				}
			}
		}()
		for range 2 {
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					if _, err := lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{}`)}); err == nil {
						invoked.Add(1)
					} else if strings.Contains(err.Error(), "connection refused") {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		groups := childGroups(p.cmd.Process.Pid)
		environments += len(groups)
		if len(groups) == 0 {
			t.Errorf("round %d: no function process found before the kill, so the check after it proves nothing", round)
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		cancel()
		wg.Wait()
		invocations += invoked.Load()
		// Function processes die with the server that started them.
		deadline := time.Now().Add(10 * time.Second)
		for _, g := range groups {
			for n := processesInGroup(g); n > 0; n = processesInGroup(g) {
				if time.Now().After(deadline) {
					t.Fatalf("round %d: %d function processes of group %d outlived the killed server", round, n, g)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}

		db, err := sqlite.Open(context.Background(), filepath.Join(dir, "fnurl.db"))
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		if err := db.IntegrityCheck(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		present := map[string]bool{}
		users, err := db.ListUsers(context.Background(), "/", "", 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			present[u.Name] = true
		}
		aliases, err := db.ListAliases(context.Background(), "echo")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aliases {
			present["alias "+a.Name] = true
		}
		db.Close()
		mu.Lock()
		for name := range acked {
			if !present[name] {
				t.Errorf("round %d: acknowledged user %s lost after kill -9", round, name)
			}
		}
		for name := range ackedAliases {
			if !present["alias "+name] {
				t.Errorf("round %d: acknowledged alias %s lost after kill -9", round, name)
			}
		}
		mu.Unlock()
	}
	if len(ackedAliases) < 20 || invocations < 100 {
		t.Errorf("only %d alias writes and %d invocations in 20 rounds; the test did not exercise them", len(ackedAliases), invocations)
	}
	t.Logf("%d acknowledged aliases survived too, with %d invocations in flight; the processes of %d environments died with their server",
		len(ackedAliases), invocations, environments)
	if len(acked) < 100 {
		t.Errorf("only %d writes were acknowledged in 20 rounds; the test did not exercise the store", len(acked))
	}
	t.Logf("%d acknowledged writes survived 20 kill -9 rounds", len(acked))
}

// createEcho creates the function echo (aws-lambda-go) with an execution
// role, as root.
func createEcho(t *testing.T, ts *testServer, id, secret string) {
	t.Helper()
	pkg, err := echoPackage()
	if err != nil {
		t.Fatal(err)
	}
	_, lc, role := rootLambda(t, ts, id, secret)
	must(lc.CreateFunction(context.Background(), &lambdasdk.CreateFunctionInput{FunctionName: aws.String("echo"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: role.Arn, Code: &types.FunctionCode{ZipFile: pkg}}))
}

// childGroups returns the process groups of pid's live children: the
// function environments of a server, each in its own group.
func childGroups(pid int) []int {
	var groups []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil || e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[0] != "Z" && f[1] == strconv.Itoa(pid) {
			if g, err := strconv.Atoi(f[2]); err == nil && g != pid {
				groups = append(groups, g)
			}
		}
	}
	return groups
}
