package sandbox_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/runtimeapi"
	"github.com/fnurl/fnurl/internal/sandbox"
)

var (
	bootOnce sync.Once
	bootBin  []byte
	bootZip  []byte
	bootErr  error
	bootMu   sync.Mutex
)

// bootstrapZip builds testdata/bootstrap and zips it as "bootstrap".
func bootstrapZip(t testing.TB) []byte {
	t.Helper()
	bootMu.Lock()
	defer bootMu.Unlock()
	bootOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fnurl-sandbox-test-")
		if err != nil {
			bootErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", out, "./testdata/bootstrap")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			bootErr = fmt.Errorf("go build: %v\n%s", err, b)
			return
		}
		bootBin, bootErr = os.ReadFile(out)
	})
	if bootErr != nil {
		t.Fatal(bootErr)
	}
	if bootZip == nil {
		bootZip = zipFiles(t, map[string]zipFile{"bootstrap": {bootBin, 0o755}})
	}
	return bootZip
}

type zipFile struct {
	data []byte
	mode os.FileMode
}

func zipFiles(t testing.TB, files map[string]zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, f := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newManager(t testing.TB, cfg sandbox.Config) *sandbox.Manager {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "functions")
	}
	m, err := sandbox.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newFunction(name, runtime, handler string, code []byte) *sandbox.Function {
	sum := sha256.Sum256(code)
	return &sandbox.Function{
		ARN:        "arn:aws:lambda:us-east-1:123456789012:function:" + name,
		Name:       name,
		Version:    "$LATEST",
		Runtime:    runtime,
		Handler:    handler,
		Code:       code,
		CodeSha256: base64.StdEncoding.EncodeToString(sum[:]),
		Revision:   "r1",
		Timeout:    3 * time.Second,
		MemoryMB:   128,
		Region:     "us-east-1",
	}
}

var reqSeq struct {
	sync.Mutex
	n int
}

func reqID() string {
	reqSeq.Lock()
	defer reqSeq.Unlock()
	reqSeq.n++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", reqSeq.n)
}

func invoke(t testing.TB, m *sandbox.Manager, fn *sandbox.Function, payload string) (*sandbox.Response, string) {
	t.Helper()
	id := reqID()
	res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: id, Payload: []byte(payload), LogTail: true})
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return res, id
}

func TestEchoColdAndWarm(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("echo", "provided.al2023", "", bootstrapZip(t))
	res, id := invoke(t, m, fn, `{"hello":"world"}`)
	if got, want := string(res.Payload), `{"hello":"world"}`; got != want {
		t.Fatalf("payload = %s, want %s", got, want)
	}
	if res.FunctionError != "" {
		t.Fatalf("FunctionError = %q", res.FunctionError)
	}
	if res.InitDuration <= 0 {
		t.Errorf("cold start InitDuration = %v, want > 0", res.InitDuration)
	}
	tail := string(res.LogTail)
	for _, want := range []string{
		"START RequestId: " + id + " Version: $LATEST\n",
		"handling " + id + "\n",
		"END RequestId: " + id + "\n",
		"REPORT RequestId: " + id + "\tDuration: ",
		"Memory Size: 128 MB\tMax Memory Used: ",
		"Init Duration: ",
		"init done\n",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("log tail lacks %q:\n%s", want, tail)
		}
	}
	res2, id2 := invoke(t, m, fn, `[1,2,3]`)
	if got, want := string(res2.Payload), `[1,2,3]`; got != want {
		t.Fatalf("payload = %s, want %s", got, want)
	}
	if res2.InitDuration != 0 {
		t.Errorf("warm InitDuration = %v, want 0", res2.InitDuration)
	}
	if strings.Contains(string(res2.LogTail), "Init Duration") || !strings.Contains(string(res2.LogTail), id2) {
		t.Errorf("warm log tail:\n%s", res2.LogTail)
	}
	if got, want := m.Environments("echo"), 1; got != want {
		t.Errorf("Environments = %d, want %d", got, want)
	}
	evs := m.Logs("echo", time.Time{})
	var lines []string
	for _, e := range evs {
		if e.RequestID == id2 {
			lines = append(lines, e.Message)
		}
	}
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "START") || lines[1] != "handling "+id2 || lines[2] != "END RequestId: "+id2 || !strings.HasPrefix(lines[3], "REPORT") {
		t.Errorf("events of %s = %q", id2, lines)
	}
	re := regexp.MustCompile(`^REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t$`)
	if !re.MatchString(lines[3]) {
		t.Errorf("REPORT line %q does not match %s", lines[3], re)
	}
}

