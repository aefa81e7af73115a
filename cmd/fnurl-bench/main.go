// Command fnurl-bench measures fnurl's invoke path against what the machine
// allows. It starts everything itself on loopback: a plain net/http hello
// server (the ceiling for any HTTP request here), and a fnurl server built
// from this checkout, with a temporary data directory, running the Go echo
// function (internal/testfunctions/echo, aws-lambda-go) behind an AWS_IAM
// function URL and a NONE one, and the Go hello function
// (internal/testfunctions/hello) behind an AWS_IAM URL. Both servers are child processes, so their
// CPU time comes from /proc/<pid>/stat, their context switches from the
// voluntary_ctxt_switches and nonvoluntary_ctxt_switches of each thread and
// their time waiting for a CPU from each thread's schedstat (the load
// generator's too: this process); the function's processes are the fnurl
// server's children.
//
// The targets run interleaved (hello, url-none, url-iam, invoke, … then the
// next repetition, each in a rotated order), at each concurrency, for a fixed
// duration or a bounded number of requests each:
//
//	hello        GET on the net/http hello server (the ceiling)
//	url-none     GET on the NONE function URL
//	url-iam      GET on the AWS_IAM function URL: one signed request, replayed
//	url-iam-hello  the same on the hello function's AWS_IAM URL (the echo
//	             function returns its 1.5 KB event; hello, the walkthrough's
//	             function, returns "Hello from Lambda!")
//	url-none-hello  GET on the hello function's NONE URL
//	invoke       the Lambda Invoke API, one signed request replayed
//	url-reject   the AWS_IAM URL with a wrong signature (403, or 429 once throttled)
//	iam-getuser  IAM GetUser through aws-sdk-go-v2
//	sts-gci      STS GetCallerIdentity through aws-sdk-go-v2
//	boto3-sts, boto3-iam   the same through boto3, sequentially (when python3 has boto3)
//	moto-sts, moto-iam   boto3 against moto's server, for comparison (when moto is installed)
//	floor, floor-hello   GET on the floor (floor.go): a minimal Runtime API
//	             server in front of the echo or hello function, sent url-iam's
//	             event, one invocation at a time (c=1 only)
//	proto, proto-hello   a signed GET on the prototype (proto.go): the floor
//	             plus the prototype's work, SigV4, the policy, the
//	             event and the response mapping (c=1 only)
//	rie, rie-hello   AWS's Runtime Interface Emulator with the same functions
//	             and event (c=1 only; see -rie)
//
// The HTTP targets use a minimal keep-alive HTTP/1.1 client, one connection
// and one goroutine per concurrent caller. After the timed repetitions, each
// target is run once more at concurrency 1 for a fixed number of requests
// under perf stat (when perf can count the raw_syscalls tracepoint) to count
// syscalls per request.
//
// It prints the table and, unless -out is empty, writes results.md and
// chart.png into -out (default docs/benchmarks). -smoke runs a short
// version that checks that everything works (used in CI) and writes
// nothing unless -out is given.
//
// Usage:
//
//	go run ./cmd/fnurl-bench [flags]
//	scripts/bench [flags]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// config is what the flags set.
type config struct {
	duration, warmup  time.Duration
	reps              int
	conc              []int
	maxRequests       int
	countRequests     int
	out               string
	only              []string
	serverGOMAXPROCS  string
	fnGOMAXPROCS      string
	serverArgs        []string
	compareArgs       []string
	fnurlBin          string
	compareBin        string
	compareGOMAXPROCS string
	compareFnProcs    string
	perf, python      string
	rie               string
	client            string
	moto              bool
	breakdown         bool
	smoke             bool
	quiet             bool
	pin               bool
	args              []string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{args: args}
	fs := flag.NewFlagSet("fnurl-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.duration, "duration", 2*time.Second, "duration of one target in one repetition")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "warm-up per target and concurrency before the repetitions (fills the warm pool)")
	fs.IntVar(&c.reps, "reps", 5, "repetitions of the interleaved round")
	concs := fs.String("c", "1,16,64", "comma-separated concurrencies")
	fs.IntVar(&c.maxRequests, "max-requests", 200000, "bound on the requests of one target in one repetition")
	fs.IntVar(&c.countRequests, "count-requests", 2000, "requests per target in the syscall-counting run (0 skips it)")
	fs.StringVar(&c.out, "out", "docs/benchmarks", "directory for results.md and chart.png, relative to the module root (empty: print only)")
	only := fs.String("targets", "", "comma-separated targets to run (default: all available)")
	fs.StringVar(&c.serverGOMAXPROCS, "server-gomaxprocs", "", "GOMAXPROCS for the fnurl server (empty: its own default)")
	fs.StringVar(&c.fnGOMAXPROCS, "function-gomaxprocs", "", "GOMAXPROCS in the echo function's environment variables (empty: the sandbox's default)")
	serverArgs := fs.String("server-args", "", "extra arguments for fnurl serve, space-separated (e.g. \"--audit off\")")
	compareArgs := fs.String("compare-server-args", "", "extra arguments for the -compare server's fnurl serve (default: as -server-args), e.g. another --store")
	fs.StringVar(&c.fnurlBin, "fnurl", "", "use this fnurl binary instead of building ./cmd/fnurl")
	fs.StringVar(&c.compareGOMAXPROCS, "compare-gomaxprocs", "", "GOMAXPROCS for the -compare server (default: as -server-gomaxprocs)")
	fs.StringVar(&c.compareFnProcs, "compare-function-gomaxprocs", "", "GOMAXPROCS in the -compare server's echo function (default: as -function-gomaxprocs)")
	fs.StringVar(&c.compareBin, "compare", "", "also run a second fnurl server from this binary (for example one built from an older commit), with targets url-none@B, url-iam@B, url-none-hello@B, url-iam-hello@B, invoke@B and url-reject@B interleaved with the others: an A/B comparison in one run")
	fs.StringVar(&c.perf, "perf", "auto", "count syscalls with perf stat: auto, on or off")
	fs.StringVar(&c.python, "boto3", "auto", "boto3 targets: auto (when python3 has boto3), on or off")
	fs.BoolVar(&c.breakdown, "breakdown", false, "in the counting run, also break the fnurl server's syscalls down by name with perf trace -s (needs perf)")
	fs.StringVar(&c.rie, "rie", "auto", "AWS's Lambda Runtime Interface Emulator, run with both functions at c=1 (it serves one invocation at a time): off, a path to aws-lambda-rie, or auto (aws-lambda-rie on PATH, else go install of the pinned version into the user's cache directory; the issue's figures when neither works)")
	fs.StringVar(&c.client, "client", clientRaw, "how the load generator sends HTTP requests: raw (a serialised request replayed on a kept-alive connection, its response read with as little work as a client can do) or net/http (Go's own client, as a program on an AWS SDK sends them); not the IAM and STS targets, which use their SDKs")
	fs.BoolVar(&c.moto, "moto", true, "compare with moto's server when moto_server is installed")
	fs.BoolVar(&c.smoke, "smoke", false, "short run that checks everything works (CI): -duration 150ms -warmup 150ms -reps 1 -c 1,16 -count-requests 200 -boto3 off -moto=false, writing nothing unless -out is given")
	fs.BoolVar(&c.pin, "pin", false, "pin the load generator to the last CPU and every server with its functions to the others, as when the client is another machine (Linux, 2 CPUs or more)")
	fs.BoolVar(&c.quiet, "q", false, "do not print progress")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.smoke {
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("duration", func() { c.duration = 150 * time.Millisecond })
		def("warmup", func() { c.warmup = 150 * time.Millisecond })
		def("reps", func() { c.reps = 1 })
		def("c", func() { *concs = "1,16" })
		def("count-requests", func() { c.countRequests = 200 })
		def("boto3", func() { c.python = "off" })
		def("moto", func() { c.moto = false })
		def("out", func() { c.out = "" })
	}
	for _, s := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("-c: %q is not a concurrency between 1 and 1024", s)
		}
		c.conc = append(c.conc, n)
	}
	if *only != "" {
		c.only = strings.Split(*only, ",")
	}
	c.serverArgs = strings.Fields(*serverArgs)
	c.compareArgs = c.serverArgs
	if *compareArgs != "" {
		c.compareArgs = strings.Fields(*compareArgs)
	}
	if c.reps < 1 || c.duration <= 0 || c.maxRequests < 1 {
		return nil, errors.New("-reps, -duration and -max-requests must be positive")
	}
	if c.client != clientRaw && c.client != clientNetHTTP {
		return nil, fmt.Errorf("-client %q: use %s or %s", c.client, clientRaw, clientNetHTTP)
	}
	for _, v := range []string{c.perf, c.python} {
		if v != "auto" && v != "on" && v != "off" {
			return nil, fmt.Errorf("%q: use auto, on or off", v)
		}
	}
	return c, nil
}

