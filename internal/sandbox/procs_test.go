package sandbox

import "testing"

func TestFunctionProcs(t *testing.T) {
	tests := []struct{ memMB, ncpu, want int }{
		{128, 2, 1},
		{1769, 8, 1},
		{1770, 8, 2},
		{3008, 8, 2},
		{10240, 8, 6},
		{10240, 4, 4},
		{10240, 1, 1},
		{0, 2, 1},
	}
	for _, tt := range tests {
		if got := functionProcs(tt.memMB, tt.ncpu); got != tt.want {
			t.Errorf("functionProcs(%d MB, %d CPUs) = %d, want %d", tt.memMB, tt.ncpu, got, tt.want)
		}
	}
}

func TestIsSchedTrace(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"SCHED 0ms: gomaxprocs=1 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=2 runqueue=0 [ 0 ]", true},
		{"SCHED 2147483647ms: gomaxprocs=2 idleprocs=2", true},
		{"SCHED ms: gomaxprocs=1", false},
		{"SCHED 12ms: something else", false},
		{"SCHEDULE 0ms: gomaxprocs=1", false},
		{" SCHED 0ms: gomaxprocs=1", false},
		{"sched 0ms: gomaxprocs=1", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isSchedTrace(tt.line); got != tt.want {
			t.Errorf("isSchedTrace(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestIsSchedDetail(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"  P0: status=1 schedtick=5 syscalltick=0 m=0 runqsize=1 gfreecnt=0 timerslen=1", true},
		{"  M12: p=nil curg=nil mallocing=0 throwing=0", true},
		{"  G6: status=2() m=0 lockedm=nil", true},
		{"  G: status=2()", false},
		{"  X1: status=2()", false},
		{" P0: status=1", false},
		{"  P0 status=1", false},
		{"panic: boom", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isSchedDetail(tt.line); got != tt.want {
			t.Errorf("isSchedDetail(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}
