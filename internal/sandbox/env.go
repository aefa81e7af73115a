package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fnurl/fnurl/internal/runtimeapi"
)

// initTimeout bounds a runtime's initialisation (Lambda's 10 s init
// phase), or the function timeout when that is longer.
const initTimeout = 10 * time.Second

// env is one execution environment: a process group running one runtime,
// with its own Runtime API server.
type env struct {
	m        *Manager
	pool     *pool
	fn       *Function
	id       string
	api      *runtimeapi.Server
	cmd      *exec.Cmd
	pid      int
	cg       envCgroups
	logs     *capture
	tmp      string
	status   *os.File // /proc/<pid>/status, for the peak memory without a memory cgroup
	initDur  time.Duration
	lastUsed time.Time // guarded by m.mu once idle
	frozen   bool      // its processes are stopped (SIGSTOP); guarded by m.mu

	forgotten bool // guarded by m.mu

	timedOut atomic.Bool
	exited   chan struct{}
	exitErr  error // set before exited is closed
	stopOnce sync.Once
}

func (e *env) dead() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

func (e *env) waitExit(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-e.exited:
	case <-t.C:
	}
}

// exitStatus is the runtime's exit as Lambda words it ("exit status 1",
// "signal: killed").
func (e *env) exitStatus() string {
	if !e.dead() {
		return "unknown"
	}
	if e.cmd.ProcessState != nil {
		return e.cmd.ProcessState.String()
	}
	if e.exitErr != nil {
		return e.exitErr.Error()
	}
	return "exit status 0"
}

// kill SIGKILLs the whole process group (and whatever else is left in the
// environment's cgroups).
func (e *env) kill() {
	if e.pid > 0 {
		syscall.Kill(-e.pid, syscall.SIGKILL)
	}
	e.cg.killAll()
}

// freeze stops the environment's processes (SIGSTOP to its process
// group) while it is idle, so that nothing in it runs until thaw: Lambda
// freezes an environment between invocations. m.mu is held.
func (e *env) freeze() {
	if e.pid > 0 && syscall.Kill(-e.pid, syscall.SIGSTOP) == nil {
		e.frozen = true
	}
}

// thaw continues the processes stopped by freeze. m.mu is held.
func (e *env) thaw() {
	if e.frozen {
		syscall.Kill(-e.pid, syscall.SIGCONT)
		e.frozen = false
	}
}

// stop ends the environment: SIGTERM to the process group, SIGKILL after
// a grace period (none when hard), then releases its resources.
func (e *env) stop(hard bool) {
	e.stopOnce.Do(func() {
		if !e.dead() && !hard && e.pid > 0 {
			syscall.Kill(-e.pid, syscall.SIGTERM)
			// A frozen environment handles SIGTERM once continued.
			syscall.Kill(-e.pid, syscall.SIGCONT)
			e.waitExit(300 * time.Millisecond)
		}
		e.kill()
		e.waitExit(2 * time.Second)
		e.api.Close()
		e.logs.close()
		if e.status != nil {
			e.status.Close()
		}
		e.cg.remove()
		if e.tmp != "" {
			os.RemoveAll(e.tmp)
		}
	})
}

func (e *env) maxMemoryMB() int {
	if n := e.cg.maxUsageMB(); n >= 0 {
		return n
	}
	return vmHWMMB(e.status)
}

