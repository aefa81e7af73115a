package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// maxIOPerInvoke bounds the server's successful system calls per warm
// AWS_IAM function URL invocation, leaving out those of Go's scheduler and
// memory manager (epoll, futex, nanosleep, sched_yield, signals, mmap and
// the like) and the reads that find nothing yet (EAGAIN), whose number
// follows the machine's timing. What is left is fixed by the
// protocol: the client's request read (plus net/http's background read),
// the response written, the Runtime API's /next answer written and the
// runtime's /response read and answered, the function's log pipe read once
// before END and its cgroup's peak memory read for REPORT (the test's
// server logs at info level, but its access log lines are written in
// batches, and it has no audit trail): 7.0 measured, a little more when a
// loaded machine splits a request over two reads. A request that read the store again (the IAM,
// URL or function configuration: SQLite takes and drops a lock with two
// fcntl per read), or logged, opened or synced more, would pass the bound:
// the server of commit 1fa198e, which read the caller's access key,
// policies and boundary from SQLite on each request, made 13.4 (fcntl 6.0).
const maxIOPerInvoke = 10

// maxVoluntaryPerInvoke bounds the server's voluntary context switches per
// warm AWS_IAM invocation at concurrency 1 (issue 11: at most 6 context
// switches). 2.1 measured (and 0.7 involuntary). Before the server read
// and wrote its sockets with raw system calls and batched its access log,
// each invocation woke Go's monitor thread (sysmon) from its sleep, which
// then polled every 20 µs until the server was idle again: this test at
// commit db3dc1d measured 6.5 (and 3.5 involuntary), and failed.
const maxVoluntaryPerInvoke = 6

// schedulerSyscalls are left out of the count: Go's runtime makes them as
// its goroutines park and wake, as many as the timing makes it.
var schedulerSyscalls = map[string]bool{
	"epoll_pwait": true, "epoll_wait": true, "epoll_ctl": true, "futex": true, "nanosleep": true,
	"clock_nanosleep": true, "sched_yield": true, "tgkill": true, "getpid": true, "gettid": true,
	"rt_sigreturn": true, "rt_sigprocmask": true, "sigaltstack": true, "madvise": true, "mmap": true,
	"munmap": true, "clone": true, "clone3": true, "set_robust_list": true, "rseq": true, "prctl": true,
}