func TestEnvironment(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("envfn", "provided.al2", "", bootstrapZip(t))
	fn.Version = "3"
	fn.Env = map[string]string{"MY_VAR": "x", "AWS_LAMBDA_FUNCTION_NAME": "spoofed", "TZ": "Europe/Paris"}
	fn.Credentials = func(context.Context) (string, string, string, error) {
		return "ASIAEXAMPLE", "secret", "token", nil
	}
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"a":"b"}}`))
	before := time.Now()
	res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: "11111111-2222-4333-8444-555555555555",
		Payload: []byte(`{"env":true}`), ClientContext: cc, TraceID: "Root=1-abc"})
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("%v: %s", err, res.Payload)
	}
	want := map[string]string{
		"env:AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"env:AWS_LAMBDA_FUNCTION_VERSION":     "3",
		"env:AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"env:AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"env:AWS_REGION":                      "us-east-1",
		"env:AWS_DEFAULT_REGION":              "us-east-1",
		"env:MY_VAR":                          "x",
		"env:TZ":                              "Europe/Paris",
		"env:LANG":                            "en_US.UTF-8",
		"env:GOMAXPROCS":                      "1", // 128 MB: Lambda's share of one vCPU
		"env:GODEBUG":                         "schedtrace=2147483647",
		"env:AWS_ACCESS_KEY_ID":               "ASIAEXAMPLE",
		"env:AWS_SECRET_ACCESS_KEY":           "secret",
		"env:AWS_SESSION_TOKEN":               "token",
		"arn":                                 fn.ARN + ":3",
		"trace":                               "Root=1-abc",
		"client_context":                      `{"custom":{"a":"b"}}`,
		"pgid":                                got["pid"],
	}
	if os.Geteuid() == 0 {
		// A user of its own, from the environments' range.
		if uid, err := strconv.Atoi(got["uid"]); err != nil || uid < 0x7f000000 {
			t.Errorf("uid = %q, want one of the environments' own (from %d)", got["uid"], 0x7f000000)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"env:AWS_LAMBDA_RUNTIME_API", "env:LAMBDA_TASK_ROOT", "env:LAMBDA_RUNTIME_DIR", "env:AWS_LAMBDA_LOG_STREAM_NAME", "env:PATH"} {
		if got[k] == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if _, ok := got["env:FNURL_SANDBOX_SHIM"]; ok {
		t.Errorf("the shim's variable reached the function")
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[3\][0-9a-f]{32}$`).MatchString(got["env:AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("log stream name %q", got["env:AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	var dl int64
	fmt.Sscan(got["deadline"], &dl)
	// The deadline is the timeout (3 s) after the event was handed over,
	// which is after the call began and before it returned (a cold start
	// on a loaded machine can take seconds).
	if dead := time.UnixMilli(dl); dead.Before(before.Add(3*time.Second-time.Millisecond)) || dead.After(after.Add(3*time.Second)) {
		t.Errorf("deadline is %v after the call began and %v after it returned, want 3 s after the hand-over",
			dead.Sub(before), dead.Sub(after))
	}
	if _, err := os.Stat(filepath.Join(got["env:LAMBDA_TASK_ROOT"], "bootstrap")); err != nil {
		t.Errorf("LAMBDA_TASK_ROOT: %v", err)
	}
}

var timeoutRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) Task timed out after 1\.00 seconds$`)

func errorBody(t *testing.T, p []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(p, &v); err != nil {
		t.Fatalf("error payload %s: %v", p, err)
	}
	return v
}

func TestFaults(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	code := bootstrapZip(t)
	tests := []struct {
		name  string
		event string
		check func(t *testing.T, id string, res *sandbox.Response)
	}{
		{"timeout", `{"sleep_ms":5000}`, func(t *testing.T, id string, res *sandbox.Response) {
			v := errorBody(t, res.Payload)
			msg, _ := v["errorMessage"].(string)
			mm := timeoutRE.FindStringSubmatch(msg)
			if mm == nil || mm[1] != id {
				t.Errorf("errorMessage = %q, want %s", msg, timeoutRE)
			}
			if len(v) != 1 {
				t.Errorf("timeout body = %s", res.Payload)
			}
			if !strings.Contains(string(res.LogTail), msg) {
				t.Errorf("log tail lacks the timeout line:\n%s", res.LogTail)
			}
		}},
		{"exit", `{"exit":1}`, func(t *testing.T, id string, res *sandbox.Response) {
			v := errorBody(t, res.Payload)
			if got, want := v["errorType"], "Runtime.ExitError"; got != want {
				t.Errorf("errorType = %v, want %v", got, want)
			}
			if got, want := v["errorMessage"], "RequestId: "+id+" Error: Runtime exited with error: exit status 1"; got != want {
				t.Errorf("errorMessage = %v, want %v", got, want)
			}
		}},
		{"returned error", `{"fail":"it broke"}`, func(t *testing.T, id string, res *sandbox.Response) {
			v := errorBody(t, res.Payload)
			if v["errorType"] != "MyError" || v["errorMessage"] != "it broke" {
				t.Errorf("body = %s", res.Payload)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := newFunction("fault-"+strings.ReplaceAll(tc.name, " ", "-"), "provided.al2023", "", code)
			fn.Timeout = time.Second
			invoke(t, m, fn, `{"warm":1}`) // a warm environment first
			res, id := invoke(t, m, fn, tc.event)
			if got, want := res.FunctionError, "Unhandled"; got != want {
				t.Errorf("FunctionError = %q, want %q", got, want)
			}
			tc.check(t, id, res)
			res, _ = invoke(t, m, fn, `{"after":true}`)
			if got, want := string(res.Payload), `{"after":true}`; got != want || res.FunctionError != "" {
				t.Errorf("next invocation = %s (%q), want %s", got, res.FunctionError, want)
			}
		})
	}
	t.Run("init failure", func(t *testing.T) {
		fn := newFunction("fault-init", "provided.al2023", "", code)
		fn.Env = map[string]string{"FN_INIT_FAIL": "1"}
		res, _ := invoke(t, m, fn, `{}`)
		if res.FunctionError != "Unhandled" {
			t.Errorf("FunctionError = %q", res.FunctionError)
		}
		if got, want := string(res.Payload), `{"errorMessage":"init failed on purpose","errorType":"InitFailed"}`; got != want {
			t.Errorf("payload = %s, want %s", got, want)
		}
		if !strings.Contains(string(res.LogTail), "initialisation is failing on purpose") {
			t.Errorf("log tail lacks the init output:\n%s", res.LogTail)
		}
		if got := m.Environments("fault-init"); got != 0 {
			t.Errorf("Environments = %d after a failed init", got)
		}
		fn.Env = nil
		fn.Revision = "r2"
		res, _ = invoke(t, m, fn, `"fixed"`)
		if got, want := string(res.Payload), `"fixed"`; got != want {
			t.Errorf("after the fix: %s, want %s", got, want)
		}
	})
	t.Run("exit after answering", func(t *testing.T) {
		fn := newFunction("fault-exit-after", "provided.al2023", "", code)
		res, _ := invoke(t, m, fn, `{"exit_after":true}`)
		if res.FunctionError != "" {
			t.Fatalf("%s", res.Payload)
		}
		time.Sleep(100 * time.Millisecond) // the runtime is gone by now
		res, _ = invoke(t, m, fn, `"next"`)
		if got, want := string(res.Payload), `"next"`; got != want || res.FunctionError != "" {
			t.Errorf("next invocation = %s, want %s (on a new environment)", got, want)
		}
	})
	t.Run("code does not match CodeSha256", func(t *testing.T) {
		m := newManager(t, sandbox.Config{}) // nothing extracted yet
		fn := newFunction("fault-sha", "provided.al2023", "", code)
		fn.Code = zipFiles(t, map[string]zipFile{"bootstrap": {[]byte("#!/bin/sh\n"), 0o755}})
		if _, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID()}); !errors.Is(err, sandbox.ErrBadPackage) {
			t.Errorf("err = %v, want ErrBadPackage", err)
		}
		if got := m.Environments("fault-sha"); got != 0 {
			t.Errorf("Environments = %d", got)
		}
	})
	t.Run("no bootstrap", func(t *testing.T) {
		fn := newFunction("fault-nobootstrap", "provided.al2023", "", zipFiles(t, map[string]zipFile{"main": {[]byte("x"), 0o755}}))
		res, id := invoke(t, m, fn, `{}`)
		v := errorBody(t, res.Payload)
		if v["errorType"] != "Runtime.InvalidEntrypoint" || !strings.Contains(v["errorMessage"].(string), "RequestId: "+id+" Error: Couldn't find valid bootstrap(s)") {
			t.Errorf("body = %s", res.Payload)
		}
	})
}

func TestStreaming(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("stream", "provided.al2023", "", bootstrapZip(t))
	fn.Timeout = 10 * time.Second
	invoke(t, m, fn, `{}`)
	start := time.Now()
	res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{"stream":3,"pause_ms":1500}`)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream == nil {
		t.Fatalf("no stream; payload %s", res.Payload)
	}
	defer res.Stream.Close()
	buf := make([]byte, 64)
	n, err := res.Stream.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	// The function pauses 1.5 s after each chunk: a buffered answer could
	// not deliver the first chunk before then.
	if got, want := string(buf[:n]), "chunk 0\n"; got != want {
		t.Fatalf("first read = %q, want %q", got, want)
	}
	if el := time.Since(start); el >= 1500*time.Millisecond {
		t.Fatalf("first chunk after %v: not streamed", el)
	}
	rest, err := io.ReadAll(res.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(rest), "chunk 1\nchunk 2\n"; got != want {
		t.Errorf("rest = %q, want %q", got, want)
	}

	t.Run("error trailer", func(t *testing.T) {
		res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{"stream":2,"stream_fail":"x"}`)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Stream)
		res.Stream.Close()
		var se *runtimeapi.StreamError
		if !errors.As(err, &se) || se.Type != "StreamFailed" || string(se.Body) != `{"errorMessage":"boom"}` {
			t.Fatalf("err = %v (%+v), want a StreamError", err, se)
		}
		if got, want := string(b), "chunk 0\nchunk 1\n"; got != want {
			t.Errorf("body = %q, want %q", got, want)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		fn := newFunction("stream-timeout", "provided.al2023", "", bootstrapZip(t))
		fn.Timeout = time.Second
		res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{"stream":5,"pause_ms":400}`)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Stream)
		res.Stream.Close()
		if err == nil || !strings.Contains(err.Error(), "Task timed out after 1.00 seconds") {
			t.Errorf("err = %v, want a timeout", err)
		}
		if !strings.HasPrefix(string(b), "chunk 0\nchunk 1\n") {
			t.Errorf("body = %q", b)
		}
		res2, _ := invoke(t, m, fn, `"again"`)
		if string(res2.Payload) != `"again"` {
			t.Errorf("after a streaming timeout: %s", res2.Payload)
		}
	})
}

