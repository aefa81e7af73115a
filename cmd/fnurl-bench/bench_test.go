package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/metrics"
)

func TestParseStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := "1234 (fn (x) y) S 99 1234 1234 0 -1 4194560 500 0 0 0 170 30 0 0 20 0 12 0 5555 1000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	u, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if u.Comm != "fn (x) y" || u.PPid != 99 || u.CPUTicks != 200 || u.StartTicks != 5555 {
		t.Errorf("parseStat = %+v, want comm %q ppid 99 ticks 200 start 5555", u, "fn (x) y")
	}
	if _, err := parseStat([]byte("1234 (short) S 1 2")); err == nil {
		t.Error("a short stat line parsed")
	}
}

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tfnurl\nVmRSS:\t   20480 kB\nThreads:\t7\nvoluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t12\n")
	for name, want := range map[string]int64{"VmRSS:": 20480, "Threads:": 7, "voluntary_ctxt_switches:": 150, "nonvoluntary_ctxt_switches:": 12, "Missing:": 0} {
		if got := statusField(status, name); got != want {
			t.Errorf("statusField(%s) = %d, want %d", name, got, want)
		}
	}
	// The nonvoluntary line alone must not be read as the voluntary one.
	if got := statusField([]byte("nonvoluntary_ctxt_switches:\t12\n"), "voluntary_ctxt_switches:"); got != 0 {
		t.Errorf("voluntary from a nonvoluntary-only status = %d, want 0", got)
	}
}

func TestReadUsageSelf(t *testing.T) {
	pid := os.Getpid()
	u, err := readUsage(pid)
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if u.Threads < 1 || u.RSSKiB <= 0 || u.CtxSwitch <= 0 {
		t.Errorf("readUsage(self) = %+v", u)
	}
	if _, err := os.Stat("/proc/self/schedstat"); err == nil && (!u.HasWait || u.WaitNs < 0) {
		t.Errorf("readUsage(self) read no run-queue wait although schedstat exists: %+v", u)
	}
}

func TestSchedWait(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1402573516 27385341 11087\n", 27385341, true},
		{"0 0 0\n", 0, true},
		{"1402573516 27385341\n", 0, false}, // not the three fields the kernel writes
		{"1 x 3\n", 0, false},
		{"1 -5 3\n", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := schedWait([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("schedWait(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDelta(t *testing.T) {
	before := usageSet{1: {CPUTicks: 10, CtxSwitch: 100, StartTicks: 5, WaitNs: 1000, HasWait: true}, 2: {CPUTicks: 50, CtxSwitch: 7, StartTicks: 6, WaitNs: 900, HasWait: true}, 3: {CPUTicks: 1, StartTicks: 1}}
	after := usageSet{
		1: {CPUTicks: 15, CtxSwitch: 130, StartTicks: 5, WaitNs: 1500, HasWait: true},
		2: {CPUTicks: 3, CtxSwitch: 2, StartTicks: 9, WaitNs: 40, HasWait: true}, // pid reused by a new process: counts from zero
		4: {CPUTicks: 4, CtxSwitch: 1, StartTicks: 10, WaitNs: 7, HasWait: true},
		5: {CPUTicks: 2, StartTicks: 11}, // no schedstat
	}
	d := delta(before, after)
	if d.cpuTicks != 5+3+4+2 || d.ctx != 30+2+1 {
		t.Errorf("delta = %d ticks, %d switches; want 14, 33", d.cpuTicks, d.ctx)
	}
	if d.waitNs != 500+40+7 || !d.hasWait {
		t.Errorf("delta wait = %d ns (has %v); want 547", d.waitNs, d.hasWait)
	}
	// A process whose threads exited meanwhile took their wait with them:
	// its sum may fall, and then counts as no wait, not a negative one.
	d = delta(usageSet{1: {StartTicks: 5, WaitNs: 1000, HasWait: true}}, usageSet{1: {StartTicks: 5, WaitNs: 400, HasWait: true}})
	if d.waitNs != 0 {
		t.Errorf("delta wait of a shrunken process = %d, want 0", d.waitNs)
	}
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantStatus int
		wantKeep   bool
		rest       string // what must be left unread
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT", 200, true, "NEXT"},
		{"chunked with trailers", "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT", 202, true, "NEXT"},
		{"connection close", "HTTP/1.1 403 Forbidden\r\nconnection: Close\r\ncontent-length: 2\r\n\r\n{}", 403, false, ""},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, false, ""},
		{"no length", "HTTP/1.1 200 OK\r\n\r\nto the end", 200, false, ""},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\nNEXT", 204, true, "NEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.in))
			status, keep, err := readResponse(br)
			if err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(br)
			if status != tt.wantStatus || keep != tt.wantKeep || string(rest) != tt.rest {
				t.Errorf("readResponse = %d keep %v rest %q; want %d %v %q", status, keep, rest, tt.wantStatus, tt.wantKeep, tt.rest)
			}
		})
	}
	for _, bad := range []string{"", "HTTP/1.1 2x0 OK\r\n\r\n", "SSH-2.0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"} {
		if _, _, err := readResponse(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("readResponse(%q) succeeded", bad)
		}
	}
}

