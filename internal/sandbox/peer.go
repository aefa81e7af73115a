package sandbox

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ownsConn reports whether the process at the other end of c (a
// connection to the environment's Runtime API) belongs to the
// environment: its socket must be an open file of one of the
// environment's processes (its cgroup, or else its process group).
// Without this, any function could scan the loopback ports and take
// another function's events from its /next. When /proc cannot tell (no
// procfs), the connection is allowed.
func (e *env) ownsConn(c net.Conn) bool {
	ra, ok1 := c.RemoteAddr().(*net.TCPAddr)
	la, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return false
	}
	inode, err := socketInode(ra, la)
	if err != nil {
		e.m.log.Warn("sandbox: cannot check Runtime API peers", "err", err)
		return true
	}
	if inode == "" {
		return false
	}
	target := "socket:[" + inode + "]"
	for _, pid := range e.pids() {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, ent := range ents {
			if l, err := os.Readlink(filepath.Join(dir, ent.Name())); err == nil && l == target {
				return true
			}
		}
	}
	return false
}

// pids lists the environment's processes.
func (e *env) pids() []int {
	for _, d := range e.cg.dirs() {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		var out []int
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	// No cgroup: the process group.
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and parens.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(e.pid) {
			out = append(out, pid)
		}
	}
	return out
}

// socketInode finds, in /proc/net/tcp, the inode of the socket whose local
// address is local and remote address is remote ("" when there is none).
func socketInode(local, remote *net.TCPAddr) (string, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return "", err
	}
	defer f.Close()
	want1, want2 := procAddr(local), procAddr(remote)
	if want1 == "" || want2 == "" {
		return "", nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) > 9 && fl[1] == want1 && fl[2] == want2 {
			return fl[9], nil
		}
	}
	return "", sc.Err()
}

// procAddr formats an IPv4 address as /proc/net/tcp does
// ("0100007F:1F90" for 127.0.0.1:8080, on little-endian machines).
func procAddr(a *net.TCPAddr) string {
	ip := a.IP.To4()
	if ip == nil {
		return ""
	}
	v := binary.NativeEndian.Uint32(ip)
	return fmt.Sprintf("%08X:%04X", v, a.Port)
}
