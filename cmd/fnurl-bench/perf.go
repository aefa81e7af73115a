package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfCounter counts syscalls and context switches of running processes
// with perf stat (tracepoint raw_syscalls:sys_enter), when perf can.
type perfCounter struct {
	cmd *exec.Cmd
	out string
}

// perfWorks reports whether perf can count syscall tracepoints here.
func perfWorks() bool {
	if _, err := exec.LookPath("perf"); err != nil {
		return false
	}
	out, err := exec.Command("perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true").CombinedOutput()
	if err != nil {
		return false
	}
	_, ok := parsePerf(string(out))["raw_syscalls:sys_enter"]
	return ok
}

// startPerf attaches perf stat to pids (and threads they start later).
func startPerf(pids []int, outFile string) (*perfCounter, error) {
	if len(pids) == 0 {
		return nil, nil
	}
	list := make([]string, len(pids))
	for i, p := range pids {
		list[i] = strconv.Itoa(p)
	}
	cmd := exec.Command("perf", "stat", "-x,", "-o", outFile, "-e", "raw_syscalls:sys_enter,context-switches", "-p", strings.Join(list, ","))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &perfCounter{cmd: cmd, out: outFile}, nil
}

// stop ends perf and returns its counts by event name.
func (p *perfCounter) stop() (map[string]int64, error) {
	if p == nil {
		return nil, nil
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	b, err := os.ReadFile(p.out)
	if err != nil {
		return nil, err
	}
	m := parsePerf(string(b))
	if len(m) == 0 {
		return nil, fmt.Errorf("perf stat printed no counts:\n%s", b)
	}
	return m, nil
}

// parsePerf reads perf stat's CSV output (-x,): value,unit,event,...
func parsePerf(out string) map[string]int64 {
	m := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		field := strings.TrimSpace(f[0])
		v, err := strconv.ParseInt(field, 10, 64)
		switch {
		case field == "<not counted>":
			v = 0 // the process did not run while perf watched
		case err != nil:
			continue // "<not supported>"
		}
		m[strings.TrimSpace(f[2])] = v
	}
	return m
}

// startTrace attaches perf trace -s (a per-syscall summary) to pid.
func startTrace(pid int, outFile string) (*perfCounter, error) {
	cmd := exec.Command("perf", "trace", "-s", "-o", outFile, "-p", strconv.Itoa(pid))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &perfCounter{cmd: cmd, out: outFile}, nil
}

// stopTrace ends perf trace and returns the calls per syscall, summed over
// threads.
func (p *perfCounter) stopTrace() (map[string]int64, error) {
	p.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	b, err := os.ReadFile(p.out)
	if err != nil {
		return nil, err
	}
	return parseTrace(string(b)), nil
}

// parseTrace sums the "syscall calls errors total ..." tables of perf
// trace -s over threads.
func parseTrace(out string) map[string]int64 {
	m := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] == "syscall" || strings.HasPrefix(f[0], "-") {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		if _, err := strconv.ParseInt(f[2], 10, 64); err != nil {
			continue // not a row of the table
		}
		m[f[0]] += n
	}
	return m
}