func main() {
	if os.Getenv(helloEnv) == "1" {
		if err := serveHello(); err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
		return
	}
	if os.Getenv(floorEnv) == "1" {
		if err := serveFloor(); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fnurl-bench:", err)
		os.Exit(1)
	}
}

// target is one thing the benchmark measures.
type target struct {
	name, desc string
	server     *child // the process whose CPU is the server's
	function   bool   // the server's child processes are the function (fnurl's environments, the RIE's runtime)
	onlyC1     bool   // sequential only (boto3)
	// ops returns c workers, or run is set instead (boto3).
	ops func(c int) ([]op, func(), error)
	run func(c int, d time.Duration, maxN int, begin func()) (load, error)
}

// bench holds the running processes.
type bench struct {
	cfg    *config
	log    io.Writer
	tmp    string
	hello  *child
	fnurl  *child
	moto   *child
	fx     *fixture
	fnurlB *child
	fxB    *fixture
	// rie and rieHello run the echo and hello functions under the
	// Runtime Interface Emulator, floor and floorHello under the floor
	// (floor.go); event is what all four are sent: the one fnurl gives
	// the echo function for url-iam's request. proto and protoHello
	// serve the prototype (proto.go), which builds its own events.
	rie, rieHello     *child
	floor, floorHello *child
	proto, protoHello *child
	event             []byte
	perfOK            bool

	startRSS int64 // KiB, the fnurl server's right after it started
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, log: stderr}
	if cfg.quiet {
		b.log = io.Discard
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "fnurl-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	defer b.stopAll()
	go func() {
		<-ctx.Done()
		b.stopAll()
	}()
	if err := b.start(ctx, root); err != nil {
		return err
	}
	targets, err := b.targets()
	if err != nil {
		return err
	}
	res := &results{cfg: cfg, started: time.Now(), machine: machineInfo(root)}
	if cfg.pin {
		if res.pinned, err = b.pin(); err != nil {
			return err
		}
	}
	res.startRSS = b.startRSS
	res.idleRSS = b.rss(b.fnurl)
	res.helloRSS = b.rss(b.hello)

	// Warm-up: every target at every concurrency once, so the warm pool
	// holds as many environments as the highest concurrency needs.
	for i, c := range cfg.conc {
		for _, t := range targets {
			if t.onlyC1 && c != 1 {
				continue
			}
			if _, err := b.phase(ctx, t, c, cfg.warmup); err != nil {
				return fmt.Errorf("warm-up %s c=%d: %w", t.name, c, err)
			}
		}
		if i == 0 {
			res.firstRSS, res.firstEnvs = b.rss(b.fnurl), len(children(b.fnurl.pid()))
		}
	}
	res.warmRSS = b.rss(b.fnurl)
	res.envs = len(children(b.fnurl.pid()))
	res.envRSS = b.childRSS()

	for rep := range cfg.reps {
		for _, c := range cfg.conc {
			order := rotate(targets, rep)
			for _, t := range order {
				if t.onlyC1 && c != 1 {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				p, err := b.phase(ctx, t, c, cfg.duration)
				if err != nil {
					return fmt.Errorf("%s c=%d: %w", t.name, c, err)
				}
				p.rep = rep
				res.add(p)
				fmt.Fprintf(b.log, "rep %d c=%-3d %-12s %8.0f req/s  p50 %7.0f µs  p99 %7.0f µs  errors %d %s\n",
					rep+1, c, t.name, p.rps(), us(p.p50), us(p.p99), p.errs, p.errMsg)
			}
		}
	}
	if cfg.countRequests > 0 {
		for _, t := range targets {
			if t.ops == nil {
				continue
			}
			cnt, err := b.count(ctx, t, cfg.countRequests)
			if err != nil {
				return fmt.Errorf("counting %s: %w", t.name, err)
			}
			res.counts = append(res.counts, cnt)
		}
	}
	res.finished = time.Now()
	res.perf = b.perfOK
	md := res.markdown()
	fmt.Fprint(stdout, md)
	if cfg.out != "" {
		dir := cfg.out
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md), 0o644); err != nil {
			return err
		}
		png, err := res.chart()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "chart.png"), png, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(b.log, "wrote %s and %s\n", filepath.Join(dir, "results.md"), filepath.Join(dir, "chart.png"))
	}
	if n := res.failures(); n > 0 {
		return fmt.Errorf("%d requests failed (see the errors column)", n)
	}
	return nil
}

