package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// phaseResult is one target at one concurrency in one repetition.
type phaseResult struct {
	target, desc string
	function     bool
	c, rep       int
	n, errs      int
	errMsg       string
	elapsed      time.Duration
	p50, p99     time.Duration

	srvTicks, srvCtx int64
	fnTicks, fnCtx   int64
	fnProcs          int

	// Run-queue wait (ns, from schedstat): time the server's, the
	// function's and the load generator's threads were runnable but had
	// no CPU.
	srvWait, fnWait, genWait int64
	hasWait, hasGenWait      bool

	own    overhead // a fnurl server's own time in the phase's invocations
	hasOwn bool
}

func newPhaseResult(t *target, c int, l load) *phaseResult {
	p := &phaseResult{target: t.name, desc: t.desc, function: t.function, c: c, n: l.n, errs: l.errs, errMsg: l.errMsg, elapsed: l.elapsed}
	p.p50, p.p99 = percentile(l.lat, 50), percentile(l.lat, 99)
	return p
}

func (p *phaseResult) rps() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.n) / p.elapsed.Seconds()
}

// percentile returns the p-th percentile (nearest rank) of lat, which it
// sorts.
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(float64(len(lat))*p/100+0.5) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

// median of xs (which it sorts); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// countResult is a target's fixed-count run at concurrency 1.
type countResult struct {
	target            string
	function          bool
	n, errs           int
	perf              bool
	srvTicks, fnTicks int64
	srvCtx, fnCtx     int64 // from /proc
	srvRW, fnRW       int64 // read/write class syscalls from /proc/<pid>/io
	srvSyscalls       int64 // from perf
	fnSyscalls        int64
	srvPerfCtx        int64
	fnPerfCtx         int64
	breakdown         map[string]int64 // server syscalls by name (perf trace -s), with -breakdown
}

func (c *countResult) per(v int64) float64 {
	if c.n == 0 {
		return 0
	}
	return float64(v) / float64(c.n)
}

// results gathers everything the report shows.
type results struct {
	cfg               *config
	machine           string
	started, finished time.Time
	order             []string // targets in first-seen order
	desc              map[string]string
	function          map[string]bool
	phases            map[key][]*phaseResult
	counts            []*countResult
	perf              bool
	pinned            string // what -pin did, or ""

	startRSS, idleRSS, warmRSS, helloRSS, envRSS int64 // KiB
	firstRSS                                     int64 // after the warm-up at the first concurrency
	envs, firstEnvs                              int
}

// perEnvRSS is the server's RSS growth per execution environment between
// the warm-up at the first concurrency and the last, or false when it
// cannot be told (no new environments, or the heap shrank meanwhile).
func (r *results) perEnvRSS() (float64, bool) {
	if r.envs <= r.firstEnvs || r.warmRSS < r.firstRSS {
		return 0, false
	}
	return mb(r.warmRSS-r.firstRSS) / float64(r.envs-r.firstEnvs), true
}

type key struct {
	target string
	c      int
}

func (r *results) add(p *phaseResult) {
	if r.phases == nil {
		r.phases, r.desc, r.function = map[key][]*phaseResult{}, map[string]string{}, map[string]bool{}
	}
	if _, ok := r.desc[p.target]; !ok {
		r.order = append(r.order, p.target)
		r.desc[p.target], r.function[p.target] = p.desc, p.function
	}
	k := key{p.target, p.c}
	r.phases[k] = append(r.phases[k], p)
}

// summary is one row of the table: medians over repetitions and sums.
type summary struct {
	target              string
	c, reps             int
	rps, p50, p99       float64 // req/s, µs, µs (medians over repetitions)
	rpsRatio, p50Ratio  float64 // medians of per-repetition ratios to hello (0: no hello)
	srvCPU, fnCPU       float64 // µs per request
	srvCtx, fnCtx       float64 // per request
	n, errs             int
	errMsg              string
	fnProcs             int
	hasHello, hasFnProc bool
	ownReq, ownResp     float64 // µs: a fnurl server's own time per warm invocation (medians)
	hasOwn              bool
	// µs per request that the server's, the function's and the load
	// generator's threads waited for a CPU (run queue).
	srvWait, fnWait, genWait float64
	hasWait, hasGenWait      bool
}

