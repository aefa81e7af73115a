// Package sandbox runs Lambda functions as local processes, without
// containers: it extracts deployment packages, starts execution
// environments (one process group each, speaking the Runtime API of
// package runtimeapi), keeps a warm pool per function version, enforces
// timeouts, memory and process limits, and captures logs.
//
// Isolation, in the order the machine allows it:
//   - when the server runs as root, each environment runs as a user and
//     group of its own (IDs from 0x7f000000, none reused while the server
//     runs), in its own process group, with Pdeathsig;
//   - with a writable cgroup v1 memory and pids hierarchy, each
//     environment gets a cgroup under the server's own cgroup (read from
//     /proc/self/cgroup) with memory.limit_in_bytes = MemorySize and
//     pids.max = 1024;
//   - otherwise RLIMIT_AS (see addressSpaceLimit: MemorySize for Python,
//     MemorySize + 4 GiB for provided runtimes, whose Go runtime alone
//     reserves 0.7-1.5 GB of address space, none for Node.js, whose V8
//     reserves far more than it uses; it gets --max-old-space-size);
//   - RLIMIT_NOFILE 1024 always; the Runtime API of an environment accepts
//     connections only from the environment's own processes (peer.go), so
//     a function cannot take another one's events from its loopback port.
//
// Code is extracted once per CodeSha256 under Dir/code, or, when the
// function user cannot traverse Dir (a 0700 data directory, the usual
// case), under a fresh 0711 directory in the system temp dir that Close
// removes.
//
// Limits are applied by a shim: the environment's first process is this
// same binary re-executed (see shim.go), which waits until the server has
// moved it into its cgroups, sets its rlimits and execs the runtime, so no
// code of the function ever runs outside its limits.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Function is everything needed to run one function version.
type Function struct {
	ARN        string // arn:aws:lambda:REGION:ACCT:function:NAME (unqualified)
	Name       string
	Version    string // "$LATEST" or "1", ...
	Runtime    string // provided.al2023, provided.al2, nodejs18.x/nodejs20.x/nodejs22.x, python3.9 … python3.13
	Handler    string // "index.handler", "lambda_function.lambda_handler"; ignored for provided.*
	Code       []byte // the deployment package (zip)
	CodeSha256 string // base64 SHA-256 of Code, as Lambda reports it; identifies the extracted copy
	Revision   string // changes whenever code or configuration changes: environments of an older revision are retired
	Timeout    time.Duration
	MemoryMB   int
	Env        map[string]string // the function's Environment.Variables
	Region     string
	// Credentials returns the execution role's temporary credentials for
	// the environment; may be nil.
	Credentials         func(ctx context.Context) (accessKeyID, secret, token string, err error)
	ReservedConcurrency int // 0 = unreserved (server limit applies); -1 = reserved 0 (always throttled)
}

// Config configures a Manager.
type Config struct {
	Dir             string        // working directory for extracted code, created 0700
	MaxEnvironments int           // server-wide limit of concurrent environments (default 64)
	IdleTimeout     time.Duration // warm environments idle longer than this are stopped (default 5 min)
	// IdleFreeze is how long a warm environment stays idle before its
	// processes are stopped (SIGSTOP) until its next invocation, as Lambda
	// freezes an environment between invocations (default 1 s; negative:
	// never).
	IdleFreeze time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Request is one invocation.
type Request struct {
	RequestID     string // invocation id (UUID) chosen by the caller
	Payload       []byte
	ClientContext string // base64, passed (decoded) as Lambda-Runtime-Client-Context
	TraceID       string
	LogTail       bool // collect the last 4 KB of this invocation's log
	// Streaming asks for the answer as a stream (a RESPONSE_STREAM URL):
	// Response.Stream is then set even when the runtime does not announce
	// streaming.
	Streaming bool
}

// Response is the outcome of an invocation.
type Response struct {
	Payload       []byte // buffered result, or error JSON when FunctionError != ""
	FunctionError string // "" or "Unhandled"
	LogTail       []byte // when asked
	InitDuration  time.Duration
	Duration      time.Duration
	// Stream is non-nil when the function answered in streaming mode: the
	// raw streamed body, delivered as produced. The caller must Close it.
	// A function error reported mid-stream ends it with a
	// *runtimeapi.StreamError; a timeout or crash with an error too.
	Stream io.ReadCloser
	// Dispatched and Answered are when the event was about to be written
	// to the function's runtime and when its answer had been read (see
	// runtimeapi.Result); zero when it did not answer (a timeout, a crash).
	Dispatched, Answered time.Time
}

// LogEvent is one captured log line.
type LogEvent struct {
	Time      time.Time
	RequestID string
	Message   string
}

// Errors of Invoke.
var (
	ErrTooManyRequests    = errors.New("sandbox: concurrency limit reached")
	ErrRuntimeUnavailable = errors.New("sandbox: runtime unavailable on this server")
	ErrUnknownRuntime     = errors.New("sandbox: unknown runtime")
	ErrClosed             = errors.New("sandbox: manager closed")
)

// Manager owns every execution environment of the server.
type Manager struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	codeDir string // extracted packages, one directory per CodeSha256
	rtDir   string // our embedded runtime bootstraps
	tmpBase string // per-environment TMPDIRs
	iso     isolation

	rtMu    sync.Mutex
	rtCache map[string]*runtimeSpec

	extractMu  sync.Mutex
	extracting map[string]*extraction

	mu       sync.Mutex
	pools    map[string]*pool
	active   map[string]int // environments (busy, idle or starting) per function ARN
	total    int
	closed   bool
	logs     map[string]*logRing
	stopJan  chan struct{}
	janDone  chan struct{}
	envs     map[*env]struct{} // every live environment
	bg       sync.WaitGroup    // environments being stopped in the background
	cleanups []string
}