// startCounting serves h on a test server that counts the connections it
// accepts.
func startCounting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// TestRawConn replays a request on a keep-alive connection, and again
// after the server closed it.
func TestRawConn(t *testing.T) {
	var requests atomic.Int64
	srv, conns := startCounting(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") != "1" {
			w.WriteHeader(400)
			return
		}
		if requests.Add(1) == 3 {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, "hello")
	})
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	req.Header.Set("X-Test", "1")
	raw, err := newRawRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	ops, closeAll, err := rawOps(srv.Listener.Addr().String(), raw, 1, isOK)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	for i := range 5 {
		if err := ops[0](); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("connections = %d, want 2 (one closed by the server after the third request)", got)
	}
	l := runLoad(ops, time.Second, 7, func() {})
	if l.n != 7 || l.errs != 0 || len(l.lat) != 7 {
		t.Errorf("runLoad bounded to 7: n %d errs %d (%s)", l.n, l.errs, l.errMsg)
	}
}

// TestClientOps replays a signed-looking request through either client:
// the same method, target, Host, headers and body reach the server on
// every call, over kept-alive connections, and an unexpected status is an
// error.
func TestClientOps(t *testing.T) {
	for _, client := range []string{clientRaw, clientNetHTTP} {
		t.Run(client, func(t *testing.T) {
			var requests atomic.Int64
			srv, conns := startCounting(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != "POST" || r.URL.RequestURI() != "/a%2Fb?x=1&y=%20" || r.Host != "fn.example:9000" ||
					r.Header.Get("X-Amz-Date") != "20261206T120000Z" || string(body) != `{"k":"v"}` {
					t.Errorf("got %s %s Host %s X-Amz-Date %q body %q", r.Method, r.URL.RequestURI(), r.Host, r.Header.Get("X-Amz-Date"), body)
					w.WriteHeader(400)
					return
				}
				if requests.Add(1) == 4 {
					w.WriteHeader(403)
				}
				io.WriteString(w, "ok")
			})
			req, _ := http.NewRequest("POST", "http://fn.example:9000/a%2Fb?x=1&y=%20", strings.NewReader(`{"k":"v"}`))
			req.Header.Set("X-Amz-Date", "20261206T120000Z")
			raw, err := newRawRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			ops, closeAll, err := clientOps(client, srv.Listener.Addr().String(), raw, 2, isOK)
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			if len(ops) != 2 {
				t.Fatalf("%d ops, want 2", len(ops))
			}
			for i := range 6 {
				err := ops[i%2]()
				if want := i == 3; (err != nil) != want {
					t.Errorf("request %d: error %v, want one: %v", i+1, err, want)
				}
			}
			// rawConn dials one connection per worker; net/http's Transport
			// reuses an idle one for calls in turn.
			if got := conns.Load(); got < 1 || got > 2 {
				t.Errorf("connections = %d for 6 requests, want 1 or 2 (at most one per worker, kept alive)", got)
			}
		})
	}
}