func (r *results) summary(target string, c int) (summary, bool) {
	ps := r.phases[key{target, c}]
	if len(ps) == 0 {
		return summary{}, false
	}
	s := summary{target: target, c: c, reps: len(ps)}
	hello := map[int]*phaseResult{}
	for _, h := range r.phases[key{"hello", c}] {
		hello[h.rep] = h
	}
	var rps, p50, p99, rr, pr []float64
	var srvT, fnT, srvC, fnC int64
	var srvW, fnW, genW int64
	s.hasWait, s.hasGenWait = true, true
	var own overhead
	for _, p := range ps {
		if p.hasOwn {
			own = own.plus(p.own, 1)
		}
		rps = append(rps, p.rps())
		p50 = append(p50, us(p.p50))
		p99 = append(p99, us(p.p99))
		if h, ok := hello[p.rep]; ok && h.rps() > 0 && h.p50 > 0 {
			rr = append(rr, p.rps()/h.rps())
			pr = append(pr, float64(p.p50)/float64(h.p50))
		}
		srvT += p.srvTicks
		fnT += p.fnTicks
		srvC += p.srvCtx
		fnC += p.fnCtx
		srvW += p.srvWait
		fnW += p.fnWait
		genW += p.genWait
		s.hasWait = s.hasWait && p.hasWait
		s.hasGenWait = s.hasGenWait && p.hasGenWait
		s.n += p.n
		s.errs += p.errs
		if s.errMsg == "" {
			s.errMsg = p.errMsg
		}
		s.fnProcs = max(s.fnProcs, p.fnProcs)
	}
	s.rps, s.p50, s.p99 = median(rps), median(p50), median(p99)
	if req, ok := own.phases[0].median(); ok {
		if resp, ok := own.phases[1].median(); ok {
			s.ownReq, s.ownResp, s.hasOwn = req, resp, true
		}
	}
	if len(rr) > 0 {
		s.hasHello = true
		s.rpsRatio, s.p50Ratio = median(rr), median(pr)
	}
	if s.n > 0 {
		tick := float64(time.Second/clockTicks) / float64(time.Microsecond)
		s.srvCPU = float64(srvT) * tick / float64(s.n)
		s.fnCPU = float64(fnT) * tick / float64(s.n)
		s.srvCtx = float64(srvC) / float64(s.n)
		s.fnCtx = float64(fnC) / float64(s.n)
		perUs := func(ns int64) float64 { return float64(ns) / 1e3 / float64(s.n) }
		s.srvWait, s.fnWait, s.genWait = perUs(srvW), perUs(fnW), perUs(genW)
	}
	return s, true
}

// ratioPerRep is the median over repetitions of a's p50 / b's p50 at c.
func (r *results) ratioPerRep(a, b string, c int) (float64, bool) {
	return r.perRep(a, b, c, func(p *phaseResult) float64 { return float64(p.p50) })
}

// perRep is the median over the repetitions of f(a) ÷ f(b) at
// concurrency c.
func (r *results) perRep(a, b string, c int, f func(*phaseResult) float64) (float64, bool) {
	bs := map[int]*phaseResult{}
	for _, p := range r.phases[key{b, c}] {
		bs[p.rep] = p
	}
	var xs []float64
	for _, p := range r.phases[key{a, c}] {
		if q, ok := bs[p.rep]; ok && f(q) > 0 {
			xs = append(xs, f(p)/f(q))
		}
	}
	return median(xs), len(xs) > 0
}

// failures counts failed requests of every phase.
func (r *results) failures() int {
	n := 0
	for _, ps := range r.phases {
		for _, p := range ps {
			n += p.errs
		}
	}
	for _, c := range r.counts {
		n += c.errs
	}
	return n
}

func (r *results) count(target string) *countResult {
	for _, c := range r.counts {
		if c.target == target {
			return c
		}
	}
	return nil
}

// Reference numbers from issue 11, measured on a similar 2-core machine;
// the RIE's are used when the emulator could not be run (findRIE).
const (
	rieP50us      = 638.0
	rieRPS        = 1419.0
	issueMotoP50  = 4650.0 // µs, boto3 against moto, sequential
	issueHelloP50 = 82.0
)

