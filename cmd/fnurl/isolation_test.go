package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// hostileFunction is a Python handler that attacks its host on request:
// it reads files and directories, writes into directories, signals
// processes and forks until it cannot.
const hostileFunction = `import json, os, time

def attempt(f):
    try:
        f()
        return "ok"
    except Exception as e:
        return type(e).__name__

def lambda_handler(event, context):
    op = event["op"]
    if op == "whoami":
        return {"uid": os.getuid(), "gid": os.getgid(), "pgid": os.getpgid(0)}
    if op == "read":
        def read(p):
            if os.path.isdir(p):
                os.listdir(p)
            else:
                with open(p, "rb") as f:
                    f.read(1)
        return {p: attempt(lambda p=p: read(p)) for p in event["paths"]}
    if op == "write":
        def write(d):
            with open(os.path.join(d, "planted"), "w") as f:
                f.write("x")
        return {d: attempt(lambda d=d: write(d)) for d in event["dirs"]}
    if op == "signal":
        return {str(p): attempt(lambda p=p: os.kill(p, 0)) for p in event["pids"]}
    if op == "fork":
        n, err = 0, ""
        try:
            while n < event["max"]:
                if os.fork() == 0:
                    try:
                        os.execv("/bin/sleep", ["sleep", "600"])
                    finally:
                        os._exit(1)
                n += 1
        except OSError as e:
            err = e.strerror
        return {"forked": n, "error": err}
    return {"echo": event}
`

