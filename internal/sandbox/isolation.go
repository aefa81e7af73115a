package sandbox

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fnurl/fnurl/internal/rawconn"
)

// pidsMax is Lambda's limit of processes and threads per environment.
const pidsMax = 1024

// noFile is Lambda's limit of open files per environment.
const noFile = 1024

// isolation is what this machine lets us enforce.
type isolation struct {
	uids     *uidSeq // a user and group of its own per environment, when running as root
	memBase  string  // our cgroup v1 memory directory, or ""
	pidsBase string  // our cgroup v1 pids directory, or ""
}

// Execution environments run, when the server runs as root, each as a user
// and group of its own: uidBase + n for the n-th environment the server
// starts. No account has these IDs (the range is above the 100000-165535
// that subordinate-ID setups hand out, and below 2^31), so a function can
// read and write only what is open to everyone, and cannot signal, trace
// or read /proc of the server or of another environment, even one of the
// same function.
const (
	uidBase  = 0x7f000000
	uidCount = 1 << 24
)

// uidSeq hands out environment user IDs. An ID is not reused in a server's
// lifetime (before 2^24 environments have started), so a process that
// outlived its environment cannot reach the next one.
type uidSeq struct{ n atomic.Uint32 }

func (u *uidSeq) next() int { return uidBase + int((u.n.Add(1)-1)%uidCount) }

func detectIsolation(log *slog.Logger) isolation {
	var iso isolation
	if os.Geteuid() == 0 {
		iso.uids = &uidSeq{}
	}
	own := ownCgroups()
	for _, c := range []string{"memory", "pids"} {
		if own[c] != "" {
			sweepCgroups(filepath.Join("/sys/fs/cgroup", c, filepath.Clean("/"+own[c])))
		}
	}
	suffix := fmt.Sprintf("fnurl-%d-%s", os.Getpid(), randHex(4))
	iso.memBase = makeCgroupBase("memory", own["memory"], suffix, "memory.limit_in_bytes")
	iso.pidsBase = makeCgroupBase("pids", own["pids"], suffix, "pids.max")
	limits := "rlimits only (RLIMIT_AS, RLIMIT_NOFILE)"
	if iso.memBase != "" {
		limits = "cgroup v1 memory"
		if iso.pidsBase != "" {
			limits += " and pids"
		}
	}
	user := "the server's own user"
	if iso.uids != nil {
		user = fmt.Sprintf("a user per environment from uid %d", uidBase)
	}
	log.Info("sandbox: function isolation", "limits", limits, "user", user)
	return iso
}

// ownCgroups maps each v1 controller to this process's cgroup path.
func ownCgroups() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// makeCgroupBase creates /sys/fs/cgroup/CONTROLLER/OWN/SUFFIX when the
// controller is mounted there (v1) and writable.
func makeCgroupBase(controller, own, suffix, probe string) string {
	if own == "" {
		return ""
	}
	root := filepath.Join("/sys/fs/cgroup", controller)
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		return ""
	}
	dir := filepath.Join(root, filepath.Clean("/"+own), suffix)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, probe)); err != nil {
		os.Remove(dir)
		return ""
	}
	return dir
}

func (iso *isolation) cleanup() {
	for _, d := range []string{iso.memBase, iso.pidsBase} {
		if d == "" {
			continue
		}
		kids, _ := os.ReadDir(d)
		for _, k := range kids {
			if k.IsDir() {
				kd := filepath.Join(d, k.Name())
				(&envCgroups{mem: kd}).killAll()
				removeCgroup(kd)
			}
		}
		removeCgroup(d)
	}
}

// envCgroups are the cgroup directories of one environment.
type envCgroups struct {
	mem, pids string
	usage     *os.File // memory.max_usage_in_bytes, set at creation
}