func (r *results) markdown() string {
	var b strings.Builder
	cfg := r.cfg
	fmt.Fprintf(&b, "# fnurl benchmark results\n\n")
	fmt.Fprintf(&b, "Generated by `go run ./cmd/fnurl-bench %s` on %s (%s, %s).\n\n",
		strings.Join(cfg.args, " "), r.started.UTC().Format("2006-01-02 15:04 MST"), r.machine, r.finished.Sub(r.started).Round(time.Second))
	fmt.Fprintf(&b, "Every target ran %d times, interleaved with the others (A, B, C, … A, B, C, …, in a rotated order each time), "+
		"for %v or %d requests each time, after a warm-up of %v per target and concurrency. "+
		"Latencies and req/s are medians over the repetitions; ×hello columns are medians of per-repetition ratios to the hello server "+
		"at the same concurrency (req/s: higher is better; p50: lower is better). CPU and context switches are totals over all "+
		"repetitions divided by requests: the server's from /proc/<pid>/stat and the voluntary and nonvoluntary context switches of its threads, "+
		"the function's summed over the server's child processes (fnurl's warm execution environments, the emulator's runtime).\n\n",
		cfg.reps, cfg.duration, cfg.maxRequests, cfg.warmup)
	settings := []string{}
	if cfg.client == clientNetHTTP {
		settings = append(settings, "requests sent by Go's net/http client (-client net/http)")
	}
	if cfg.serverGOMAXPROCS != "" {
		settings = append(settings, "server GOMAXPROCS="+cfg.serverGOMAXPROCS)
	}
	if cfg.fnGOMAXPROCS != "" {
		settings = append(settings, "function GOMAXPROCS="+cfg.fnGOMAXPROCS)
	}
	if cfg.compareBin != "" {
		b := "targets …@B on a second server from " + cfg.compareBin
		if cfg.compareGOMAXPROCS != "" {
			b += " with GOMAXPROCS=" + cfg.compareGOMAXPROCS
		}
		if cfg.compareFnProcs != "" {
			b += ", its function with GOMAXPROCS=" + cfg.compareFnProcs
		}
		settings = append(settings, b)
	}
	if len(cfg.serverArgs) > 0 {
		settings = append(settings, "fnurl serve "+strings.Join(cfg.serverArgs, " "))
	}
	if cfg.compareBin != "" && !slices.Equal(cfg.compareArgs, cfg.serverArgs) {
		settings = append(settings, "server B: fnurl serve "+strings.Join(cfg.compareArgs, " "))
	}
	if r.pinned != "" {
		settings = append(settings, r.pinned)
	}
	if len(settings) == 0 {
		settings = append(settings, "defaults")
	}
	fmt.Fprintf(&b, "Settings: %s.\n\n", strings.Join(settings, ", "))

	fmt.Fprintf(&b, "| target | c | req/s | p50 µs | p99 µs | req/s ×hello | p50 ×hello | server CPU µs/req | function CPU µs/req | server ctx sw/req | function ctx sw/req | errors |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cfg.conc {
		for _, t := range r.order {
			s, ok := r.summary(t, c)
			if !ok {
				continue
			}
			ratio := func(v float64) string {
				if !s.hasHello || t == "hello" {
					return "–"
				}
				return fmt.Sprintf("%.2f", v)
			}
			fn := func(v float64, format string) string {
				if !r.function[t] {
					return "–"
				}
				return fmt.Sprintf(format, v)
			}
			errs := fmt.Sprint(s.errs)
			if s.errs > 0 {
				errs += " (" + strings.ReplaceAll(trim(s.errMsg, 60), "|", "/") + ")"
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %.0f | %s | %s | %.0f | %s | %.1f | %s | %s |\n",
				t, c, s.rps, s.p50, s.p99, ratio(s.rpsRatio), ratio(s.p50Ratio), s.srvCPU, fn(s.fnCPU, "%.0f"), s.srvCtx, fn(s.fnCtx, "%.1f"), errs)
		}
	}
	b.WriteString("\nTargets:\n\n")
	for _, t := range r.order {
		fmt.Fprintf(&b, "- `%s`: %s\n", t, r.desc[t])
	}

	if len(r.counts) > 0 {
		src := "syscalls counted by `perf stat -e raw_syscalls:sys_enter` attached to the process"
		if !r.perf {
			src = "perf was not available: syscalls are the read and write class only (syscr + syscw of /proc/<pid>/io)"
		}
		fmt.Fprintf(&b, "\n## Per request, concurrency 1\n\n%d requests per target after 20 unmeasured ones; %s; "+
			"context switches from /proc (voluntary + nonvoluntary, all threads).\n\n", r.counts[0].n, src)
		b.WriteString("| target | server syscalls | server ctx sw | server CPU µs | function syscalls | function ctx sw | function CPU µs |\n|---|---:|---:|---:|---:|---:|---:|\n")
		tick := float64(time.Second/clockTicks) / float64(time.Microsecond)
		for _, c := range r.counts {
			sys, fsys := c.srvSyscalls, c.fnSyscalls
			if !c.perf {
				sys, fsys = c.srvRW, c.fnRW
			}
			fn := func(s string) string {
				if !c.function {
					return "–"
				}
				return s
			}
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.0f | %s | %s | %s |\n", c.target, c.per(sys), c.per(c.srvCtx), c.per(c.srvTicks)*tick,
				fn(fmt.Sprintf("%.1f", c.per(fsys))), fn(fmt.Sprintf("%.1f", c.per(c.fnCtx))), fn(fmt.Sprintf("%.0f", c.per(c.fnTicks)*tick)))
		}
	}

	for _, c := range r.counts {
		if len(c.breakdown) == 0 {
			continue
		}
		names := make([]string, 0, len(c.breakdown))
		var total int64
		for k, v := range c.breakdown {
			names = append(names, k)
			total += v
		}
		slices.SortFunc(names, func(a, b string) int { return int(c.breakdown[b] - c.breakdown[a]) })
		fmt.Fprintf(&b, "\nServer syscalls of `%s` by name, per request (perf trace -s, %.1f in all; tracing adds a few of its own):", c.target, c.per(total))
		for _, k := range names {
			if v := c.per(c.breakdown[k]); v >= 0.05 {
				fmt.Fprintf(&b, " %s %.1f,", k, v)
			}
		}
		b.WriteString("\n")
	}

	b.WriteString(r.ownMarkdown())
	b.WriteString(r.waitMarkdown())

	fmt.Fprintf(&b, "\n## Memory\n\n")
	fmt.Fprintf(&b, "- fnurl server RSS when started, idle: %.1f MB; after the setup (a 3 MB function upload among it): %.1f MB (hello server: %.1f MB)\n",
		mb(r.startRSS), mb(r.idleRSS), mb(r.helloRSS))
	fmt.Fprintf(&b, "- after the warm-up at c=%d: %.1f MB with %d execution environments; after the warm-up at every concurrency: %.1f MB with %d",
		cfg.conc[0], mb(r.firstRSS), r.firstEnvs, mb(r.warmRSS), r.envs)
	if per, ok := r.perEnvRSS(); ok {
		fmt.Fprintf(&b, ", so at most %.2f MB of server memory per environment (the growth divided by the new environments; it also holds the buffers of %d concurrent requests)",
			per, slices.Max(cfg.conc))
	}
	fmt.Fprintf(&b, "\n- each function process (the echo function): %.1f MB RSS on average\n", mb(r.envRSS))

	b.WriteString(r.compareMarkdown())
	b.WriteString(r.targetsMarkdown())

	rie := "the AWS Lambda Runtime Interface Emulator could not be run here, so the targets against it use these figures"
	if _, ok := r.summary("rie", 1); ok {
		rie = "the targets against the AWS Lambda Runtime Interface Emulator use the `rie` and `rie-hello` targets of this run instead"
	}
	b.WriteString("\n## Reference numbers (from issue 11, not measured by this command)\n\n" +
		"Measured on a similar 2-core VM in one run, as the issue reports them; " + rie + ".\n\n" +
		"- RIE with a warm aws-lambda-go function: 1,419 req/s at c=1, p50 638 µs, 42 syscalls and 18 context switches per invoke on its side; it crashed at c=2.\n" +
		"- A plain Go net/http hello server in that run: ~11,300 req/s at c=1 (p50 82 µs), ~42,000 at c=16.\n" +
		"- moto (boto3, sequential): 4.65 ms p50 per STS call, ~4 ms server CPU per call, without verifying signatures.\n")
	return b.String()
}

