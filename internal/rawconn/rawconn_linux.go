package rawconn

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

const supported = true

// setOps makes the functions the raw connection calls, once per Conn.
func (c *Conn) setOps() { c.r.fn, c.w.fn = c.r.read, c.w.write }

// Read reads like net.Conn's Read: it waits in the network poller while
// the socket has nothing to read and returns io.EOF when the peer has
// closed its side.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r := &c.r
	r.mu.Lock()
	r.p, r.n, r.errno = p, 0, 0
	err := c.rc.Read(r.fn)
	n, errno := r.n, r.errno
	r.p = nil
	r.mu.Unlock()
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is the function RawConn.Read calls for Read: false asks the poller
// to wait until the socket is readable.
func (r *op) read(fd uintptr) bool {
	p := r.p
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.n, r.errno = int(n), e
		return true
	}
}

// Write writes all of p like net.Conn's Write, waiting in the network
// poller whenever the socket's buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	w := &c.w
	w.mu.Lock()
	w.p, w.n, w.errno = p, 0, 0
	err := c.rc.Write(w.fn)
	n, errno := w.n, w.errno
	w.p = nil
	w.mu.Unlock()
	if err != nil {
		return n, c.opError("write", err)
	}
	if errno != 0 {
		return n, c.opError("write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

// write is the function RawConn.Write calls for Write, again each time the
// socket becomes writable, until it returns true.
func (w *op) write(fd uintptr) bool {
	p := w.p
	for w.n < len(p) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[w.n])), uintptr(len(p)-w.n))
		switch e {
		case 0:
			w.n += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			w.errno = e
			return true
		}
	}
	return true
}

// ReadFD is one read(2) on fd as a raw system call, for non-blocking
// descriptors and files that never block (pipes set non-blocking, cgroup
// and /proc files). A read that blocks would hold its thread and P until
// it returns: take fd from SyscallConn, not (*os.File).Fd, which makes the
// descriptor blocking again.
func ReadFD(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// PreadFD is one pread(2) on fd at off as a raw system call, for files
// that never block (cgroup and /proc files).
func PreadFD(fd uintptr, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall6(syscall.SYS_PREAD64, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(off), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
