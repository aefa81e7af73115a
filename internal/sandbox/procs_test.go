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
