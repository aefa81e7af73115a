package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// buildBinary builds cmd/fnurl once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "fnurl-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "fnurl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a fnurl server running as a child process.
type process struct {
	cmd      *exec.Cmd
	endpoint string
}

func startProcess(t *testing.T, dataDir string, env []string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn")
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
// middle of a stream of IAM writes, 20 times, and checks after each restart
// that every write the server acknowledged is there and the database is
// intact.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills 20 server processes")
	}
	dir := t.TempDir()
	const id, secret = "AKIAFNURLCRASHTEST01", "crashTestSecret0123456789abcdefghijklmno"
	env := []string{"FNURL_ROOT_ACCESS_KEY_ID=" + id, "FNURL_ROOT_SECRET_ACCESS_KEY=" + secret}
	acked := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		p := startProcess(t, dir, env)
		ts := &testServer{Endpoint: p.endpoint}
		client, _ := sdkClients(ts, id, secret, "")

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
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		cancel()
		wg.Wait()

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
		db.Close()
		mu.Lock()
		for name := range acked {
			if !present[name] {
				t.Errorf("round %d: acknowledged user %s lost after kill -9", round, name)
			}
		}
		mu.Unlock()
	}
	if len(acked) < 100 {
		t.Errorf("only %d writes were acknowledged in 20 rounds; the test did not exercise the store", len(acked))
	}
	t.Logf("%d acknowledged writes survived 20 kill -9 rounds", len(acked))
}