func rotate(ts []*target, n int) []*target {
	n %= len(ts)
	return append(slices.Clone(ts[n:]), ts[:n]...)
}

func (b *bench) stopAll() {
	b.fnurl.stop()
	b.fnurlB.stop()
	b.hello.stop()
	b.moto.stop()
	b.rie.stop()
	b.rieHello.stop()
	b.floor.stop()
	b.floorHello.stop()
	b.proto.stop()
	b.protoHello.stop()
}

// start builds and starts the hello server, fnurl (and moto), and sets up
// the function, its URLs and the bench user.
func (b *bench) start(ctx context.Context, root string) error {
	cfg := b.cfg
	bin := cfg.fnurlBin
	if bin == "" {
		bin = filepath.Join(b.tmp, "fnurl")
		fmt.Fprintln(b.log, "building ./cmd/fnurl and the echo function")
		if err := goBuild(root, "./cmd/fnurl", bin); err != nil {
			return err
		}
	}
	zipFile, echoBin, err := functionZip(root, b.tmp, "echo")
	if err != nil {
		return err
	}
	helloZip, helloBin, err := functionZip(root, b.tmp, "hello")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if b.hello, err = startChild("hello", []string{self}, []string{helloEnv + "=1"}, filepath.Join(b.tmp, "hello.log")); err != nil {
		return err
	}
	dataDir := filepath.Join(b.tmp, "data")
	argv := append([]string{bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, cfg.serverArgs...)
	var env []string
	if cfg.serverGOMAXPROCS != "" {
		env = append(env, "GOMAXPROCS="+cfg.serverGOMAXPROCS)
	}
	if b.fnurl, err = startChild("fnurl", argv, env, filepath.Join(b.tmp, "fnurl.log")); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond) // done starting
	b.startRSS = b.rss(b.fnurl)
	var fnEnv map[string]string
	if cfg.fnGOMAXPROCS != "" {
		fnEnv = map[string]string{"GOMAXPROCS": cfg.fnGOMAXPROCS}
	}
	if b.fx, err = setUp(ctx, b.fnurl, dataDir, zipFile, helloZip, fnEnv); err != nil {
		return err
	}
	if cfg.compareBin != "" {
		dirB := filepath.Join(b.tmp, "data-b")
		argv := append([]string{cfg.compareBin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dirB}, cfg.compareArgs...)
		envB := env
		if cfg.compareGOMAXPROCS != "" {
			envB = []string{"GOMAXPROCS=" + cfg.compareGOMAXPROCS}
		}
		if b.fnurlB, err = startChild("fnurl B", argv, envB, filepath.Join(b.tmp, "fnurl-b.log")); err != nil {
			return err
		}
		fnEnvB := fnEnv
		if cfg.compareFnProcs != "" {
			fnEnvB = map[string]string{"GOMAXPROCS": cfg.compareFnProcs}
		}
		if b.fxB, err = setUp(ctx, b.fnurlB, dirB, zipFile, helloZip, fnEnvB); err != nil {
			return fmt.Errorf("server B: %w", err)
		}
	}
	if b.event, err = b.urlIAMEvent(); err != nil {
		return err
	}
	eventFile := filepath.Join(b.tmp, "event.json")
	if err := os.WriteFile(eventFile, b.event, 0o644); err != nil {
		return err
	}
	for _, f := range []struct {
		c         **child
		name, bin string
		resource  string // for the prototype: the function's ARN
	}{{&b.floor, "floor", echoBin, ""}, {&b.floorHello, "floor-hello", helloBin, ""},
		{&b.proto, "proto", echoBin, b.fx.fnARN}, {&b.protoHello, "proto-hello", helloBin, b.fx.helloARN}} {
		env := []string{floorEnv + "=1", floorBootstrapEnv + "=" + f.bin, floorEventEnv + "=" + eventFile}
		if f.resource != "" {
			file := filepath.Join(b.tmp, f.name+".json")
			if err := b.writeProtoConfig(file, f.resource); err != nil {
				return err
			}
			env = append(env, floorProtoEnv+"="+file)
		}
		if *f.c, err = startChild(f.name, []string{self}, env, filepath.Join(b.tmp, f.name+".log")); err != nil {
			return err
		}
	}
	rie, err := findRIE(cfg.rie, b.log)
	if err != nil {
		return err
	}
	if rie != "" {
		if err := b.startRIE(rie, echoBin, helloBin); err != nil {
			return err
		}
	}
	if cfg.moto && cfg.python != "off" && haveBoto3() {
		if b.moto, err = startMoto(b.tmp); err != nil {
			return err
		}
	}
	switch cfg.perf {
	case "auto":
		b.perfOK = perfWorks()
	case "on":
		if b.perfOK = perfWorks(); !b.perfOK {
			return errors.New("-perf on: perf stat cannot count raw_syscalls:sys_enter here")
		}
	}
	return nil
}

