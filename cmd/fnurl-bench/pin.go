package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// The benchmark's processes share the machine's CPUs, and the kernel puts
// each where it likes. With -pin the load generator (this process, and
// boto3's interpreter, which it starts) runs on the last CPU it may use
// and every server with its functions on the others, as when the client
// is another machine. On a VM whose idle CPUs halt, where a wake-up sent
// to the other CPU waits for it, that moves the hello server's p50 more
// than any other target's (docs/benchmarks/README.md, round 15).

// splitCPUs gives the load generator the last of the allowed CPUs and the
// servers the rest.
func splitCPUs(allowed []int) (client int, servers []int, err error) {
	if len(allowed) < 2 {
		return 0, nil, fmt.Errorf("-pin: needs at least 2 CPUs, this process may use %d", len(allowed))
	}
	return allowed[len(allowed)-1], allowed[:len(allowed)-1], nil
}

// pin places the servers (and their functions, which they start later
// and which inherit it) and this process as splitCPUs says, and returns
// what it did, for the report.
func (b *bench) pin() (string, error) {
	allowed, err := allowedCPUs()
	if err != nil {
		return "", err
	}
	client, servers, err := splitCPUs(allowed)
	if err != nil {
		return "", err
	}
	for _, c := range []*child{b.hello, b.fnurl, b.fnurlB, b.moto, b.rie, b.rieHello, b.floor, b.floorHello, b.proto, b.protoHello} {
		if c == nil || c.cmd == nil || c.cmd.Process == nil {
			continue
		}
		if err := pinTree(c.pid(), servers); err != nil {
			return "", fmt.Errorf("-pin %s: %w", c.name, err)
		}
	}
	// This process's threads only: its children are the servers.
	if err := pinThreads(os.Getpid(), []int{client}); err != nil {
		return "", fmt.Errorf("-pin: %w", err)
	}
	return fmt.Sprintf("load generator pinned to CPU %d, servers and functions to CPU %s (-pin)", client, cpuList(servers)), nil
}

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}

// cpuMask is the kernel's cpu_set_t for up to 1,024 CPUs.
type cpuMask [16]uint64

// allowedCPUs lists the CPUs this process may run on.
func allowedCPUs() ([]int, error) {
	var m cpuMask
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m))); e != 0 {
		return nil, fmt.Errorf("sched_getaffinity: %w", e)
	}
	var cpus []int
	for i := range len(m) * 64 {
		if m[i/64]&(1<<(i%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// pinTree restricts every thread of pid and of its descendants to cpus.
// Threads and processes started later inherit it from their creator.
func pinTree(pid int, cpus []int) error {
	m, err := maskOf(cpus)
	if err != nil {
		return err
	}
	return pinAll(pid, m, true)
}

// pinThreads restricts the threads of pid to cpus, not its children.
func pinThreads(pid int, cpus []int) error {
	m, err := maskOf(cpus)
	if err != nil {
		return err
	}
	return pinAll(pid, m, false)
}

func maskOf(cpus []int) (*cpuMask, error) {
	var m cpuMask
	for _, c := range cpus {
		if c < 0 || c >= len(m)*64 {
			return nil, fmt.Errorf("CPU %d out of range", c)
		}
		m[c/64] |= 1 << (c % 64)
	}
	return &m, nil
}

func pinAll(pid int, m *cpuMask, descendants bool) error {
	// Twice: a thread an unpinned thread started during the first pass
	// is caught by the second.
	for range 2 {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
			if e != 0 && !errors.Is(e, syscall.ESRCH) { // ESRCH: the thread exited meanwhile
				return fmt.Errorf("sched_setaffinity %d: %w", tid, e)
			}
		}
	}
	if !descendants {
		return nil
	}
	for _, c := range children(pid) {
		if err := pinAll(c, m, true); err != nil {
			return err
		}
	}
	return nil
}