// ownMarkdown reports a fnurl server's own time per warm invocation, from
// its fnurl_invocation_overhead_seconds histogram, beside the p50 the
// client saw: what is left is the function's, its runtime's and the
// kernel's (loopback TCP, wake-ups), and the client's.
func (r *results) ownMarkdown() string {
	var b strings.Builder
	for _, c := range r.cfg.conc {
		for _, t := range r.order {
			s, ok := r.summary(t, c)
			if !ok || !s.hasOwn {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("\n## The server's own time per warm invocation\n\n" +
					"Medians over all repetitions from the server's `fnurl_invocation_overhead_seconds` histogram (scraped from `/metrics` around each " +
					"repetition; interpolated within its buckets of 10 µs): request is from the request's head read to the event's write to the function's runtime (including any wait for " +
					"the runtime's next `GET /next`), response from the runtime's answer read to the response's write. " +
					"The rest of a request's time is the function's and its runtime's, the kernel's (those writes and the reads, loopback TCP, waking threads) and the client's.\n\n" +
					"| target | c | request µs | response µs | both µs | p50 µs |\n|---|---:|---:|---:|---:|---:|\n")
			}
			fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %.1f | %.0f |\n", t, c, s.ownReq, s.ownResp, s.ownReq+s.ownResp, s.p50)
		}
	}
	return b.String()
}

