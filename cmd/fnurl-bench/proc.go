package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// procUsage is what /proc says about one process at one moment.
type procUsage struct {
	CPUTicks   int64 // utime + stime of every thread, live or exited
	CtxSwitch  int64 // voluntary + nonvoluntary context switches of the live threads
	WaitNs     int64 // time the live threads spent runnable but waiting for a CPU (schedstat)
	HasWait    bool  // the kernel keeps schedstat
	Threads    int
	RSSKiB     int64
	Syscalls   int64 // read and write class syscalls (syscr + syscw of /proc/<pid>/io)
	Comm       string
	PPid       int
	StartTicks int64 // start time after boot, to tell a reused pid from its predecessor
}

// readUsage reads /proc/<pid>/stat, the status and schedstat of each of its
// tasks and /proc/<pid>/io.
func readUsage(pid int) (procUsage, error) {
	var u procUsage
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return u, err
	}
	if u, err = parseStat(stat); err != nil {
		return u, fmt.Errorf("%s/stat: %w", dir, err)
	}
	if b, err := os.ReadFile(dir + "/status"); err == nil {
		u.RSSKiB = statusField(b, "VmRSS:")
		u.Threads = int(statusField(b, "Threads:"))
	}
	tasks, _ := os.ReadDir(dir + "/task")
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, "task", t.Name(), "status"))
		if err != nil {
			continue // the thread exited meanwhile
		}
		u.CtxSwitch += statusField(b, "voluntary_ctxt_switches:") + statusField(b, "nonvoluntary_ctxt_switches:")
		if b, err := os.ReadFile(filepath.Join(dir, "task", t.Name(), "schedstat")); err == nil {
			if w, ok := schedWait(b); ok {
				u.WaitNs += w
				u.HasWait = true
			}
		}
	}
	if b, err := os.ReadFile(dir + "/io"); err == nil {
		u.Syscalls = statusField(b, "syscr:") + statusField(b, "syscw:")
	}
	return u, nil
}

// parseStat reads the fields of /proc/<pid>/stat that readUsage needs. The
// command name (field 2) is in parentheses and may itself contain spaces
// and parentheses, so the fields are counted from the last ')'.
func parseStat(b []byte) (procUsage, error) {
	var u procUsage
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return u, fmt.Errorf("malformed stat %q", b)
	}
	u.Comm = string(b[open+1 : end])
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 20 {
		return u, fmt.Errorf("short stat %q", b)
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(f[n-3], 10, 64)
		return v
	}
	u.PPid = int(num(4))
	u.CPUTicks = num(14) + num(15)
	u.StartTicks = num(22)
	return u, nil
}

// schedWait returns the second field of a task's schedstat: the
// nanoseconds it has spent on a run queue, runnable but not running.
func schedWait(b []byte) (int64, bool) {
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, false
	}
	v, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// statusField returns the number after name in a /proc status-like file.
func statusField(b []byte, name string) int64 {
	i := bytes.Index(b, []byte(name))
	if i < 0 || (i > 0 && b[i-1] != '\n') {
		// "voluntary_ctxt_switches:" is also the tail of
		// "nonvoluntary_ctxt_switches:": only a match at a line start counts.
		j := bytes.Index(b, []byte("\n"+name))
		if j < 0 {
			return 0
		}
		i = j + 1
	}
	rest := b[i+len(name):]
	if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	fs := strings.Fields(string(rest))
	if len(fs) == 0 {
		return 0
	}
	v, _ := strconv.ParseInt(fs[0], 10, 64)
	return v
}

// children returns the pids whose parent is ppid.
func children(ppid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		u, err := parseStat(b)
		if err == nil && u.PPid == ppid {
			out = append(out, pid)
		}
	}
	return out
}

// usageSet is a snapshot of several processes, by pid.
type usageSet map[int]procUsage

func snapshot(pids []int) usageSet {
	s := usageSet{}
	for _, pid := range pids {
		if u, err := readUsage(pid); err == nil {
			s[pid] = u
		}
	}
	return s
}

// usageDelta is what several processes used between two snapshots.
type usageDelta struct {
	cpuTicks, ctx, syscalls int64
	waitNs                  int64 // run-queue wait of the threads live at both ends
	hasWait                 bool
}

// delta is the usage between two snapshots, summed over the processes of
// after. A process that is new in after counts from zero; one that is
// gone is left out (its last interval is lost).
func delta(before, after usageSet) usageDelta {
	var d usageDelta
	for pid, a := range after {
		b, ok := before[pid]
		if !ok || b.StartTicks != a.StartTicks {
			b = procUsage{}
		}
		d.cpuTicks += a.CPUTicks - b.CPUTicks
		d.ctx += a.CtxSwitch - b.CtxSwitch
		d.syscalls += a.Syscalls - b.Syscalls
		if a.HasWait {
			// A thread that exited meanwhile takes its wait with it, so
			// the difference can be slightly low, never negative.
			d.waitNs += max(a.WaitNs-b.WaitNs, 0)
			d.hasWait = true
		}
	}
	return d
}
