package main

import (
	"slices"
	"testing"
)

func TestProcsController(t *testing.T) {
	tests := []struct {
		name  string
		peaks []int64
		want  []int // GOMAXPROCS after each step
	}{
		{"one at a time stays low", []int64{1, 1, 0, 1}, []int{1, 1, 1, 1}},
		{"overlap goes high at once", []int64{1, 2, 16}, []int{1, 4, 4}},
		{"back to low after calm intervals", []int64{3, 1, 1, 0}, []int{4, 4, 4, 1}},
		{"overlap resets the calm count", []int64{2, 1, 1, 2, 1, 1, 1}, []int{4, 4, 4, 4, 4, 4, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []int
			i := 0
			c := &procsController{low: 1, high: 4, calmAfter: 3, cur: 1,
				peak: func() int64 { i++; return tt.peaks[i-1] },
				set:  func(n int) int { sets = append(sets, n); return 0 }}
			var got []int
			for range tt.peaks {
				c.step()
				got = append(got, c.cur)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("GOMAXPROCS after each step = %v, want %v (set calls %v)", got, tt.want, sets)
			}
		})
	}
}