// TestFunctionIsolation runs a hostile function and checks that it cannot
// reach the server's secrets: run as root, fnurl starts functions as an
// unprivileged user in their own process group, so the data directory, the
// master key, the store, the root credentials and the server process are
// out of reach, and a fork bomb stops at the environment's process limit
// and dies with the environment. The directories above the data directory
// are opened to everyone, so that only fnurl's own permissions protect it,
// and a world-readable file proves the function can read what it may.
func TestFunctionIsolation(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("functions run as the server's own user unless fnurl runs as root; isolation needs root")
	}
	requireTool(t, "python3")
	base := t.TempDir()
	for d := base; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	public := filepath.Join(base, "public.txt")
	if err := os.WriteFile(public, []byte("readable by all"), 0o644); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil { // despite the umask
		t.Fatal(err)
	}
	dir := filepath.Join(base, "data")
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("hostile"), Runtime: types.RuntimePython312,
		Handler: aws.String("lambda_function.lambda_handler"), Role: role.Arn, Timeout: aws.Int32(60), MemorySize: aws.Int32(1024),
		Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"lambda_function.py": hostileFunction})}}))
	callFn := func(name string, event any, out any) {
		t.Helper()
		payload, _ := json.Marshal(event)
		res := must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(name), Payload: payload}))
		if res.FunctionError != nil {
			t.Fatalf("%s: function error %s: %s", payload, aws.ToString(res.FunctionError), res.Payload)
		}
		if err := json.Unmarshal(res.Payload, out); err != nil {
			t.Fatalf("%s: %v: %s", payload, err, res.Payload)
		}
	}
	call := func(event any, out any) {
		t.Helper()
		callFn("hostile", event, out)
	}

	var who struct{ UID, GID, PGID int }
	call(map[string]string{"op": "whoami"}, &who)
	if who.UID == 0 || who.GID == 0 {
		t.Errorf("function runs as uid %d gid %d, want an unprivileged user", who.UID, who.GID)
	}
	if who.PGID == 0 || who.PGID == syscall.Getpgrp() {
		t.Errorf("function runs in process group %d, the server's (%d)", who.PGID, syscall.Getpgrp())
	}

	server := strconv.Itoa(os.Getpid())
	secrets := []string{dir, filepath.Join(dir, "master.key"), filepath.Join(dir, "fnurl.db"), filepath.Join(dir, "fnurl.db-wal"),
		filepath.Join(dir, "credentials"), filepath.Join(dir, "functions"),
		"/proc/" + server + "/environ", "/proc/" + server + "/mem", "/proc/" + server + "/cwd/", "/proc/" + server + "/root/" + dir}
	var read map[string]string
	call(map[string]any{"op": "read", "paths": append([]string{public}, secrets...)}, &read)
	if read[public] != "ok" {
		t.Fatalf("the function cannot read a world-readable file (%s), so the test proves nothing", read[public])
	}
	for _, p := range secrets {
		if got := read[p]; got == "ok" || got == "" {
			t.Errorf("function read %s: %q", p, got)
		}
	}
	var wrote map[string]string
	call(map[string]any{"op": "write", "dirs": []string{open, dir, filepath.Join(dir, "functions")}}, &wrote)
	if wrote[open] != "ok" {
		t.Fatalf("the function cannot write into a world-writable directory (%s), so the test proves nothing", wrote[open])
	}
	for _, d := range []string{dir, filepath.Join(dir, "functions")} {
		if got := wrote[d]; got == "ok" || got == "" {
			t.Errorf("function wrote into %s: %q", d, got)
		}
	}
	var signalled map[string]string
	call(map[string]any{"op": "signal", "pids": []int{os.Getpid(), 1}}, &signalled)
	for p, got := range signalled {
		if got == "ok" {
			t.Errorf("function may signal process %s", p)
		}
	}

	// Another function's environment runs as another user: the hostile
	// function can neither signal its processes nor read their /proc
	// (whose environ holds that function's role credentials).
	must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String("neighbor"), Runtime: types.RuntimePython312,
		Handler: aws.String("lambda_function.lambda_handler"), Role: role.Arn, Timeout: aws.Int32(60),
		Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"lambda_function.py": hostileFunction})}}))
	var neighbor struct{ UID, GID, PGID int }
	callFn("neighbor", map[string]string{"op": "whoami"}, &neighbor)
	if neighbor.UID == who.UID || neighbor.GID == who.GID || neighbor.UID == 0 {
		t.Errorf("two functions run as uid %d/gid %d and uid %d/gid %d, want a user and group of their own each",
			who.UID, who.GID, neighbor.UID, neighbor.GID)
	}
	np := strconv.Itoa(neighbor.PGID)
	call(map[string]any{"op": "signal", "pids": []int{neighbor.PGID}}, &signalled)
	if got := signalled[np]; got == "ok" || got == "" {
		t.Errorf("function may signal the other function's process %s: %q", np, got)
	}
	neighborProc := []string{"/proc/" + np + "/environ", "/proc/" + np + "/mem", "/proc/" + np + "/cwd/"}
	call(map[string]any{"op": "read", "paths": neighborProc}, &read)
	for _, p := range neighborProc {
		if got := read[p]; got == "ok" || got == "" {
			t.Errorf("function read the other function's %s: %q", p, got)
		}
	}

	var bomb struct {
		Forked int
		Error  string
	}
	call(map[string]any{"op": "fork", "max": 5000}, &bomb)
	t.Logf("fork bomb: %d children, then %q", bomb.Forked, bomb.Error)
	if bomb.Forked >= 1024 || bomb.Error == "" {
		t.Errorf("fork bomb made %d processes (error %q), want a stop below the 1024-process limit", bomb.Forked, bomb.Error)
	}
	if n := processesInGroup(who.PGID); n < bomb.Forked {
		t.Errorf("%d processes in the function's group after forking %d", n, bomb.Forked)
	}
	// The server is unharmed and so is the environment's ability to answer.
	var echo map[string]any
	call(map[string]any{"op": "echo"}, &echo)
	// A configuration change retires the environment: the whole process
	// group goes with it.
	must(lc.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String("hostile"),
		Description: aws.String("retire the environment")}))
	call(map[string]any{"op": "echo"}, &echo)
	deadline := time.Now().Add(20 * time.Second)
	for processesInGroup(who.PGID) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes of the retired environment's group %d are still alive", processesInGroup(who.PGID), who.PGID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesInGroup counts the live processes in process group pgid.
func processesInGroup(pgid int) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			n++
		}
	}
	return n
}