// start starts a new environment for fn and waits for its runtime to ask
// for the first event. A failed initialisation comes back as a Response
// for req (with START/END/REPORT lines logged), not as an error.
func (m *Manager) start(fn *Function, rt *runtimeSpec, p *pool, req Request) (*env, *Response, error) {
	fail := func(err error) (*env, *Response, error) {
		m.unreserve(fn, p)
		return nil, nil, err
	}
	taskRoot, err := m.extract(fn)
	if err != nil {
		return fail(err)
	}
	argv, err := rt.command(m.rtDir, taskRoot, fn.MemoryMB, m.iso.memBase != "")
	if err != nil {
		// A provided runtime without a usable bootstrap.
		m.unreserve(fn, p)
		return nil, m.initFailure(fn, req, "Runtime.InvalidEntrypoint",
			fmt.Sprintf("RequestId: %s Error: %v", req.RequestID, err)), nil
	}
	e := &env{m: m, pool: p, fn: fn, id: randHex(16), exited: make(chan struct{})}
	e.logs = m.newCapture(fn.Name)
	e.logs.begin("", req.LogTail)
	cleanup := func() {
		e.logs.close()
		if e.api != nil {
			e.api.Close()
		}
		e.cg.remove()
		if e.tmp != "" {
			os.RemoveAll(e.tmp)
		}
	}
	if e.api, err = runtimeapi.New(e.ownsConn); err != nil {
		cleanup()
		return fail(err)
	}
	if e.cg, err = m.iso.newEnvCgroups(e.id, fn.MemoryMB); err != nil {
		cleanup()
		return fail(fmt.Errorf("sandbox: cgroup: %w", err))
	}
	if e.tmp, err = os.MkdirTemp(m.tmpBase, "env-"); err != nil {
		cleanup()
		return fail(err)
	}
	uid, gid := -1, -1
	if m.iso.uids != nil {
		uid = m.iso.uids.next()
		gid = uid
		os.Chown(e.tmp, uid, gid)
	}
	spec := shimSpec{
		Argv:    argv,
		Env:     m.environ(fn, rt, e, taskRoot),
		UID:     uid,
		GID:     gid,
		Cgroups: e.cg.dirs(),
		NoFile:  noFile,
		PPID:    os.Getpid(),
	}
	if m.iso.memBase == "" && fn.MemoryMB > 0 {
		spec.AS = addressSpaceLimit(rt.kind, fn.MemoryMB)
	}
	specJSON, _ := json.Marshal(spec)
	if len(specJSON) > 60<<10 {
		cleanup()
		return fail(errors.New("sandbox: the function's environment is too large"))
	}
	specR, specW, err := os.Pipe()
	if err != nil {
		cleanup()
		return fail(err)
	}
	specW.Write(specJSON) // fits in the pipe buffer
	specW.Close()
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{shimArg, shimArg},
		Env:        []string{shimEnv + "=1"},
		Dir:        taskRoot,
		Stdout:     e.logs.w,
		Stderr:     e.logs.w,
		ExtraFiles: []*os.File{specR},
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,
			Pdeathsig: syscall.SIGKILL,
		},
	}
	e.cmd = cmd
	t0 := time.Now()
	// Pdeathsig follows the thread that forked: keep it put during Start.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	specR.Close()
	e.logs.w.Close() // the child has its copy
	if err != nil {
		cleanup()
		return fail(fmt.Errorf("sandbox: starting %s: %w", fn.Runtime, err))
	}
	e.pid = cmd.Process.Pid
	if e.cg.mem == "" {
		// Without a memory cgroup the peak memory comes from the status
		// file, kept open for the environment's life: one read per
		// invocation.
		e.status, _ = os.Open("/proc/" + strconv.Itoa(e.pid) + "/status")
	}
	go func() {
		e.exitErr = cmd.Wait()
		close(e.exited)
		e.api.Fail(errExited)
	}()
	m.mu.Lock()
	m.envs[e] = struct{}{}
	closed := m.closed
	m.mu.Unlock()
	if closed {
		m.discard(e)
		return nil, nil, ErrClosed
	}
	limit := max(initTimeout, fn.Timeout)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-e.api.Ready():
		e.initDur = time.Since(t0)
		return e, nil, nil
	case ie := <-e.api.InitError():
		e.initDur = time.Since(t0)
		e.kill()
		resp := m.failedStart(e, fn, req, ie.Payload)
		m.discard(e)
		return nil, resp, nil
	case <-e.exited:
		e.initDur = time.Since(t0)
		select {
		case ie := <-e.api.InitError(): // posted just before exiting
			resp := m.failedStart(e, fn, req, ie.Payload)
			m.discard(e)
			return nil, resp, nil
		default:
		}
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", req.RequestID, e.exitStatus())
		e.logs.system(msg)
		resp := m.failedStart(e, fn, req, runtimeapi.ErrorJSON("Runtime.ExitError", msg))
		m.discard(e)
		return nil, resp, nil
	case <-timer.C:
		e.initDur = time.Since(t0)
		e.timedOut.Store(true)
		e.kill()
		msg := timeoutMessage(m.now(), req.RequestID, limit)
		e.logs.system(msg)
		b, _ := json.Marshal(map[string]string{"errorMessage": msg})
		resp := m.failedStart(e, fn, req, b)
		m.discard(e)
		return nil, resp, nil
	}
}

// failedStart answers req for an environment whose initialisation failed.
func (m *Manager) failedStart(e *env, fn *Function, req Request, payload []byte) *Response {
	resp := &Response{FunctionError: "Unhandled", Payload: payload, InitDuration: e.initDur}
	e.logs.begin(req.RequestID, req.LogTail)
	e.logs.system(fmt.Sprintf("START RequestId: %s Version: %s", req.RequestID, fn.Version))
	m.finish(e, fn, req, time.Now(), e.initDur, resp)
	return resp
}

// initFailure answers req when no process could be started at all.
func (m *Manager) initFailure(fn *Function, req Request, typ, msg string) *Response {
	c := m.newCapture(fn.Name)
	defer c.close()
	c.w.Close()
	e := &env{m: m, fn: fn, logs: c, exited: make(chan struct{})}
	c.begin("", req.LogTail)
	c.system(msg)
	return m.failedStart(e, fn, req, runtimeapi.ErrorJSON(typ, msg))
}