// TestWarmInvokeSyscalls runs a server process and counts, with strace,
// the server's system calls per warm AWS_IAM function URL invocation by a
// user whose policy allows it, and asserts the bound above on those that
// do not depend on timing; the context switches (from /proc), which do,
// are reported. scripts/bench counts every system call with perf.
func TestWarmInvokeSyscalls(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("strace and /proc")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			t.Fatal("strace is not installed")
		}
		t.Skip("strace is not installed")
	}
	dir := t.TempDir()
	const id, secret = "AKIAFNURLSYSCALLTEST", "syscallTestSecret0123456789abcdefghijklm"
	// The audit trail's writes are left out (FNURL_AUDIT=off): it commits a
	// batch every 100 ms, so its calls per request follow the request rate.
	// At the default log level: an access log line per request.
	p := startProcess(t, dir, []string{"FNURL_ROOT_ACCESS_KEY_ID=" + id, "FNURL_ROOT_SECRET_ACCESS_KEY=" + secret, "FNURL_AUDIT=off"},
		"--log-level", "info")
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	ts := &testServer{Endpoint: p.endpoint}
	ctx := context.Background()
	createEcho(t, ts, id, secret)
	lc := lambdaClient(ts, id, secret, "")
	fnURL := aws.ToString(must(lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"),
		AuthType: types.FunctionUrlAuthTypeAwsIam})).FunctionUrl)
	rootIAM, _ := sdkClients(ts, id, secret, "")
	must(rootIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("caller")}))
	must(rootIAM.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("caller"), PolicyName: aws.String("invoke"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`)}))
	key := must(rootIAM.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("caller")})).AccessKey
	creds := sigv4.Credentials{AccessKeyID: aws.ToString(key.AccessKeyId), SecretAccessKey: aws.ToString(key.SecretAccessKey)}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	call := func(i int) { getURL(t, client, fnURL+"n/"+strconv.Itoa(i), &creds) }
	for i := range 100 { // warm: the environment, the caches, the prepared statements
		call(i)
	}

	pid := p.cmd.Process.Pid

	// Context switches, without strace: each is a server thread that went
	// to sleep (voluntary) or was preempted by the kernel for another
	// process (involuntary, which follows the machine's load). The
	// voluntary ones are the server's own doing: a thread waiting in the
	// network poller for the function's answer and for the next request,
	// and Go's runtime waking its monitor thread and other threads. Best
	// of three rounds, so that one disturbed round does not decide.
	const rounds, perRound = 3, 300
	best := [2]float64{1e9, 1e9}
	for r := range rounds {
		v0, i0 := procCtxSwitchesByKind(t, pid)
		for i := range perRound {
			call(r*perRound + i)
		}
		v1, i1 := procCtxSwitchesByKind(t, pid)
		if v := float64(v1-v0) / perRound; v < best[0] {
			best = [2]float64{v, float64(i1-i0) / perRound}
		}
	}
	t.Logf("per warm AWS_IAM invocation: %.1f voluntary and %.1f involuntary context switches (bound %d voluntary)", best[0], best[1], maxVoluntaryPerInvoke)
	if best[0] > maxVoluntaryPerInvoke {
		t.Errorf("%.1f voluntary context switches per warm invocation, bound %d", best[0], maxVoluntaryPerInvoke)
	}

	out := filepath.Join(t.TempDir(), "strace.txt")
	tr := exec.Command(strace, "-f", "-c", "-p", strconv.Itoa(pid), "-o", out)
	var trErr strings.Builder
	tr.Stderr = &trErr
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // attached to every thread
	const n = 500
	cs0 := procCtxSwitches(t, pid)
	for i := range n {
		call(i)
	}
	cs := float64(procCtxSwitches(t, pid)-cs0) / n
	time.Sleep(300 * time.Millisecond) // the audit trail's batch of these requests is written
	tr.Process.Signal(os.Interrupt)    // strace detaches and writes its table
	tr.Wait()
	if !strings.Contains(trErr.String(), "attached") {
		t.Fatalf("strace did not attach (it needs ptrace):\n%s", trErr.String())
	}
	counts := straceCounts(t, out)
	var total int64
	var names []string
	for name, c := range counts {
		if !schedulerSyscalls[name] {
			total += c
			names = append(names, fmt.Sprintf("%s %.2f", name, float64(c)/n))
		}
	}
	sort.Strings(names)
	per := float64(total) / n
	t.Logf("per warm AWS_IAM invocation: %.1f successful system calls besides the scheduler's (bound %d): %s; %.1f context switches under strace",
		per, maxIOPerInvoke, strings.Join(names, ", "), cs)
	if per > maxIOPerInvoke {
		t.Errorf("%.1f system calls per warm invocation besides the scheduler's, bound %d: %s", per, maxIOPerInvoke, strings.Join(names, ", "))
	}
}

// straceCounts reads the successful calls per system call from strace
// -c's table.
func straceCounts(t *testing.T, file string) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[len(f)-1] == "total" || f[len(f)-1] == "syscall" {
			continue
		}
		c, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			continue
		}
		if len(f) == 6 { // an errors column: count only the calls that succeeded
			e, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				continue
			}
			c -= e
		}
		counts[f[len(f)-1]] += c
	}
	if len(counts) == 0 {
		t.Fatalf("no counts in strace's output:\n%s", b)
	}
	return counts
}

// procCtxSwitches sums the voluntary and nonvoluntary context switches of
// pid's threads.
func procCtxSwitches(t *testing.T, pid int) int64 {
	v, i := procCtxSwitchesByKind(t, pid)
	return v + i
}

// procCtxSwitchesByKind sums the voluntary and the involuntary context
// switches of every thread of pid.
func procCtxSwitchesByKind(t *testing.T, pid int) (voluntary, involuntary int64) {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that exited
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch {
			case ok && k == "voluntary_ctxt_switches":
				voluntary += n
			case ok && k == "nonvoluntary_ctxt_switches":
				involuntary += n
			}
		}
	}
	return voluntary, involuntary
}
