package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// botoScript calls STS GetCallerIdentity or IAM GetUser with boto3,
// sequentially, and prints each call's latency. It warms up, prints
// "ready", waits for a line on standard input and then runs for the given
// duration or number of calls, so that the caller measures the server over
// exactly the timed calls.
const botoScript = `import json, sys, time
import boto3
from botocore.config import Config

endpoint, op, duration, maxn = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, region_name="us-east-1")
session = boto3.session.Session()
if op == "sts":
    client = session.client("sts", endpoint_url=endpoint, config=cfg)
    call = lambda: client.get_caller_identity()
else:
    client = session.client("iam", endpoint_url=endpoint, config=cfg)
    call = lambda: client.get_user(UserName="bench")
    if op == "iam-create":  # moto starts empty
        try:
            client.create_user(UserName="bench")
        except client.exceptions.EntityAlreadyExistsException:
            pass
for _ in range(5):
    call()
print("ready", flush=True)
sys.stdin.readline()
lat, errors, first = [], 0, ""
start = time.perf_counter()
deadline = start + duration
while len(lat) < maxn:
    t0 = time.perf_counter()
    if t0 > deadline:
        break
    try:
        call()
    except Exception as e:
        errors += 1
        first = first or repr(e)
    lat.append(int((time.perf_counter() - t0) * 1e9))
elapsed = time.perf_counter() - start
print(json.dumps({"lat_ns": lat, "errors": errors, "error": first, "elapsed_s": elapsed}), flush=True)
`

// haveBoto3 reports whether python3 can import boto3.
func haveBoto3() bool {
	return exec.Command("python3", "-c", "import boto3").Run() == nil
}

// botoRunner returns a runner that calls op on endpoint through boto3 with
// the given credentials, at concurrency 1: "sts" GetCallerIdentity, "iam"
// GetUser of the user bench, "iam-create" the same after creating bench
// (for moto, which starts empty).
func botoRunner(script, endpoint, op, key, secret string) func(c int, d time.Duration, maxN int, begin func()) (load, error) {
	return func(c int, d time.Duration, maxN int, begin func()) (load, error) {
		cmd := exec.Command("python3", script, endpoint, op, strconv.FormatFloat(d.Seconds(), 'f', 3, 64), strconv.Itoa(maxN))
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
		cmd.Env = dropEnv(cmd.Env, "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return load{}, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return load{}, err
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return load{}, err
		}
		defer cmd.Wait()
		defer stdin.Close()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			return load{}, fmt.Errorf("boto3 %s did not start: %s", op, stderr.String())
		}
		begin()
		fmt.Fprintln(stdin, "go")
		if !sc.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			return load{}, fmt.Errorf("boto3 %s: no result: %s", op, stderr.String())
		}
		var out struct {
			LatNS    []int64 `json:"lat_ns"`
			Errors   int     `json:"errors"`
			Error    string  `json:"error"`
			ElapsedS float64 `json:"elapsed_s"`
		}
		if err := json.Unmarshal(sc.Bytes(), &out); err != nil {
			return load{}, fmt.Errorf("boto3 %s: %w", op, err)
		}
		l := load{n: len(out.LatNS), errs: out.Errors, errMsg: out.Error, elapsed: time.Duration(out.ElapsedS * float64(time.Second))}
		for _, ns := range out.LatNS {
			l.lat = append(l.lat, time.Duration(ns))
		}
		return l, nil
	}
}

func dropEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// startMoto starts moto's server on a free loopback port, for the
// comparison the issue makes with it. It returns nil when moto is not
// installed.
func startMoto(dir string) (*child, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	lf, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{name: "moto", cmd: cmd, addr: addr, endpoint: "http://" + addr}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return c, nil
		}
	}
	c.stop()
	return nil, fmt.Errorf("moto_server did not start on %s", addr)
}
