package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// TestSoak runs 100 concurrent clients against a signed (AWS_IAM) function
// URL of a warm Go function for FNURL_SOAK_DURATION (default 60 s) on
// loopback, against a server running as its own process. Every request
// carries a unique body; every answer must be 200 and echo exactly that
// body (no crossed responses) under an invocation ID no other answer has
// (no duplicated ones), and every request must get an answer (no lost ones).
// The only error allowed is Lambda's throttling (429), which 100 clients
// against at most 64 environments may provoke. The server's resident memory
// is reported before, a quarter of the way in, and at the end, and must not
// keep growing.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a 60-second load test")
	}
	duration := time.Minute
	if v := os.Getenv("FNURL_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FNURL_SOAK_DURATION: %v", err)
		}
		duration = d
	}
	const clients = 100
	dir := t.TempDir()
	const id, secret = "AKIAFNURLSOAKTEST001", "soakTestSecret0123456789abcdefghijklmnop"
	p := startProcess(t, dir, []string{"FNURL_ROOT_ACCESS_KEY_ID=" + id, "FNURL_ROOT_SECRET_ACCESS_KEY=" + secret})
	defer func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}()
	ts := &testServer{Endpoint: p.endpoint}
	createEcho(t, ts, id, secret)
	lc := lambdaClient(ts, id, secret, "")
	fnURL := aws.ToString(must(lc.CreateFunctionUrlConfig(context.Background(), &lambdasdk.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("echo"), AuthType: types.FunctionUrlAuthTypeAwsIam})).FunctionUrl)
	creds := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	pid := p.cmd.Process.Pid
	rssBefore := rssKB(t, pid)

	var (
		sent, ok, throttled atomic.Int64
		mu                  sync.Mutex
		invocations         = map[string]string{} // invocation ID → request body
		failures            []string
		rssQuarter          int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	deadline := time.Now().Add(duration)
	go func() {
		time.Sleep(duration / 4)
		atomic.StoreInt64(&rssQuarter, rssKB(t, pid))
	}()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
			defer client.CloseIdleConnections()
			for seq := 0; time.Now().Before(deadline); seq++ {
				body := fmt.Sprintf(`{"client":%d,"seq":%d}`, c, seq)
				req, _ := http.NewRequest("POST", fnURL+"soak?client="+strconv.Itoa(c), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if err := sigv4.Sign(req, sigv4.PayloadHash([]byte(body)), creds, "us-east-1", "lambda", time.Now()); err != nil {
					fail("sign: %v", err)
					return
				}
				sent.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					fail("client %d request %d lost: %v", c, seq, err)
					continue
				}
				out, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					fail("client %d request %d: reading the answer: %v", c, seq, err)
					continue
				}
				if resp.StatusCode == http.StatusTooManyRequests {
					throttled.Add(1)
					continue
				}
				if resp.StatusCode != 200 {
					fail("client %d request %d: %d %s", c, seq, resp.StatusCode, out)
					continue
				}
				var echoed struct {
					Event struct {
						Body string `json:"body"`
					} `json:"event"`
					RequestID string `json:"awsRequestId"`
				}
				if err := json.Unmarshal(out, &echoed); err != nil || echoed.RequestID == "" {
					fail("client %d request %d: answer %q", c, seq, out)
					continue
				}
				if echoed.Event.Body != body {
					fail("client %d request %d: crossed answer: sent %s, got the answer to %s", c, seq, body, echoed.Event.Body)
					continue
				}
				mu.Lock()
				if prev, dup := invocations[echoed.RequestID]; dup {
					mu.Unlock()
					fail("invocation %s answered both %s and %s", echoed.RequestID, prev, body)
					continue
				}
				invocations[echoed.RequestID] = body
				mu.Unlock()
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	rssAfter := rssKB(t, pid)
	for _, f := range failures {
		t.Error(f)
	}
	if got := ok.Load() + throttled.Load(); got != sent.Load() {
		t.Errorf("%d requests sent, %d answered", sent.Load(), got)
	}
	if ok.Load() < int64(clients) {
		t.Errorf("only %d requests succeeded", ok.Load())
	}
	quarter := atomic.LoadInt64(&rssQuarter)
	t.Logf("%d clients for %v: %d requests, %d answered 200 (%.0f/s), %d throttled; server RSS %d KB idle, %d KB a quarter in, %d KB at the end",
		clients, duration, sent.Load(), ok.Load(), float64(ok.Load())/duration.Seconds(), throttled.Load(), rssBefore, quarter, rssAfter)
	// Flat: whatever the server needed for the load it had a quarter of the
	// way in; it may not keep growing after that.
	if quarter > 0 && rssAfter > quarter+quarter/4+16<<10 {
		t.Errorf("server RSS grew from %d KB to %d KB during the run", quarter, rssAfter)
	}
}

// rssKB returns the resident set size of process pid.
func rssKB(t *testing.T, pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Error(err)
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, found := bytes.CutPrefix(line, []byte("VmRSS:")); found {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
