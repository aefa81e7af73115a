package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
)

// The shim is the first process of every environment: this binary
// re-executed with shimEnv=1 and shimArg, as root when the server is root.
// Go cannot set a child's cgroup (v1) or rlimits between fork and exec, so
// the shim does it for itself and then execs the runtime: it reads its
// spec from fd 3 (the function's environment never reaches the shim's own
// environment, so LD_PRELOAD and the like cannot affect code running as
// root), joins its cgroups, sets its rlimits, drops to the function user,
// re-arms the parent-death signal (changing credentials clears it) and
// execs. Package initialisation runs on the main thread, so the exec'd
// runtime keeps the death signal.
const (
	shimEnv = "FNURL_SANDBOX_SHIM"
	shimArg = "fnurl-sandbox-shim"
)

type shimSpec struct {
	Argv    []string `json:"argv"`
	Env     []string `json:"env"`
	UID     int      `json:"uid"` // -1: keep
	GID     int      `json:"gid"`
	Cgroups []string `json:"cgroups"` // directories whose cgroup.procs to join
	AS      uint64   `json:"as"`      // RLIMIT_AS in bytes, 0: unchanged
	NoFile  uint64   `json:"nofile"`
	PPID    int      `json:"ppid"`
}

func init() {
	if os.Getenv(shimEnv) == "1" && len(os.Args) > 1 && os.Args[1] == shimArg {
		os.Exit(shimMain())
	}
}

func shimMain() int {
	f := os.NewFile(3, "spec")
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	f.Close()
	if err != nil {
		return shimFail("reading spec: %v", err)
	}
	var s shimSpec
	if err := json.Unmarshal(b, &s); err != nil || len(s.Argv) == 0 {
		return shimFail("bad spec")
	}
	pid := []byte(strconv.Itoa(os.Getpid()))
	for _, cg := range s.Cgroups {
		if err := os.WriteFile(cg+"/cgroup.procs", pid, 0); err != nil {
			return shimFail("joining cgroup: %v", err)
		}
	}
	setrl := func(res int, v uint64) error {
		return syscall.Setrlimit(res, &syscall.Rlimit{Cur: v, Max: v})
	}
	if s.NoFile > 0 {
		if err := setrl(syscall.RLIMIT_NOFILE, s.NoFile); err != nil {
			return shimFail("RLIMIT_NOFILE: %v", err)
		}
	}
	if s.AS > 0 {
		if err := setrl(syscall.RLIMIT_AS, s.AS); err != nil {
			return shimFail("RLIMIT_AS: %v", err)
		}
	}
	setrl(syscall.RLIMIT_CORE, 0)
	if s.UID >= 0 {
		if err := syscall.Setgroups(nil); err != nil {
			return shimFail("setgroups: %v", err)
		}
		if err := syscall.Setgid(s.GID); err != nil {
			return shimFail("setgid: %v", err)
		}
		if err := syscall.Setuid(s.UID); err != nil {
			return shimFail("setuid: %v", err)
		}
	}
	const prSetPdeathsig = 1
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGKILL), 0); e != 0 {
		return shimFail("prctl: %v", e)
	}
	if s.PPID != 0 && os.Getppid() != s.PPID {
		return 1 // the server is already gone
	}
	err = syscall.Exec(s.Argv[0], s.Argv, s.Env)
	return shimFail("exec %s: %v", s.Argv[0], err)
}

func shimFail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "fnurl sandbox: "+format+"\n", args...)
	return 127
}