func (iso *isolation) newEnvCgroups(id string, memMB int) (envCgroups, error) {
	var cg envCgroups
	if iso.memBase != "" {
		d := filepath.Join(iso.memBase, id)
		if err := os.Mkdir(d, 0o755); err != nil {
			return cg, err
		}
		cg.mem = d
		lim := []byte(strconv.FormatInt(int64(memMB)<<20, 10))
		if err := os.WriteFile(filepath.Join(d, "memory.limit_in_bytes"), lim, 0); err != nil {
			cg.remove()
			return envCgroups{}, err
		}
		cg.usage, _ = os.Open(filepath.Join(d, "memory.max_usage_in_bytes"))
		// No swapping around the limit, where the kernel accounts swap.
		os.WriteFile(filepath.Join(d, "memory.memsw.limit_in_bytes"), lim, 0)
		os.WriteFile(filepath.Join(d, "memory.swappiness"), []byte("0"), 0)
	}
	if iso.pidsBase != "" {
		d := filepath.Join(iso.pidsBase, id)
		if err := os.Mkdir(d, 0o755); err != nil {
			cg.remove()
			return envCgroups{}, err
		}
		cg.pids = d
		if err := os.WriteFile(filepath.Join(d, "pids.max"), []byte(strconv.Itoa(pidsMax)), 0); err != nil {
			cg.remove()
			return envCgroups{}, err
		}
	}
	return cg, nil
}

func (cg envCgroups) dirs() []string {
	var out []string
	for _, d := range []string{cg.mem, cg.pids} {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// killAll SIGKILLs every process left in the environment's cgroups (those
// that left the process group too).
func (cg envCgroups) killAll() {
	for _, d := range cg.dirs() {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

func (cg *envCgroups) remove() {
	if cg.usage != nil {
		cg.usage.Close() // safe against a concurrent ReadAt, which then fails
	}
	for _, d := range cg.dirs() {
		removeCgroup(d)
	}
}

// removeCgroup removes a cgroup directory, waiting briefly for exiting
// processes to leave it.
func removeCgroup(d string) {
	for i := 0; i < 50; i++ {
		err := os.Remove(d)
		if err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// maxUsageMB reads the cgroup's peak memory, or -1.
func (cg *envCgroups) maxUsageMB() int {
	if cg.mem == "" {
		return -1
	}
	if cg.usage == nil {
		return -1
	}
	var buf [32]byte
	n, err := preadOnce(cg.usage, buf[:])
	if n == 0 && err != nil {
		return -1
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(buf[:n])), 10, 64)
	if err != nil {
		return -1
	}
	return int((v + 1<<20 - 1) >> 20)
}

// preadOnce reads f from offset 0 with one pread: the files it reads
// (cgroup and /proc files) produce their whole content at once, and
// (*os.File).ReadAt would make a second call to see the end.
func preadOnce(f *os.File, buf []byte) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			n, rerr = rawconn.PreadFD(fd, buf, 0)
			if rerr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return 0, err
	}
	return max(n, 0), rerr
}

// vmHWMMB reads a process's peak resident memory from its /proc status
// file (opened by the caller and kept), or 0.
func vmHWMMB(status *os.File) int {
	if status == nil {
		return 0
	}
	var buf [4096]byte
	n, _ := preadOnce(status, buf[:])
	for _, l := range strings.Split(string(buf[:n]), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.Atoi(f[0])
				return (kb + 1023) / 1024
			}
		}
	}
	return 0
}

// traversableByOthers reports whether every directory from / to dir has
// the execute bit for others.
func traversableByOthers(dir string) bool {
	d, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	if r, err := filepath.EvalSymlinks(d); err == nil {
		d = r
	}
	for {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(d)
		if parent == d {
			return true
		}
		d = parent
	}
}

// executableByOthers reports whether others may run the file at path.
func executableByOthers(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o005 != 0o005 {
		return false
	}
	return traversableByOthers(filepath.Dir(path))
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// deadServer reports whether name is "PREFIX<pid>-..." for a pid that no
// longer exists: the leftovers of a server that was killed before it
// could clean up.
func deadServer(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	p, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(p)
	if !ok || err != nil || pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// sweepCgroups removes the environment cgroups of dead servers under
// parent (their processes died with them through Pdeathsig; any left are
// killed).
func sweepCgroups(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !deadServer(e.Name(), "fnurl-") {
			continue
		}
		base := filepath.Join(parent, e.Name())
		kids, _ := os.ReadDir(base)
		for _, k := range kids {
			if k.IsDir() {
				d := filepath.Join(base, k.Name())
				(&envCgroups{mem: d}).killAll()
				removeCgroup(d)
			}
		}
		os.Remove(base)
	}
}

// sweepTempDirs removes the code directories of dead servers.
func sweepTempDirs() {
	ents, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() && deadServer(e.Name(), "fnurl-functions-") {
			os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
		}
	}
}
