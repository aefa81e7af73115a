package main

import "syscall"

func pgid() int { p, _ := syscall.Getpgid(0); return p }