func TestConcurrency(t *testing.T) {
	m := newManager(t, sandbox.Config{MaxEnvironments: 16, IdleTimeout: 300 * time.Millisecond})
	fn := newFunction("conc", "provided.al2023", "", bootstrapZip(t))
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak, throttled := 0, 0
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := fmt.Sprintf(`{"sleep_ms":20,"n":%d}`, i)
			for attempt := 0; ; attempt++ {
				res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(payload)})
				if errors.Is(err, sandbox.ErrTooManyRequests) && attempt < 1000 {
					mu.Lock()
					throttled++
					mu.Unlock()
					time.Sleep(5 * time.Millisecond)
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if string(res.Payload) != payload {
					errs <- fmt.Errorf("request %d got %s", i, res.Payload)
				}
				break
			}
			mu.Lock()
			peak = max(peak, m.Environments("conc"))
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if peak <= 1 || peak > 16 {
		t.Errorf("peak environments = %d, want 2..16", peak)
	}
	t.Logf("peak %d environments, %d throttled attempts", peak, throttled)
	deadline := time.Now().Add(5 * time.Second)
	for m.Environments("conc") > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := m.Environments("conc"); got != 0 {
		t.Errorf("Environments = %d after the idle timeout, want 0", got)
	}
}

func TestThrottling(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	code := bootstrapZip(t)
	t.Run("reserved zero", func(t *testing.T) {
		fn := newFunction("reserved0", "provided.al2023", "", code)
		fn.ReservedConcurrency = -1
		if _, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID()}); !errors.Is(err, sandbox.ErrTooManyRequests) {
			t.Fatalf("err = %v, want ErrTooManyRequests", err)
		}
	})
	t.Run("reserved two", func(t *testing.T) {
		fn := newFunction("reserved2", "provided.al2023", "", code)
		fn.ReservedConcurrency = 2
		var wg sync.WaitGroup
		results := make(chan error, 3)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{"sleep_ms":1000}`)})
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		ok, thr := 0, 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, sandbox.ErrTooManyRequests):
				thr++
			default:
				t.Error(err)
			}
		}
		if ok != 2 || thr != 1 {
			t.Errorf("%d succeeded, %d throttled; want 2 and 1", ok, thr)
		}
	})
}

func TestRevisionRetiresEnvironments(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("rev", "provided.al2023", "", bootstrapZip(t))
	invoke(t, m, fn, `{}`)
	fn2 := *fn
	fn2.Revision = "r2"
	fn2.Env = map[string]string{"NEW": "1"}
	res, _ := invoke(t, m, &fn2, `{"env":true}`)
	if !strings.Contains(string(res.Payload), `"env:NEW":"1"`) {
		t.Errorf("new revision did not get its configuration: %s", res.Payload)
	}
	if got, want := m.Environments("rev"), 1; got != want {
		t.Errorf("Environments = %d, want %d (the old revision retired)", got, want)
	}
}

func TestMemoryLimit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the memory cgroup needs root")
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/cgroup.procs"); err != nil {
		t.Skip("no cgroup v1 memory controller")
	}
	m := newManager(t, sandbox.Config{})
	fn := newFunction("mem", "provided.al2023", "", bootstrapZip(t))
	fn.MemoryMB = 64
	res, _ := invoke(t, m, fn, `{"env":true}`)
	var v0 map[string]string
	json.Unmarshal(res.Payload, &v0)
	limits := map[string]string{"memory": "memory.limit_in_bytes", "pids": "pids.max"}
	wants := map[string]string{"memory": strconv.Itoa(64 << 20), "pids": "1024"}
	for _, line := range strings.Split(v0["cgroup"], "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || limits[f[1]] == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", f[1], f[2], limits[f[1]]))
		if err != nil {
			t.Errorf("%s cgroup %s: %v", f[1], f[2], err)
			continue
		}
		if got := strings.TrimSpace(string(b)); got != wants[f[1]] {
			t.Errorf("%s: %s = %s, want %s", f[2], limits[f[1]], got, wants[f[1]])
		}
		delete(limits, f[1])
	}
	if len(limits) != 0 {
		t.Errorf("the function is not in its own %v cgroups:\n%s", limits, v0["cgroup"])
	}
	res, id := invoke(t, m, fn, `{"alloc_mb":200}`)
	v := errorBody(t, res.Payload)
	if got, want := v["errorMessage"], "RequestId: "+id+" Error: Runtime exited with error: signal: killed"; got != want {
		t.Errorf("errorMessage = %v, want %v", got, want)
	}
	res, _ = invoke(t, m, fn, `{"alloc_mb":10}`)
	if got, want := string(res.Payload), `{"allocated":10}`; got != want {
		t.Errorf("small allocation: %s, want %s", got, want)
	}
	if !regexp.MustCompile(`Max Memory Used: ([1-9]\d) MB`).Match(res.LogTail) {
		t.Errorf("REPORT does not show 10-64 MB used:\n%s", res.LogTail)
	}
}

func TestLogs(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("logs", "provided.al2023", "", bootstrapZip(t))
	ctx, cancel := context.WithCancel(context.Background())
	follow := m.Follow(ctx, "logs")
	_, id := invoke(t, m, fn, `{}`)
	// The init output comes through the process's pipe, the START line from
	// the manager: either may be delivered first.
	deadline := time.After(5 * time.Second)
	for seen := false; !seen; {
		select {
		case ev := <-follow:
			seen = ev.Message == "init done"
		case <-deadline:
			t.Fatal("Follow did not deliver the init output")
		}
	}
	cancel()
	for range follow { // closed once ctx ends
	}
	mid := time.Now()
	res, id2 := invoke(t, m, fn, `{"log":20000}`)
	if len(res.LogTail) > 4096 || !strings.Contains(string(res.LogTail), "REPORT RequestId: "+id2) {
		t.Errorf("tail of %d bytes:\n%s", len(res.LogTail), res.LogTail)
	}
	evs := m.Logs("logs", mid)
	if len(evs) == 0 || len(evs) > 10000 {
		t.Fatalf("%d events since mid", len(evs))
	}
	for _, e := range evs {
		if e.RequestID == id {
			t.Errorf("Logs(since) returned an older event: %+v", e)
		}
	}
	var truncated bool
	lines := 0
	for _, e := range evs {
		if strings.Contains(e.Message, "exceeded 1 MB") {
			truncated = true
		}
		if strings.HasPrefix(e.Message, "line ") {
			lines++
		}
	}
	if !truncated || lines > 10000 || lines < 5000 {
		t.Errorf("flood: truncated=%v, %d lines kept", truncated, lines)
	}
}

// TestLogsBeforeEnd checks that what a function wrote before answering is
// recorded before the invocation's END line, invocation after invocation.
func TestLogsBeforeEnd(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("logorder", "provided.al2023", "", bootstrapZip(t))
	invoke(t, m, fn, `{}`)
	for i := range 20 {
		start := time.Now()
		_, id := invoke(t, m, fn, fmt.Sprintf(`{"log":%d}`, 50+i))
		lines, ended := 0, false
		for _, e := range m.Logs("logorder", start) {
			switch {
			case e.RequestID != id:
			case strings.HasPrefix(e.Message, "line "):
				if ended {
					t.Fatalf("invocation %d: output after END: %q", i, e.Message)
				}
				lines++
			case strings.HasPrefix(e.Message, "END "):
				ended = true
			}
		}
		if !ended || lines != 50+i {
			t.Fatalf("invocation %d: END seen %v, %d output lines before it, want %d", i, ended, lines, 50+i)
		}
	}
}

func TestRuntimes(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	if err := m.CheckRuntime("provided.al2023"); err != nil {
		t.Errorf("CheckRuntime(provided.al2023) = %v", err)
	}
	for _, tc := range []struct {
		runtime string
		kind    error
	}{
		{"java21", sandbox.ErrRuntimeUnavailable},
		{"cobol1.0", sandbox.ErrUnknownRuntime},
		{"", sandbox.ErrUnknownRuntime},
	} {
		if err := m.CheckRuntime(tc.runtime); !errors.Is(err, tc.kind) {
			t.Errorf("CheckRuntime(%q) = %v, want %v", tc.runtime, err, tc.kind)
		}
		fn := newFunction("rt", tc.runtime, "x.y", zipFiles(t, map[string]zipFile{"x": {nil, 0o644}}))
		_, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID()})
		var re *sandbox.RuntimeError
		if !errors.Is(err, tc.kind) || !errors.As(err, &re) || re.Runtime != tc.runtime || (tc.runtime != "" && !strings.Contains(err.Error(), tc.runtime)) {
			t.Errorf("%q: err = %v, want %v naming the runtime", tc.runtime, err, tc.kind)
		}
	}
}

func TestUnzip(t *testing.T) {
	raw := func(entries ...[2]string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range entries {
			h := &zip.FileHeader{Name: e[0]}
			if strings.HasPrefix(e[1], "->") {
				h.SetMode(os.ModeSymlink | 0o777)
				e[1] = strings.TrimPrefix(e[1], "->")
			} else {
				h.SetMode(0o644)
			}
			w, _ := zw.CreateHeader(h)
			w.Write([]byte(e[1]))
		}
		zw.Close()
		return buf.Bytes()
	}
	outside := t.TempDir()
	tests := []struct {
		name string
		zip  []byte
		ok   bool
	}{
		{"plain", raw([2]string{"a/b.txt", "x"}, [2]string{"c", "y"}), true},
		{"dotdot", raw([2]string{"../evil", "x"}), false},
		{"nested dotdot", raw([2]string{"a/../../evil", "x"}), false},
		{"absolute", raw([2]string{"/tmp/evil", "x"}), false},
		{"backslash", raw([2]string{`..\evil`, "x"}), false},
		{"symlink escape", raw([2]string{"link", "->" + outside}, [2]string{"link/evil", "x"}), false},
		{"not a zip", []byte("hello"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := sandbox.Unzip(tc.zip, dir)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			// CheckPackage agrees, except on what only extraction sees.
			if cerr := sandbox.CheckPackage(tc.zip); (cerr == nil) != (tc.ok || tc.name == "symlink escape") {
				t.Errorf("CheckPackage = %v", cerr)
			}
			if !tc.ok && !errors.Is(err, sandbox.ErrBadPackage) {
				t.Errorf("err = %v, want ErrBadPackage", err)
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 0 {
				t.Errorf("wrote outside: %v", ents)
			}
		})
	}
	t.Run("too many entries", func(t *testing.T) {
		var e [][2]string
		for i := range 10001 {
			e = append(e, [2]string{fmt.Sprintf("f%d", i), ""})
		}
		if err := sandbox.Unzip(raw(e...), t.TempDir()); !errors.Is(err, sandbox.ErrBadPackage) {
			t.Errorf("err = %v", err)
		}
		if err := sandbox.CheckPackage(raw(e...)); !errors.Is(err, sandbox.ErrBadPackage) {
			t.Errorf("CheckPackage: err = %v", err)
		}
	})
	t.Run("bomb", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("big")
		chunk := make([]byte, 1<<20)
		for range 251 {
			w.Write(chunk)
		}
		zw.Close()
		if err := sandbox.Unzip(buf.Bytes(), t.TempDir()); !errors.Is(err, sandbox.ErrBadPackage) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("modes kept", func(t *testing.T) {
		dir := t.TempDir()
		z := zipFiles(t, map[string]zipFile{"bootstrap": {[]byte("#!/bin/sh\n"), 0o700}, "data": {[]byte("d"), 0o600}})
		if err := sandbox.Unzip(z, dir); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]os.FileMode{"bootstrap": 0o755, "data": 0o644} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode = %v, want %v", name, got, want)
			}
		}
	})
}

func TestCloseStopsEnvironments(t *testing.T) {
	m, err := sandbox.NewManager(sandbox.Config{Dir: filepath.Join(t.TempDir(), "f")})
	if err != nil {
		t.Fatal(err)
	}
	fn := newFunction("closing", "provided.al2023", "", bootstrapZip(t))
	res, _ := invoke(t, m, fn, `{"env":true}`)
	var v map[string]string
	json.Unmarshal(res.Payload, &v)
	var pid int
	fmt.Sscan(v["pid"], &pid)
	if pid <= 1 {
		t.Fatalf("pid %q", v["pid"])
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the environment is not running: %v", err)
	}
	m.Close()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close: kill(%d, 0) = %v, want ESRCH", pid, err)
	}
	if _, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID()}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Invoke after Close: %v", err)
	}
}

func TestRuntimeAPIRefusesOtherProcesses(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	fn := newFunction("peer", "provided.al2023", "", bootstrapZip(t))
	res, _ := invoke(t, m, fn, `{"env":true}`)
	var v map[string]string
	json.Unmarshal(res.Payload, &v)
	api := v["env:AWS_LAMBDA_RUNTIME_API"]
	if api == "" {
		t.Fatal("no AWS_LAMBDA_RUNTIME_API")
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + api + "/2018-06-01/runtime/invocation/next")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a process outside the environment reached its Runtime API: %s", resp.Status)
	}
	// An accepted /next would wait for an event until the client's
	// timeout; a refused connection fails at once.
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was accepted (the request timed out): %v", err)
	}
	res, _ = invoke(t, m, fn, `"still fine"`)
	if got, want := string(res.Payload), `"still fine"`; got != want {
		t.Errorf("after the intrusion: %s, want %s", got, want)
	}
}

// TestServerDeathKillsFunctions SIGKILLs a server process (this test
// binary, re-executed) and checks that its function process dies with it
// (Pdeathsig), though the function runs in its own process group.
func TestServerDeathKillsFunctions(t *testing.T) {
	if os.Getenv("FNURL_SANDBOX_TEST_SERVER") == "1" {
		m, err := sandbox.NewManager(sandbox.Config{Dir: os.Getenv("FNURL_SANDBOX_TEST_DIR")})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		code, _ := os.ReadFile(os.Getenv("FNURL_SANDBOX_TEST_ZIP"))
		fn := newFunction("orphan", "provided.al2023", "", code)
		res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{"env":true}`)})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		var v map[string]string
		json.Unmarshal(res.Payload, &v)
		// Keep the function busy in a sleep: only the death signal, not a
		// broken Runtime API connection, can end it now.
		fn.Timeout = 2 * time.Minute
		go m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{"sleep_ms":60000}`)})
		time.Sleep(300 * time.Millisecond)
		fmt.Println("pid", v["pid"])
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "code.zip")
	if err := os.WriteFile(zipPath, bootstrapZip(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDeathKillsFunctions$")
	cmd.Env = append(os.Environ(), "FNURL_SANDBOX_TEST_SERVER=1", "FNURL_SANDBOX_TEST_DIR="+filepath.Join(dir, "f"), "FNURL_SANDBOX_TEST_ZIP="+zipPath)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var word string
	var pid int
	if _, err := fmt.Fscan(out, &word, &pid); err != nil || word != "pid" || pid <= 1 {
		t.Fatalf("server said %q %d (%v)", word, pid, err)
	}
	if !alive(pid) {
		t.Fatalf("function %d is not running", pid)
	}
	serverPID := cmd.Process.Pid
	cmd.Process.Kill()
	cmd.Wait()
	defer func() {
		// The next manager sweeps what the killed server left behind.
		m := newManager(t, sandbox.Config{})
		m.Close()
		left, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("fnurl-functions-%d-*", serverPID)))
		cg, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/fnurl-%d-*", serverPID))
		cg2, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/*/*/fnurl-%d-*", serverPID))
		if len(left)+len(cg)+len(cg2) != 0 {
			t.Errorf("leftovers of the killed server: %v %v %v", left, cg, cg2)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("function %d outlived its server", pid)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// FuzzUnzip feeds arbitrary bytes (seeded with real packages) to
// CheckPackage and Unzip: no panic, nothing written outside the target,
// and what CheckPackage refuses Unzip refuses too.
func FuzzUnzip(f *testing.F) {
	f.Add(zipFiles(f, map[string]zipFile{"bootstrap": {[]byte("#!/bin/sh\n"), 0o755}, "a/b/c.txt": {[]byte("c"), 0o644}}))
	f.Add(zipFiles(f, map[string]zipFile{"../x": {[]byte("x"), 0o644}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "d")
		os.Mkdir(dir, 0o700)
		cerr := sandbox.CheckPackage(b)
		uerr := sandbox.Unzip(b, dir)
		if cerr != nil && uerr == nil {
			t.Fatalf("CheckPackage refused (%v) what Unzip accepted", cerr)
		}
		ents, _ := os.ReadDir(parent)
		if len(ents) != 1 {
			t.Fatalf("wrote next to the target: %v", ents)
		}
	})
}

// TestGODEBUG checks that Go functions get the GODEBUG setting that keeps
// their sysmon awake unless they set schedtrace themselves, and that the
// scheduler trace lines it may print are dropped from the logs only then.
func TestGODEBUG(t *testing.T) {
	m := newManager(t, sandbox.Config{})
	const trace = "SCHED 0ms: gomaxprocs=1 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=2 runqueue=0 [ 0 ]"
	tests := []struct {
		name, user, want string
		dropped          bool
	}{
		{"unset", "", "schedtrace=2147483647", true},
		{"other settings", "http2client=0", "schedtrace=2147483647,http2client=0", true},
		{"own schedtrace", "schedtrace=0", "schedtrace=0", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := newFunction(fmt.Sprintf("godebug%d", i), "provided.al2023", "", bootstrapZip(t))
			if tt.user != "" {
				fn.Env = map[string]string{"GODEBUG": tt.user}
			}
			res, _ := invoke(t, m, fn, `{"env":true}`)
			var got map[string]string
			if err := json.Unmarshal(res.Payload, &got); err != nil {
				t.Fatalf("%v: %s", err, res.Payload)
			}
			if got["env:GODEBUG"] != tt.want {
				t.Errorf("GODEBUG = %q, want %q", got["env:GODEBUG"], tt.want)
			}
			b, _ := json.Marshal(map[string]string{"stderr": trace + "\nSCHED 5 is not a trace\n"})
			res, _ = invoke(t, m, fn, string(b))
			tail := string(res.LogTail)
			if strings.Contains(tail, trace) == tt.dropped {
				t.Errorf("scheduler trace line dropped = %v, want %v; log tail:\n%s", !tt.dropped, tt.dropped, tail)
			}
			if !strings.Contains(tail, "SCHED 5 is not a trace") {
				t.Errorf("another line starting with SCHED was dropped; log tail:\n%s", tail)
			}
			// A crash prints the scheduler's state in detail first when
			// schedtrace is set (with schedtrace=0 it prints none): dropped
			// with the trace line, the panic kept.
			res, _ = invoke(t, m, fn, `{"crash":true}`)
			tail = string(res.LogTail)
			if !strings.Contains(tail, "panic: boom") || !strings.Contains(tail, "Runtime exited") {
				t.Errorf("crash not in the log tail:\n%s", tail)
			}
			for _, s := range []string{"SCHED ", "  P0: status=", "  G1: status="} {
				if strings.Contains(tail, s) {
					t.Errorf("crash: %q in the log tail:\n%s", s, tail)
				}
			}
		})
	}
	// Other runtimes are not Go programs.
	needTool(t, "node")
	node := newFunction("godebugnode", "nodejs20.x", "index.handler", zipFiles(t, map[string]zipFile{
		"index.js": {[]byte(`exports.handler = async () => process.env.GODEBUG ?? "unset";`), 0o644}}))
	if res, _ := invoke(t, m, node, `{}`); string(res.Payload) != `"unset"` {
		t.Errorf("Node.js function: GODEBUG = %s, want unset", res.Payload)
	}
}

// TestFreeze checks that an environment idle longer than IdleFreeze has its
// processes stopped, that the next invocation continues them, and that a
// frozen environment still stops at once on Close.
// statFields returns the fields of a /proc stat file after the command
// name (which may hold spaces), so that field N (from 1) is [N-3]; nil if
// the file cannot be read.
func statFields(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

func TestFreeze(t *testing.T) {
	state := func(pid int) byte {
		if f := statFields(fmt.Sprintf("/proc/%d/stat", pid)); len(f) > 0 {
			return f[0][0]
		}
		return 0
	}
	pidOf := func(res *sandbox.Response) int {
		var v map[string]string
		json.Unmarshal(res.Payload, &v)
		pid, _ := strconv.Atoi(v["pid"])
		if pid <= 1 {
			t.Fatalf("pid in %s", res.Payload)
		}
		return pid
	}
	waitState := func(pid int, want byte, within time.Duration) bool {
		for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if state(pid) == want {
				return true
			}
		}
		return false
	}

	m, err := sandbox.NewManager(sandbox.Config{Dir: filepath.Join(t.TempDir(), "f"), IdleFreeze: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	fn := newFunction("freezing", "provided.al2023", "", bootstrapZip(t))
	res, _ := invoke(t, m, fn, `{"env":true}`)
	pid := pidOf(res)
	if !waitState(pid, 'T', 3*time.Second) {
		t.Fatalf("idle environment not frozen: state %c", state(pid))
	}
	res, _ = invoke(t, m, fn, `{"env":true}`)
	if got := pidOf(res); got != pid {
		t.Fatalf("second invocation ran in process %d, want the frozen environment's %d", got, pid)
	}
	if s := state(pid); s == 'T' {
		t.Errorf("environment still stopped right after an invocation")
	}
	if !waitState(pid, 'T', 3*time.Second) {
		t.Fatalf("environment not frozen again: state %c", state(pid))
	}
	start := time.Now()
	m.Close()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close: kill(%d, 0) = %v, want ESRCH", pid, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close of a frozen environment took %v", d)
	}

	// IdleFreeze < 0: never frozen.
	m2 := newManager(t, sandbox.Config{IdleFreeze: -1})
	res, _ = invoke(t, m2, newFunction("warm", "provided.al2023", "", bootstrapZip(t)), `{"env":true}`)
	if pid := pidOf(res); waitState(pid, 'T', 300*time.Millisecond) {
		t.Errorf("environment frozen with IdleFreeze < 0")
	}
}