// environ builds the runtime's environment: Lambda's defaults, the
// function's variables, then the reserved variables, which the function
// cannot override.
func (m *Manager) environ(fn *Function, rt *runtimeSpec, e *env, taskRoot string) []string {
	vars := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG": "en_US.UTF-8",
		"TZ":   ":UTC",
	}
	if rt.kind == kindProvided {
		// Go functions (the usual provided runtime) get as many threads
		// running Go code as Lambda would give the function vCPUs; the
		// function's own GOMAXPROCS variable wins.
		vars["GOMAXPROCS"] = strconv.Itoa(functionProcs(fn.MemoryMB, runtime.NumCPU()))
	}
	for k, v := range fn.Env {
		vars[k] = v
	}
	if rt.kind == kindProvided && !strings.Contains(vars["GODEBUG"], "schedtrace=") {
		vars["GODEBUG"] = joinGODEBUG(sysmonAwake, vars["GODEBUG"])
		e.logs.dropSchedTraces()
	}
	region := fn.Region
	if region == "" {
		region = "us-east-1"
	}
	version := fn.Version
	if version == "" {
		version = "$LATEST"
	}
	reserved := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      fmt.Sprintf("%s/[%s]%s", time.Now().UTC().Format("2006/01/02"), version, e.id),
		"AWS_LAMBDA_RUNTIME_API":          e.api.Addr(),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              filepath.Join(m.rtDir, rt.kind),
		"_HANDLER":                        fn.Handler,
		"TMPDIR":                          e.tmp,
	}
	if rt.kind != kindProvided {
		reserved["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + rt.name
	}
	if rt.kind == kindPython {
		reserved["PYTHONUNBUFFERED"] = "1"
	}
	if fn.Credentials != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ak, sk, tok, err := fn.Credentials(ctx)
		cancel()
		if err != nil {
			m.log.Warn("sandbox: no credentials for the function", "function", fn.Name, "err", err)
		} else {
			reserved["AWS_ACCESS_KEY_ID"] = ak
			reserved["AWS_SECRET_ACCESS_KEY"] = sk
			if tok != "" {
				reserved["AWS_SESSION_TOKEN"] = tok
			}
		}
	}
	for k, v := range reserved {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for _, k := range sortedKeys(vars) {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// sysmonAwake is the GODEBUG setting that keeps a Go function's sysmon
// thread from sleeping for good while the function waits for its next
// event. Asleep, sysmon is woken by the first system call of every
// invocation (the runtime client's read of the event) and polls every
// 20 µs until the function is idle again: on a 2-CPU machine, awake, an
// aws-lambda-go function made 2.2-2.9 context switches per warm
// invocation instead of 6.0-7.3 and used 16-24 % less CPU
// (docs/benchmarks, round 6). Awake, it naps up to 10 ms at a time
// while nothing needs it; an environment idle longer than
// Config.IdleFreeze is frozen, and sysmon with it. The setting's real
// purpose, a scheduler trace every 2^31-1 ms (24.8 days), prints a line
// only on a machine up longer than that, then every 24.8 days; a crashing
// program also prints the scheduler's state before its panic. The log
// capture drops both. A function that sets schedtrace itself keeps its
// own value, and with it sysmon's usual sleep.
const sysmonAwake = "schedtrace=2147483647"

// joinGODEBUG prepends setting to a GODEBUG value.
func joinGODEBUG(setting, v string) string {
	if v == "" {
		return setting
	}
	return setting + "," + v
}

// mbPerVCPU is the memory size at which Lambda gives a function one full
// vCPU; it gives up to six, in proportion to memory.
const mbPerVCPU = 1769

// functionProcs is the GOMAXPROCS of a provided-runtime function with
// memMB of memory on a machine with ncpu CPUs: Lambda's vCPUs for that
// memory size, at least 1 and at most ncpu. A function serves one
// invocation at a time; with one P its Go runtime hands the event from the
// Runtime API client to the handler without waking a second thread, which
// measured as half the context switches and about 40% less CPU per warm
// invocation than the default (one P per CPU) on a 2-CPU machine (see
// docs/benchmarks).
func functionProcs(memMB, ncpu int) int {
	n := (memMB + mbPerVCPU - 1) / mbPerVCPU
	return max(1, min(n, 6, ncpu))
}

// addressSpaceLimit is the RLIMIT_AS used when no memory cgroup is
// available. Address space is not memory: CPython's is close to its
// resident size, so it gets MemorySize; the Go runtime reserves about
// 0.7-1.5 GB of address space at start (so may other runtimes of provided
// functions), so those get MemorySize + 4 GiB, a loose cap that still
// stops runaway allocation; V8 reserves many GB, so Node.js gets none and
// relies on --max-old-space-size.
func addressSpaceLimit(kind string, memMB int) uint64 {
	switch kind {
	case kindPython:
		return uint64(memMB) << 20
	case kindProvided:
		return uint64(memMB+4096) << 20
	default:
		return 0
	}
}