// pool is the warm pool of one function version at one revision.
type pool struct {
	key     string
	arn     string
	version string
	idle    []*env // most recently used last
	n       int    // live environments of this pool (starting, busy or idle)
	retired bool
}

// NewManager prepares Dir and detects what isolation the machine allows.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Dir == "" {
		return nil, errors.New("sandbox: Config.Dir is required")
	}
	if cfg.MaxEnvironments <= 0 {
		cfg.MaxEnvironments = 64
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.IdleFreeze == 0 {
		cfg.IdleFreeze = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	m := &Manager{
		cfg:        cfg,
		log:        cfg.Logger,
		now:        cfg.Now,
		extracting: map[string]*extraction{},
		rtCache:    map[string]*runtimeSpec{},
		pools:      map[string]*pool{},
		active:     map[string]int{},
		logs:       map[string]*logRing{},
		envs:       map[*env]struct{}{},
		stopJan:    make(chan struct{}),
		janDone:    make(chan struct{}),
	}
	m.iso = detectIsolation(m.log)
	// The function user must reach the code it runs. When Dir is not
	// traversable by it (a 0700 data directory), the code lives under a
	// fresh directory in the system temp dir instead.
	base := cfg.Dir
	if m.iso.uids != nil && !traversableByOthers(base) {
		sweepTempDirs()
		d, err := os.MkdirTemp("", fmt.Sprintf("fnurl-functions-%d-", os.Getpid()))
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		m.cleanups = append(m.cleanups, d)
		base = d
		m.log.Info("sandbox: function code kept outside the data directory, which the function user cannot reach", "dir", d)
	}
	// 0711: the function user may traverse but not list; code directories
	// are named by SHA-256.
	m.codeDir = filepath.Join(base, "code")
	m.rtDir = filepath.Join(base, "runtime")
	m.tmpBase = filepath.Join(base, "tmp")
	for _, d := range []string{m.codeDir, m.rtDir, m.tmpBase} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		os.Chmod(d, 0o711)
	}
	if base != cfg.Dir {
		os.Chmod(base, 0o711)
	}
	if err := writeRuntimeFiles(m.rtDir); err != nil {
		return nil, err
	}
	go m.janitor()
	return m, nil
}

// Close stops every environment (SIGTERM, then SIGKILL of the process
// group) and removes the per-environment state.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	var all []*env
	for _, p := range m.pools {
		all = append(all, p.idle...)
		p.idle = nil
	}
	for e := range m.envs {
		all = append(all, e)
	}
	m.mu.Unlock()
	close(m.stopJan)
	<-m.janDone
	var wg sync.WaitGroup
	seen := map[*env]bool{}
	for _, e := range all {
		if seen[e] {
			continue
		}
		seen[e] = true
		wg.Add(1)
		go func() { defer wg.Done(); e.stop(true) }()
	}
	wg.Wait()
	m.bg.Wait()
	m.iso.cleanup()
	for _, d := range m.cleanups {
		os.RemoveAll(d)
	}
	return nil
}

// Environments is the number of live environments (busy, idle or
// starting) of the function called name.
func (m *Manager) Environments(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for arn, c := range m.active {
		if arnName(arn) == name {
			n += c
		}
	}
	return n
}

func arnName(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == ':' {
			return arn[i+1:]
		}
	}
	return arn
}

// janitor stops environments idle longer than IdleTimeout and freezes
// those idle longer than IdleFreeze.
func (m *Manager) janitor() {
	defer close(m.janDone)
	tick := m.cfg.IdleTimeout / 4
	if m.cfg.IdleFreeze > 0 {
		tick = min(tick, m.cfg.IdleFreeze/2)
	}
	tick = max(tick, 10*time.Millisecond)
	tick = min(tick, 30*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-m.stopJan:
			return
		case <-t.C:
		}
		now := time.Now()
		var stale []*env
		m.mu.Lock()
		for _, p := range m.pools {
			keep := p.idle[:0]
			for _, e := range p.idle {
				switch idle := now.Sub(e.lastUsed); {
				case idle > m.cfg.IdleTimeout:
					stale = append(stale, e)
					continue
				case m.cfg.IdleFreeze > 0 && idle >= m.cfg.IdleFreeze && !e.frozen:
					e.freeze()
				}
				keep = append(keep, e)
			}
			clear(p.idle[len(keep):])
			p.idle = keep
		}
		for _, e := range stale {
			m.forgetLocked(e)
		}
		m.mu.Unlock()
		for _, e := range stale {
			e.stop(false)
		}
	}
}
