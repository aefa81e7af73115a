//go:build !linux

package rawconn

import "syscall"

const supported = false

func (c *Conn) setOps() {}

// ReadFD is one read(2) on fd.
func ReadFD(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

// PreadFD is one pread(2) on fd at off.
func PreadFD(fd uintptr, p []byte, off int64) (int, error) { return syscall.Pread(int(fd), p, off) }