func TestPercentileMedian(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Microsecond)
	}
	if got := percentile(lat, 50); got != 50*time.Microsecond {
		t.Errorf("p50 = %v, want 50µs", got)
	}
	if got := percentile(lat, 99); got != 99*time.Microsecond {
		t.Errorf("p99 = %v, want 99µs", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median = %v, want 2", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
}

func TestParsePerf(t *testing.T) {
	out := "# started on Mon\n\n1234,,raw_syscalls:sys_enter,100,100.00,,\n56,,context-switches,100,100.00,,\n<not counted>,,cycles,0,100.00,,\n<not supported>,,x,0,0,,\n"
	m := parsePerf(out)
	if m["raw_syscalls:sys_enter"] != 1234 || m["context-switches"] != 56 || m["cycles"] != 0 {
		t.Errorf("parsePerf = %v", m)
	}
	if _, ok := m["x"]; ok {
		t.Errorf("an unsupported event was read: %v", m)
	}
	trace := ` fnurl (7571), 100 events, 50.0%

   syscall            calls  errors  total       min       avg       max       stddev
                                     (msec)    (msec)    (msec)    (msec)        (%)
   --------------- --------  ------ -------- --------- --------- ---------     ------
   futex                 40      2     1.000     0.001     0.025     0.300      10.00%
   write                 10      0     0.500     0.010     0.050     0.100       5.00%

 fnurl (7574), 20 events
   syscall            calls  errors  total       min       avg       max       stddev
   --------------- --------  ------ -------- --------- --------- ---------     ------
   futex                  5      0     0.100     0.001     0.020     0.030       1.00%
`
	if got := parseTrace(trace); got["futex"] != 45 || got["write"] != 10 || len(got) != 2 {
		t.Errorf("parseTrace = %v", got)
	}
}

// TestReport builds a report and a chart from two repetitions of
// made-up phases and checks the ratios, the targets and the PNG.
func TestReport(t *testing.T) {
	cfg, err := parseFlags([]string{"-reps", "2", "-c", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := &results{cfg: cfg, machine: "test", startRSS: 15 << 10, idleRSS: 20 << 10, firstRSS: 21 << 10, firstEnvs: 1, warmRSS: 22 << 10, envs: 5}
	add := func(target string, fn bool, rep int, p50 time.Duration, n int, errs int) {
		// Run-queue waits per request: server 10 µs, function 20 µs (when
		// it has one), load generator 5 µs.
		var fnWait int64
		if fn {
			fnWait = int64(n) * 20e3
		}
		r.add(&phaseResult{target: target, desc: target, function: fn, c: 1, rep: rep, n: n, errs: errs,
			elapsed: time.Second, p50: p50, p99: 2 * p50, srvTicks: int64(n) / 100,
			srvWait: int64(n) * 10e3, fnWait: fnWait, genWait: int64(n) * 5e3, hasWait: true, hasGenWait: target != "url-none"})
	}
	// Rep 0: hello 50 µs, url-iam 200 µs (4×); rep 1: 100 µs and 300 µs (3×).
	add("hello", false, 0, 50*time.Microsecond, 10000, 0)
	add("url-iam", true, 0, 200*time.Microsecond, 3000, 0)
	add("url-none", true, 0, 190*time.Microsecond, 3100, 0)
	add("hello", false, 1, 100*time.Microsecond, 8000, 0)
	add("url-iam", true, 1, 300*time.Microsecond, 2000, 0)
	add("url-none", true, 1, 280*time.Microsecond, 2100, 1)
	// The hello function's pair: AWS_IAM ÷ NONE 1.05 and 1.10.
	add("url-iam-hello", true, 0, 210*time.Microsecond, 3000, 0)
	add("url-none-hello", true, 0, 200*time.Microsecond, 3000, 0)
	add("url-iam-hello", true, 1, 330*time.Microsecond, 2000, 0)
	add("url-none-hello", true, 1, 300*time.Microsecond, 2000, 0)
	// The floor in front of the echo function: 100 and 150 µs, so
	// url-iam's p50 is 2× the floor's in both repetitions.
	add("floor", true, 0, 100*time.Microsecond, 5000, 0)
	add("floor", true, 1, 150*time.Microsecond, 4000, 0)
	// The prototype in front of the hello function: 150 and 300 µs, so
	// url-iam-hello's p50 is 1.4× and 1.1× the prototype's.
	add("proto-hello", true, 0, 150*time.Microsecond, 4000, 0)
	add("proto-hello", true, 1, 300*time.Microsecond, 3000, 0)
	// url-iam's server reports its own time: request phase 10-20 µs,
	// response 20-30 µs, in both repetitions.
	le := []float64{1e-5, 2e-5, 3e-5, math.Inf(1)}
	for _, p := range r.phases[key{"url-iam", 1}] {
		p.own = overhead{phases: [2]histogram{{le: le, cum: []float64{0, 4, 4, 4}, sum: 60e-6, n: 4}, {le: le, cum: []float64{0, 0, 2, 2}, sum: 50e-6, n: 2}}, ok: true}
		p.hasOwn = true
	}
	s, ok := r.summary("url-iam", 1)
	if !ok {
		t.Fatal("no url-iam summary")
	}
	if s.p50Ratio != 3.5 || s.p50 != 250 || s.rps != 2500 {
		t.Errorf("url-iam: p50 ratio %v (want 3.5, the median of 4 and 3), p50 %v (want 250), req/s %v (want 2500)", s.p50Ratio, s.p50, s.rps)
	}
	if s.srvCPU != 100 {
		t.Errorf("server CPU = %v µs/request, want 100 (one tick per 100 requests)", s.srvCPU)
	}
	md := r.markdown()
	for _, want := range []string{"| url-iam | 1 | 2500 | 250 | 500 |", "AWS_IAM URL, echo function, c=1: p50 ≤ 4× hello-server p50 | 3.50× (median of per-repetition ratios); the floor (`floor`, 125 µs) is 1.75× hello and fnurl's p50 2.00× the floor's | yes",
		"AWS_IAM URL, hello function, c=1: p50 ≤ 4× hello-server p50 | 3.75× (median of per-repetition ratios); the prototype (`proto-hello`, 225 µs) is 3.00× hello and fnurl's p50 1.25× the prototype's | yes",
		"0.5× RIE's p50 (RIE: 638 µs, issue's figure) | 250 µs = 0.39× 638 µs | yes", "| url-none | 1 | 2600 | 235 | 470 |", "not measured by this command",
		"AWS_IAM p50 ≤ 1.05× NONE p50 (c=1), echo function | 1.062× | no", "AWS_IAM p50 ≤ 1.05× NONE p50 (c=1), hello function | 1.075× | no",
		"| ≤ 2 MB server-side per warm execution environment | ≤ 0.25 MB (upper bound) | yes |", "| ≤ 30 MB RSS idle | 15.0 MB when started",
		"## The server's own time per warm invocation", "| url-iam | 1 | 15.0 | 25.0 | 40.0 | 250 |",
		"## Waiting for a CPU", "| hello | 1 | 10.0 | – | 5.0 | 75 |", "| url-iam | 1 | 10.0 | 20.0 | 5.0 | 250 |", "| url-none | 1 | 10.0 | 20.0 | – | 235 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if r.failures() != 1 {
		t.Errorf("failures = %d, want 1", r.failures())
	}
	if !strings.Contains(md, "Settings: defaults.") {
		t.Errorf("report's settings are not the defaults:\n%s", md)
	}
	cfg.client = clientNetHTTP
	if md := r.markdown(); !strings.Contains(md, "Settings: requests sent by Go's net/http client (-client net/http).") {
		t.Errorf("report does not say the requests were sent by net/http's client:\n%s", md)
	}
	b, err := r.chart()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 1100 {
		t.Errorf("chart width %d, want 1100", w)
	}
}

// TestReportRIE checks the targets against the emulator when it ran in
// the same run: medians of per-repetition ratios to the rie targets, not
// the figures.
func TestReportRIE(t *testing.T) {
	cfg, err := parseFlags([]string{"-reps", "2", "-c", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := &results{cfg: cfg, machine: "test"}
	add := func(target string, rep int, p50 time.Duration, n int) {
		r.add(&phaseResult{target: target, desc: target, function: true, c: 1, rep: rep, n: n, elapsed: time.Second, p50: p50, p99: 2 * p50})
	}
	// Echo: p50 ratios 0.5 and 0.6, req/s ratios 4000/1900 and 3300/1600.
	add("url-iam", 0, 250*time.Microsecond, 4000)
	add("rie", 0, 500*time.Microsecond, 1900)
	add("url-iam", 1, 300*time.Microsecond, 3300)
	add("rie", 1, 500*time.Microsecond, 1600)
	// Hello: p50 ratios 0.48 and 0.5, req/s ratios 2.05 and 1.9.
	add("url-iam-hello", 0, 240*time.Microsecond, 4100)
	add("rie-hello", 0, 500*time.Microsecond, 2000)
	add("url-iam-hello", 1, 260*time.Microsecond, 3800)
	add("rie-hello", 1, 520*time.Microsecond, 2000)
	md := r.markdown()
	for _, want := range []string{
		"| AWS_IAM URL, echo function, c=1: p50 ≤ 0.5× RIE's p50 (`rie` in this run: 500 µs) | 275 µs = 0.55× (median of per-repetition ratios) | no |",
		"| AWS_IAM URL, echo function, c=1: req/s ≥ 2× RIE's (`rie` in this run: 1750 req/s) | 3650 req/s = 2.08× (median of per-repetition ratios) | yes |",
		"| AWS_IAM URL, hello function, c=1: p50 ≤ 0.5× RIE's p50 (`rie-hello` in this run: 510 µs) | 250 µs = 0.49× (median of per-repetition ratios) | yes |",
		"| AWS_IAM URL, hello function, c=1: req/s ≥ 2× RIE's (`rie-hello` in this run: 2000 req/s) | 3950 req/s = 1.97× (median of per-repetition ratios) | no |",
		"use the `rie` and `rie-hello` targets of this run instead",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "issue's figure)") {
		t.Errorf("report checks against the issue's RIE figures although the emulator ran:\n%s", md)
	}
}

// TestEchoedEvent takes the event out of the echo function's answer.
func TestEchoedEvent(t *testing.T) {
	answer := func(status int, body string) *http.Response {
		rec := httptest.NewRecorder()
		rec.WriteHeader(status)
		rec.WriteString(body)
		return rec.Result()
	}
	got, err := echoedEvent(answer(200, `{"event":{"version":"2.0","rawPath":"/"},"requestId":"r"}`))
	if err != nil || string(got) != `{"version":"2.0","rawPath":"/"}` {
		t.Errorf("echoedEvent = %s, %v", got, err)
	}
	for _, bad := range []struct {
		status int
		body   string
	}{{403, `{"Message":"Forbidden"}`}, {200, `not json`}, {200, `{"requestId":"r"}`}, {200, `{"event":"text"}`}} {
		if got, err := echoedEvent(answer(bad.status, bad.body)); err == nil {
			t.Errorf("echoedEvent(%d %s) = %s, want an error", bad.status, bad.body, got)
		}
	}
}

func TestFindRIE(t *testing.T) {
	if bin, err := findRIE("off", io.Discard); bin != "" || err != nil {
		t.Errorf(`findRIE("off") = %q, %v`, bin, err)
	}
	if _, err := findRIE(t.TempDir()+"/missing", io.Discard); err == nil {
		t.Error("findRIE of a missing path succeeded")
	}
	self, _ := os.Executable()
	if bin, err := findRIE(self, io.Discard); bin != self || err != nil {
		t.Errorf("findRIE(%q) = %q, %v", self, bin, err)
	}
}

// TestFindRIEFallback checks that "auto" without the emulator on PATH, in
// the cache or from a module proxy falls back to the figures: no
// binary, no error, and the reason on the log.
func TestFindRIEFallback(t *testing.T) {
	if _, err := exec.LookPath("aws-lambda-rie"); err == nil {
		t.Skip("aws-lambda-rie is on PATH")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	var log strings.Builder
	bin, err := findRIE("auto", &log)
	if bin != "" || err != nil {
		t.Errorf(`findRIE("auto") with no way to the emulator = %q, %v; want "", nil`, bin, err)
	}
	if !strings.Contains(log.String(), "the issue's figures") {
		t.Errorf("log does not say why the emulator is missing:\n%s", log.String())
	}
}

func TestSmokeFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-smoke"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.out != "" || cfg.reps != 1 || cfg.python != "off" || len(cfg.conc) != 2 || cfg.duration > time.Second {
		t.Errorf("smoke config = %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-smoke", "-out", "x", "-reps", "3"}, io.Discard)
	if err != nil || cfg.out != "x" || cfg.reps != 3 {
		t.Errorf("explicit flags lost in smoke mode: %+v, %v", cfg, err)
	}
	if cfg.client != clientRaw {
		t.Errorf("default client %q, want %q", cfg.client, clientRaw)
	}
	if cfg, err := parseFlags([]string{"-client", "net/http"}, io.Discard); err != nil || cfg.client != clientNetHTTP {
		t.Errorf("-client net/http: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"-c", "0"}, {"-c", "a"}, {"-perf", "maybe"}, {"-client", "curl"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", bad)
		}
	}
}

func TestTextWidth(t *testing.T) {
	c := newCanvas(10, 10, 2)
	if got := c.textWidth("AB"); got != (2*6-1)*2 {
		t.Errorf("textWidth = %d", got)
	}
	for r := range glyphs {
		for _, row := range glyphs[r] {
			if len(row) != glyphW {
				t.Errorf("glyph %q has a row of %d pixels", r, len(row))
			}
		}
	}
}

// TestFloorParse checks the floor's reading of requests: the Runtime API's
// GET /next and posted results (with a length, or chunked with trailers, as
// aws-lambda-go posts them), and what it refuses.
func TestFloorParse(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		method, path string
		body         string
		err          bool
	}{
		{name: "next", in: "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nUser-Agent: aws-lambda-go\r\n\r\n",
			method: "GET", path: "/2018-06-01/runtime/invocation/next"},
		{name: "length", in: "POST /2018-06-01/runtime/invocation/7/response HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
			method: "POST", path: "/2018-06-01/runtime/invocation/7/response", body: "hello"},
		{name: "chunked with trailers", in: "POST /2018-06-01/runtime/invocation/7/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type\r\n\r\n1\r\n{\r\n5;ext=1\r\n\"a\":1\r\n1\r\n}\r\n0\r\nLambda-Runtime-Function-Error-Type: x\r\n\r\n",
			method: "POST", path: "/2018-06-01/runtime/invocation/7/response", body: `{"a":1}`},
		{name: "bare newlines", in: "GET / HTTP/1.1\nHost: x\n\n", method: "GET", path: "/"},
		{name: "no version", in: "GET /\r\n\r\n", err: true},
		{name: "bad length", in: "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", err: true},
		{name: "bad chunk size", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", err: true},
		{name: "body too long", in: "POST / HTTP/1.1\r\nContent-Length: 7000000\r\n\r\n", err: true},
		{name: "cut short", in: "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tc.in))
			h, err := readFloorHead(br)
			var body []byte
			if err == nil {
				body, err = readFloorBody(br, h)
			}
			if tc.err {
				if err == nil {
					t.Fatalf("read %+v and %q, want an error", h, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.method != tc.method || h.path != tc.path || string(body) != tc.body {
				t.Errorf("got %s %s %q, want %s %s %q", h.method, h.path, body, tc.method, tc.path, tc.body)
			}
			if rest, _ := io.ReadAll(br); len(rest) != 0 {
				t.Errorf("%q left unread", rest)
			}
		})
	}
}

// TestParseOverhead reads the server's overhead histogram as the metrics
// package writes it, takes the difference of two scrapes and estimates
// the medians.
func TestParseOverhead(t *testing.T) {
	reg := metrics.NewRegistry()
	other := reg.NewHistogramVec("fnurl_request_duration_seconds", "", metrics.DefaultBuckets, "service")
	h := reg.NewHistogramVec("fnurl_invocation_overhead_seconds", "", []float64{.00001, .00002, .00003, .0001}, "phase")
	scrape := func() overhead {
		t.Helper()
		var b bytes.Buffer
		reg.WriteText(&b)
		o, err := parseOverhead(&b)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	other.Observe(.001, "lambda-url")
	h.Observe(.000015, "request") // before the first scrape: not counted
	before := scrape()
	if !before.ok || before.phases[0].n != 1 || before.phases[1].n != 0 {
		t.Fatalf("first scrape: %+v", before)
	}
	for _, us := range []float64{15, 25, 25, 35} {
		h.Observe(us/1e6, "request")
	}
	h.Observe(.000005, "response")
	h.Observe(.000005, "response")
	d := scrape().plus(before, -1)
	if d.phases[0].n != 4 || d.phases[1].n != 2 || math.Abs(d.phases[0].sum-100e-6) > 1e-12 {
		t.Fatalf("difference: %+v", d)
	}
	// Request: ranks 1 in (10, 20], 2 in (20, 30]: the median (rank 2)
	// is halfway through (20, 30]. Response: both in (0, 10].
	for i, want := range []float64{25, 5} {
		got, ok := d.phases[i].median()
		if !ok || math.Abs(got-want) > 1e-9 {
			t.Errorf("%s median = %v, %v; want %v µs", ownPhases[i], got, ok, want)
		}
	}
	// Repetitions add up; a median in the +Inf bucket is not estimated.
	if s := d.plus(d, 1); s.phases[0].n != 8 || s.phases[0].cum[1] != 2 {
		t.Errorf("sum of two: %+v", s.phases[0])
	}
	h.Observe(5, "response")
	h.Observe(5, "response")
	h.Observe(5, "response")
	if _, ok := scrape().plus(before, -1).phases[1].median(); ok {
		t.Error("a median in the +Inf bucket was estimated")
	}
	if _, err := parseOverhead(strings.NewReader(`fnurl_invocation_overhead_seconds_sum{phase="request"} x` + "\n")); err == nil {
		t.Error("a malformed value parsed")
	}
}

// TestScrapeOverhead: a server with its metrics off (/metrics refused, as
// fnurl refuses an unsigned request: 403) gives no own-time figures and
// no error; a server error is an error.
func TestScrapeOverhead(t *testing.T) {
	status := http.StatusForbidden
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			t.Errorf("path %q", r.URL.Path)
		}
		if status != http.StatusOK {
			http.Error(w, "no", status)
			return
		}
		io.WriteString(w, "fnurl_invocation_overhead_seconds_count{phase=\"request\"} 3\n")
	}))
	defer ts.Close()
	if o, err := scrapeOverhead(ts.URL); err != nil || o.ok {
		t.Errorf("metrics off: %+v, %v; want no figures, no error", o, err)
	}
	status = http.StatusInternalServerError
	if _, err := scrapeOverhead(ts.URL); err == nil {
		t.Error("a 500 was not an error")
	}
	status = http.StatusOK
	if o, err := scrapeOverhead(ts.URL); err != nil || !o.ok || o.phases[0].n != 3 {
		t.Errorf("metrics on: %+v, %v", o, err)
	}
}

func TestSplitCPUs(t *testing.T) {
	tests := []struct {
		allowed []int
		client  int
		servers []int
		err     bool
	}{
		{[]int{0, 1}, 1, []int{0}, false},
		{[]int{2, 5, 7}, 7, []int{2, 5}, false},
		{[]int{3}, 0, nil, true},
		{nil, 0, nil, true},
	}
	for _, tt := range tests {
		client, servers, err := splitCPUs(tt.allowed)
		if (err != nil) != tt.err || client != tt.client || !slices.Equal(servers, tt.servers) {
			t.Errorf("splitCPUs(%v) = %d, %v, %v; want %d, %v, error %v", tt.allowed, client, servers, err, tt.client, tt.servers, tt.err)
		}
	}
}

// TestPinTree pins a shell and the sleep it started to one CPU and reads
// the kernel's record of both.
func TestPinTree(t *testing.T) {
	allowed, err := allowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(allowed) < 2 {
		t.Skip("one CPU: pinning to it cannot be told from not pinning")
	}
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var kids []int
	for deadline := time.Now().Add(5 * time.Second); len(kids) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		kids = children(cmd.Process.Pid)
	}
	if len(kids) == 0 {
		t.Fatal("the shell started no sleep")
	}
	defer syscall.Kill(kids[0], syscall.SIGKILL)
	cpu := allowed[len(allowed)-1]
	if err := pinTree(cmd.Process.Pid, []int{cpu}); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{cmd.Process.Pid, kids[0]} {
		if got := allowedList(t, pid); got != fmt.Sprint(cpu) {
			t.Errorf("process %d may run on CPUs %q after pinTree, want %d", pid, got, cpu)
		}
	}
	// pinThreads leaves the children alone.
	other := allowed[0]
	if err := pinThreads(cmd.Process.Pid, []int{other}); err != nil {
		t.Fatal(err)
	}
	if got := allowedList(t, cmd.Process.Pid); got != fmt.Sprint(other) {
		t.Errorf("the shell may run on CPUs %q after pinThreads, want %d", got, other)
	}
	if got := allowedList(t, kids[0]); got != fmt.Sprint(cpu) {
		t.Errorf("pinThreads of the shell moved its child to CPUs %q, want it left on %d", got, cpu)
	}
	if err := pinTree(cmd.Process.Pid, []int{len(cpuMask{}) * 64}); err == nil {
		t.Error("pinTree accepted a CPU beyond the mask")
	}
}

// allowedList is the Cpus_allowed_list of pid's status.
func allowedList(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list for %d", pid)
	return ""
}