// signedRequest returns a request signed by the bench user, serialised.
func (b *bench) signedRequest(fx *fixture, method, url string, body []byte, secret string) ([]byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	creds := sigv4.Credentials{AccessKeyID: fx.userKey, SecretAccessKey: secret}
	if err := sigv4.Sign(req, hex.EncodeToString(sum[:]), creds, "us-east-1", "lambda", time.Now()); err != nil {
		return nil, err
	}
	return newRawRequest(req)
}

func isOK(s int) bool       { return s == http.StatusOK }
func isRejected(s int) bool { return s == http.StatusForbidden || s == http.StatusTooManyRequests }

// targets lists the targets to run.
func (b *bench) targets() ([]*target, error) {
	fx := b.fx
	raw := func(server *child, build func() ([]byte, error), ok func(int) bool) func(c int) ([]op, func(), error) {
		return func(c int) ([]op, func(), error) {
			// Signed anew for each phase, so that a long run stays within
			// the five minutes of allowed clock skew.
			req, err := build()
			if err != nil {
				return nil, nil, err
			}
			return clientOps(b.cfg.client, server.addr, req, c, ok)
		}
	}
	get := func(url string) func() ([]byte, error) {
		return func() ([]byte, error) {
			req, err := http.NewRequest("GET", url, nil)
			if err != nil {
				return nil, err
			}
			return newRawRequest(req)
		}
	}
	payload := []byte(`{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET","path":"/"}}}`)
	// invokeTargets are the targets that invoke the function on the
	// server of fx; suffix tells a second server's apart.
	invokeTargets := func(fx *fixture, suffix, what string) []*target {
		invokeURL := fx.server.endpoint + "/2015-03-31/functions/echo/invocations"
		return []*target{
			{name: "url-none" + suffix, desc: "function URL, auth NONE" + what, server: fx.server, function: true, ops: raw(fx.server, get(fx.noneURL), isOK)},
			{name: "url-iam" + suffix, desc: "function URL, auth AWS_IAM (SigV4 + policy)" + what, server: fx.server, function: true,
				ops: raw(fx.server, func() ([]byte, error) { return b.signedRequest(fx, "GET", fx.iamURL, nil, fx.userSecret) }, isOK)},
			{name: "url-none-hello" + suffix, desc: "function URL, auth NONE, of the hello function" + what, server: fx.server, function: true, ops: raw(fx.server, get(fx.helloNoneURL), isOK)},
			{name: "url-iam-hello" + suffix, desc: "function URL, auth AWS_IAM, of the hello function (answers \"Hello from Lambda!\")" + what, server: fx.server, function: true,
				ops: raw(fx.server, func() ([]byte, error) { return b.signedRequest(fx, "GET", fx.helloURL, nil, fx.userSecret) }, isOK)},
			{name: "invoke" + suffix, desc: "Lambda Invoke API (SigV4 + policy)" + what, server: fx.server, function: true,
				ops: raw(fx.server, func() ([]byte, error) { return b.signedRequest(fx, "POST", invokeURL, payload, fx.userSecret) }, isOK)},
			{name: "url-reject" + suffix, desc: "AWS_IAM URL, wrong signature (403/429)" + what, server: fx.server, function: true,
				ops: raw(fx.server, func() ([]byte, error) { return b.signedRequest(fx, "GET", fx.iamURL, nil, "wrong"+fx.userSecret) }, isRejected)},
		}
	}
	sdk := func(call func(ctx context.Context, ic *iamsdk.Client, sc *stssdk.Client) error) func(c int) ([]op, func(), error) {
		return func(c int) ([]op, func(), error) {
			ic, sc := fx.sdkClients(c)
			ops := make([]op, c)
			for i := range ops {
				ops[i] = func() error { return call(context.Background(), ic, sc) }
			}
			return ops, func() {}, nil
		}
	}
	all := []*target{
		{name: "hello", desc: "plain net/http hello server (ceiling)", server: b.hello, ops: raw(b.hello, get(b.hello.endpoint+"/"), isOK)},
	}
	all = append(all, invokeTargets(fx, "", "")...)
	// The floor serves one invocation at a time, as the emulator does.
	all = append(all,
		&target{name: "floor", desc: "the floor: a minimal Runtime API server in front of the echo function, sent url-iam's event (no auth, no event building, no response mapping)", server: b.floor, function: true, onlyC1: true, ops: raw(b.floor, get(b.floor.endpoint+"/"), isOK)},
		&target{name: "floor-hello", desc: "the floor in front of the hello function", server: b.floorHello, function: true, onlyC1: true, ops: raw(b.floorHello, get(b.floorHello.endpoint+"/"), isOK)},
		&target{name: "proto", desc: "the prototype: the floor plus the issue's prototype's work (SigV4, the policy, the event, the response mapping; proto.go), echo function, signed as url-iam", server: b.proto, function: true, onlyC1: true,
			ops: raw(b.proto, func() ([]byte, error) { return b.signedRequest(fx, "GET", b.proto.endpoint+"/", nil, fx.userSecret) }, isOK)},
		&target{name: "proto-hello", desc: "the prototype in front of the hello function", server: b.protoHello, function: true, onlyC1: true,
			ops: raw(b.protoHello, func() ([]byte, error) {
				return b.signedRequest(fx, "GET", b.protoHello.endpoint+"/", nil, fx.userSecret)
			}, isOK)})
	if b.rie != nil {
		post := func(rie *child) func() ([]byte, error) {
			return func() ([]byte, error) {
				req, err := http.NewRequest("POST", rie.endpoint+rieInvokePath, bytes.NewReader(b.event))
				if err != nil {
					return nil, err
				}
				req.Header.Set("Content-Type", "application/json")
				return newRawRequest(req)
			}
		}
		// The emulator serves one invocation at a time (a second one at
		// once crashes it), so it runs at c=1 only.
		all = append(all,
			&target{name: "rie", desc: "AWS Lambda Runtime Interface Emulator, echo function, sent url-iam's event", server: b.rie, function: true, onlyC1: true, ops: raw(b.rie, post(b.rie), isOK)},
			&target{name: "rie-hello", desc: "AWS Lambda Runtime Interface Emulator, hello function, sent url-iam's event", server: b.rieHello, function: true, onlyC1: true, ops: raw(b.rieHello, post(b.rieHello), isOK)})
	}
	all = append(all, []*target{
		{name: "iam-getuser", desc: "IAM GetUser, aws-sdk-go-v2", server: fx.server, function: true,
			ops: sdk(func(ctx context.Context, ic *iamsdk.Client, _ *stssdk.Client) error {
				_, err := ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bench")})
				return err
			})},
		{name: "sts-gci", desc: "STS GetCallerIdentity, aws-sdk-go-v2", server: fx.server, function: true,
			ops: sdk(func(ctx context.Context, _ *iamsdk.Client, sc *stssdk.Client) error {
				_, err := sc.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
				return err
			})},
	}...)
	if b.fxB != nil {
		all = append(all, invokeTargets(b.fxB, "@B", ", server B (-compare "+b.cfg.compareBin+")")...)
	}
	py := b.cfg.python == "on" || b.cfg.python == "auto" && haveBoto3()
	if b.cfg.python == "on" && !haveBoto3() {
		return nil, errors.New("-boto3 on: python3 cannot import boto3")
	}
	if py {
		script := filepath.Join(b.tmp, "boto.py")
		if err := os.WriteFile(script, []byte(botoScript), 0o644); err != nil {
			return nil, err
		}
		all = append(all,
			&target{name: "boto3-sts", desc: "STS GetCallerIdentity, boto3 (sequential)", server: fx.server, function: true, onlyC1: true,
				run: botoRunner(script, fx.server.endpoint, "sts", fx.userKey, fx.userSecret)},
			&target{name: "boto3-iam", desc: "IAM GetUser, boto3 (sequential)", server: fx.server, function: true, onlyC1: true,
				run: botoRunner(script, fx.server.endpoint, "iam", fx.userKey, fx.userSecret)})
		if b.moto != nil {
			all = append(all, &target{name: "moto-sts", desc: "STS GetCallerIdentity, boto3 against moto_server (no signature check)", server: b.moto, onlyC1: true,
				run: botoRunner(script, b.moto.endpoint, "sts", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")},
				&target{name: "moto-iam", desc: "IAM GetUser, boto3 against moto_server (no signature check)", server: b.moto, onlyC1: true,
					run: botoRunner(script, b.moto.endpoint, "iam-create", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")})
		}
	}
	if len(b.cfg.only) == 0 {
		return all, nil
	}
	var out []*target
	for _, name := range b.cfg.only {
		i := slices.IndexFunc(all, func(t *target) bool { return t.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("-targets: unknown or unavailable target %q", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// phase runs t at concurrency c for d and measures the server and the
// function processes around it.
func (b *bench) phase(ctx context.Context, t *target, c int, d time.Duration) (*phaseResult, error) {
	var srvBefore, fnBefore, genBefore usageSet
	// A fnurl server's own time per invocation, from its metrics: scraped
	// before the CPU snapshots, after them at the end.
	own := t.function && t.server != nil && (t.server == b.fnurl || t.server == b.fnurlB) && !t.server.noMetrics
	var ownBefore overhead
	var ownErr error
	begin := func() {
		if own {
			ownBefore, ownErr = scrapeOverhead(t.server.endpoint)
		}
		srvBefore = snapshot([]int{t.server.pid()})
		fnBefore = snapshot(children(t.server.pid()))
		genBefore = snapshot([]int{os.Getpid()})
	}
	var l load
	if t.run != nil {
		var err error
		if l, err = t.run(c, d, b.cfg.maxRequests, begin); err != nil {
			return nil, err
		}
	} else {
		ops, closeAll, err := t.ops(c)
		if err != nil {
			return nil, err
		}
		l = runLoad(ops, d, b.cfg.maxRequests, begin)
		closeAll()
	}
	genAfter := snapshot([]int{os.Getpid()})
	srvAfter := snapshot([]int{t.server.pid()})
	fnPids := children(t.server.pid())
	fnAfter := snapshot(fnPids)
	p := newPhaseResult(t, c, l)
	srv, fn, gen := delta(srvBefore, srvAfter), delta(fnBefore, fnAfter), delta(genBefore, genAfter)
	p.srvTicks, p.srvCtx, p.srvWait = srv.cpuTicks, srv.ctx, srv.waitNs
	p.fnTicks, p.fnCtx, p.fnWait = fn.cpuTicks, fn.ctx, fn.waitNs
	// The load generator is this process unless an outside client (boto3)
	// sends the requests.
	p.hasWait = srv.hasWait
	if t.run == nil {
		p.genWait, p.hasGenWait = gen.waitNs, gen.hasWait
	}
	p.fnProcs = len(fnPids)
	if ownErr != nil {
		return nil, ownErr
	}
	switch {
	case own && !ownBefore.ok:
		t.server.noMetrics = true
	case own:
		after, err := scrapeOverhead(t.server.endpoint)
		if err != nil {
			return nil, err
		}
		p.own, p.hasOwn = after.plus(ownBefore, -1), after.ok
	}
	return p, ctx.Err()
}

// count runs t for exactly n requests at concurrency 1 and counts the
// server's and the function's syscalls and context switches.
func (b *bench) count(ctx context.Context, t *target, n int) (*countResult, error) {
	ops, closeAll, err := t.ops(1)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	// A few requests first, so that connections and buffers exist.
	for range 20 {
		ops[0]()
	}
	srvPid := t.server.pid()
	fnPids := children(srvPid)
	var srvPerf, fnPerf, trace *perfCounter
	if b.perfOK && b.cfg.breakdown && t.function {
		if trace, err = startTrace(srvPid, filepath.Join(b.tmp, "perf-trace.txt")); err != nil {
			return nil, err
		}
	}
	if b.perfOK {
		if srvPerf, err = startPerf([]int{srvPid}, filepath.Join(b.tmp, "perf-server.txt")); err != nil {
			return nil, err
		}
		if t.function {
			if fnPerf, err = startPerf(fnPids, filepath.Join(b.tmp, "perf-fn.txt")); err != nil {
				return nil, err
			}
		}
		time.Sleep(500 * time.Millisecond) // perf attaches
	}
	srvBefore, fnBefore := snapshot([]int{srvPid}), snapshot(fnPids)
	l := runLoad(ops, time.Hour, n, func() {})
	srvAfter, fnAfter := snapshot([]int{srvPid}), snapshot(fnPids)
	cr := &countResult{target: t.name, function: t.function, n: l.n, errs: l.errs}
	srv, fn := delta(srvBefore, srvAfter), delta(fnBefore, fnAfter)
	cr.srvTicks, cr.srvCtx, cr.srvRW = srv.cpuTicks, srv.ctx, srv.syscalls
	cr.fnTicks, cr.fnCtx, cr.fnRW = fn.cpuTicks, fn.ctx, fn.syscalls
	if srvPerf != nil {
		m, err := srvPerf.stop()
		if err != nil {
			return nil, err
		}
		cr.srvSyscalls, cr.srvPerfCtx = m["raw_syscalls:sys_enter"], m["context-switches"]
		cr.perf = true
	}
	if trace != nil {
		if cr.breakdown, err = trace.stopTrace(); err != nil {
			return nil, err
		}
	}
	if fnPerf != nil {
		m, err := fnPerf.stop()
		if err != nil {
			return nil, err
		}
		cr.fnSyscalls, cr.fnPerfCtx = m["raw_syscalls:sys_enter"], m["context-switches"]
	}
	fmt.Fprintf(b.log, "count %-12s %d requests: server %.1f syscalls, %.1f ctx switches per request\n",
		t.name, cr.n, cr.per(cr.srvSyscalls), cr.per(cr.srvCtx))
	return cr, ctx.Err()
}

func (b *bench) rss(c *child) int64 {
	if c == nil {
		return 0
	}
	u, _ := readUsage(c.pid())
	return u.RSSKiB
}

// childRSS is the mean RSS of fnurl's function processes.
func (b *bench) childRSS() int64 {
	pids := children(b.fnurl.pid())
	if len(pids) == 0 {
		return 0
	}
	var sum int64
	for _, u := range snapshot(pids) {
		sum += u.RSSKiB
	}
	return sum / int64(len(pids))
}

// machineInfo describes where the benchmark ran.
func machineInfo(root string) string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d CPUs (%s), Linux %s, %s, fnurl %s", runtime.NumCPU(), model, strings.TrimSpace(string(kernel)),
		runtime.Version(), gitDescribe(root))
}

func gitDescribe(root string) string {
	out, err := execOutput(root, "git", "rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "(unknown commit)"
	}
	rev := strings.TrimSpace(out)
	if st, err := execOutput(root, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && strings.TrimSpace(st) != "" {
		rev += " with local changes"
	}
	return rev
}