// waitMarkdown reports, per request, how long the processes of each
// target waited for a CPU: runnable, on a run queue, not running. At
// concurrency 1 the three take turns, so such a wait on the request's path
// is latency that no process's CPU time shows.
func (r *results) waitMarkdown() string {
	var b strings.Builder
	for _, c := range r.cfg.conc {
		for _, t := range r.order {
			s, ok := r.summary(t, c)
			if !ok || !s.hasWait || s.n == 0 {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("\n## Waiting for a CPU\n\n" +
					"Microseconds per request that the threads of the server, of the function processes and of the load generator (this command; " +
					"– where boto3 sends the requests) spent runnable but waiting on a run queue, from `/proc/<pid>/task/<tid>/schedstat` around each " +
					"repetition (threads that exit meanwhile take theirs with them). At concurrency 1 the three take turns on two CPUs, and a wake-up that " +
					"finds its CPU busy waits even while the other is idle, so part of this is on each request's path.\n\n" +
					"| target | c | server | function | load generator | p50 µs |\n|---|---:|---:|---:|---:|---:|\n")
			}
			fn, gen := "–", "–"
			if r.function[t] {
				fn = fmt.Sprintf("%.1f", s.fnWait)
			}
			if s.hasGenWait {
				gen = fmt.Sprintf("%.1f", s.genWait)
			}
			fmt.Fprintf(&b, "| %s | %d | %.1f | %s | %s | %.0f |\n", t, c, s.srvWait, fn, gen, s.p50)
		}
	}
	return b.String()
}

