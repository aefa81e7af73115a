package main

import (
	"runtime"
	"slices"
	"sync"
	"testing"
)

func TestProcsController(t *testing.T) {
	tests := []struct {
		name     string
		peaks    []int64
		runnable []int64 // goroutines waiting for a P at each step (none if nil)
		want     []int   // GOMAXPROCS after each step
	}{
		{"one at a time stays low", []int64{1, 1, 0, 1}, nil, []int{1, 1, 1, 1}},
		{"overlap goes high at once", []int64{1, 2, 16}, nil, []int{1, 4, 4}},
		{"back to low after calm intervals", []int64{3, 1, 1, 0}, nil, []int{4, 4, 4, 1}},
		{"overlap resets the calm count", []int64{2, 1, 1, 2, 1, 1, 1}, nil, []int{4, 4, 4, 4, 4, 4, 1}},
		{"a few runnable goroutines stay low", []int64{1, 1, 1}, []int64{2, minRunnable - 1, 3}, []int{1, 1, 1}},
		{"requests queueing for the P go high", []int64{1, 1, 1, 1, 1}, []int64{0, minRunnable, 0, 0, 0}, []int{1, 4, 4, 4, 1}},
		{"queueing keeps it high", []int64{1, 1, 1, 1, 1}, []int64{minRunnable + 4, 0, 0, minRunnable, 0}, []int{4, 4, 4, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []int
			i, j := 0, 0
			c := &procsController{low: 1, high: 4, calmAfter: 3, cur: 1,
				peak: func() int64 { i++; return tt.peaks[i-1] },
				runnable: func() int64 {
					j++
					if tt.runnable == nil {
						return 0
					}
					return tt.runnable[j-1]
				},
				set: func(n int) int { sets = append(sets, n); return 0 }}
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

// TestRunnableGoroutines reads the runtime's count of goroutines waiting
// for a P: goroutines spinning on one P must show up in it.
func TestRunnableGoroutines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	read := runnableGoroutines()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 * minRunnable {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	var most int64
	for range 50 {
		most = max(most, read())
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	if most < minRunnable {
		t.Errorf("at most %d runnable goroutines seen with %d spinning on one P, want at least %d", most, 2*minRunnable, minRunnable)
	}
}