// compareMarkdown sets each target of the second server (-compare) beside
// the same target of the first, as medians of per-repetition ratios.
func (r *results) compareMarkdown() string {
	var b strings.Builder
	for _, c := range r.cfg.conc {
		for _, t := range r.order {
			base, ok := strings.CutSuffix(t, "@B")
			if !ok {
				continue
			}
			a, okA := r.summary(base, c)
			bs, okB := r.summary(t, c)
			p50, okR := r.ratioPerRep(base, t, c)
			if !okA || !okB || !okR {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("\n## A/B: this checkout (A) against the -compare binary (B)\n\n" +
					"| target | c | p50 A ÷ B | req/s A | req/s B | server CPU µs/req A | B | function CPU µs/req A | B | server ctx sw/req A | B | server's own µs/inv A | B |\n" +
					"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			}
			own := func(s summary) string {
				if !s.hasOwn {
					return "–"
				}
				return fmt.Sprintf("%.1f", s.ownReq+s.ownResp)
			}
			fmt.Fprintf(&b, "| %s | %d | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f | %s | %s |\n",
				base, c, p50, a.rps, bs.rps, a.srvCPU, bs.srvCPU, a.fnCPU, bs.fnCPU, a.srvCtx, bs.srvCtx, own(a), own(bs))
		}
	}
	return b.String()
}

// targetsMarkdown checks the targets of issue 11 that this command measures.
func (r *results) targetsMarkdown() string {
	var b strings.Builder
	b.WriteString("\n## Issue 11 targets\n\n| target | measured | met |\n|---|---|---|\n")
	row := func(name, measured string, ok bool) {
		m := "no"
		if ok {
			m = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, measured, m)
	}
	// The issue's RIE figures are for "a warm aws-lambda-go function":
	// both functions are checked, the echo function (which returns its
	// 1.5 KB event) and the walkthrough's hello function, against the
	// emulator running the same function in this run when it ran, and
	// against the issue's figures otherwise.
	for _, fn := range []struct{ target, name, rie, floor, proto string }{{"url-iam", "echo", "rie", "floor", "proto"}, {"url-iam-hello", "hello", "rie-hello", "floor-hello", "proto-hello"}} {
		s, ok := r.summary(fn.target, 1)
		if !ok {
			continue
		}
		if rs, ok := r.summary(fn.rie, 1); ok {
			p50, _ := r.ratioPerRep(fn.target, fn.rie, 1)
			rps, _ := r.perRep(fn.target, fn.rie, 1, (*phaseResult).rps)
			row(fmt.Sprintf("AWS_IAM URL, %s function, c=1: p50 ≤ 0.5× RIE's p50 (`%s` in this run: %.0f µs)", fn.name, fn.rie, rs.p50),
				fmt.Sprintf("%.0f µs = %.2f× (median of per-repetition ratios)", s.p50, p50), p50 <= 0.5)
			row(fmt.Sprintf("AWS_IAM URL, %s function, c=1: req/s ≥ 2× RIE's (`%s` in this run: %.0f req/s)", fn.name, fn.rie, rs.rps),
				fmt.Sprintf("%.0f req/s = %.2f× (median of per-repetition ratios)", s.rps, rps), rps >= 2)
		} else {
			row(fmt.Sprintf("AWS_IAM URL, %s function, c=1: p50 ≤ 0.5× RIE's p50 (RIE: 638 µs, issue's figure)", fn.name),
				fmt.Sprintf("%.0f µs = %.2f× 638 µs", s.p50, s.p50/rieP50us), s.p50 <= 0.5*rieP50us)
			row(fmt.Sprintf("AWS_IAM URL, %s function, c=1: req/s ≥ 2× RIE's (RIE: 1,419 req/s, issue's figure)", fn.name),
				fmt.Sprintf("%.0f req/s = %.2f× 1,419", s.rps, s.rps/rieRPS), s.rps >= 2*rieRPS)
		}
		if s.hasHello {
			measured := fmt.Sprintf("%.2f× (median of per-repetition ratios)", s.p50Ratio)
			// The floor puts the ratio in context: what the Runtime API
			// and the function cost here whatever the server does.
			if fs, ok := r.summary(fn.floor, 1); ok && fs.hasHello {
				x, _ := r.ratioPerRep(fn.target, fn.floor, 1)
				measured += fmt.Sprintf("; the floor (`%s`, %.0f µs) is %.2f× hello and fnurl's p50 %.2f× the floor's", fn.floor, fs.p50, fs.p50Ratio, x)
			}
			// The prototype: the floor with the issue's prototype's work.
			if ps, ok := r.summary(fn.proto, 1); ok && ps.hasHello {
				x, _ := r.ratioPerRep(fn.target, fn.proto, 1)
				measured += fmt.Sprintf("; the prototype (`%s`, %.0f µs) is %.2f× hello and fnurl's p50 %.2f× the prototype's", fn.proto, ps.p50, ps.p50Ratio, x)
			}
			row(fmt.Sprintf("AWS_IAM URL, %s function, c=1: p50 ≤ 4× hello-server p50", fn.name), measured, s.p50Ratio <= 4)
		}
	}
	if c := r.count("url-iam"); c != nil {
		label := "syscalls"
		sys := c.srvSyscalls
		if !c.perf {
			label, sys = "read/write syscalls (no perf)", c.srvRW
		}
		row("server side per warm invoke (url-iam, c=1): ≤ 18 syscalls, ≤ 6 context switches",
			fmt.Sprintf("%.1f %s, %.1f context switches", c.per(sys), label, c.per(c.srvCtx)), c.perf && c.per(sys) <= 18 && c.per(c.srvCtx) <= 6)
	}
	// With the echo function an AWS_IAM request's event, and so its
	// answer, is longer than a NONE request's by its signature headers
	// and the caller's identity; the hello function answers the same to
	// both.
	if x, ok := r.ratioPerRep("url-iam", "url-none", 1); ok {
		row("AWS_IAM p50 ≤ 1.05× NONE p50 (c=1), echo function", fmt.Sprintf("%.3f×", x), x <= 1.05)
	}
	if x, ok := r.ratioPerRep("url-iam-hello", "url-none-hello", 1); ok {
		row("AWS_IAM p50 ≤ 1.05× NONE p50 (c=1), hello function", fmt.Sprintf("%.3f×", x), x <= 1.05)
	}
	if s, ok := r.summary("url-reject", 16); ok && s.hasHello {
		row("rejections at ≥ 0.8× the hello rate (c=16), never waking a function",
			fmt.Sprintf("%.2f× hello's req/s; function CPU %.1f µs/req", s.rpsRatio, s.fnCPU), s.rpsRatio >= 0.8 && s.fnCPU < 1)
	}
	for _, svc := range []struct{ name, boto, moto string }{{"STS", "boto3-sts", "moto-sts"}, {"IAM", "boto3-iam", "moto-iam"}} {
		s, ok := r.summary(svc.boto, 1)
		if !ok {
			continue
		}
		moto, measured := issueMotoP50, "issue's figure for STS"
		if m, ok := r.summary(svc.moto, 1); ok {
			moto, measured = m.p50, "measured in this run"
		}
		row(fmt.Sprintf("%s through boto3: p50 ≤ 0.3× moto's (moto: %.0f µs, %s)", svc.name, moto, measured),
			fmt.Sprintf("%.0f µs = %.2f×", s.p50, s.p50/moto), s.p50 <= 0.3*moto)
		row(svc.name+" through boto3: server CPU ≤ 0.2 ms per call", fmt.Sprintf("%.0f µs", s.srvCPU), s.srvCPU <= 200)
	}
	var bad []string
	for _, t := range []string{"url-none", "url-iam", "invoke"} {
		if s, ok := r.summary(t, 64); ok && s.errs > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d errors", t, s.errs))
		}
	}
	if _, ok := r.summary("url-iam", 64); ok {
		measured := "0 failed requests"
		if len(bad) > 0 {
			measured = strings.Join(bad, "; ")
		}
		row("no crash or 5xx at c=64 (url-none, url-iam, invoke)", measured, len(bad) == 0)
	}
	if s, ok := r.summary("url-iam", 16); ok {
		row("AWS_IAM URL, c=16: ≥ 3,500 req/s", fmt.Sprintf("%.0f req/s", s.rps), s.rps >= 3500)
	}
	row("≤ 30 MB RSS idle", fmt.Sprintf("%.1f MB when started, %.1f MB after the setup", mb(r.startRSS), mb(r.idleRSS)), r.startRSS <= 30*1024)
	if per, ok := r.perEnvRSS(); ok {
		row("≤ 2 MB server-side per warm execution environment", fmt.Sprintf("≤ %.2f MB (upper bound)", per), per <= 2)
	}
	b.WriteString("\nSigV4 verification and policy decisions, and body hashing, are measured by `go test -bench` (see the README).\n")
	return b.String()
}

func mb(kib int64) float64 { return float64(kib) / 1024 }

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func execOutput(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return string(out), err
}
