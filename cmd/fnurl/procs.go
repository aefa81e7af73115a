package main

import (
	"context"
	"runtime"
	"runtime/metrics"
	"time"
)

// procsController chooses the server's GOMAXPROCS from its load. Measured
// on a 2-CPU machine (fnurl-bench with -server-gomaxprocs 1 and 2), one P
// serves requests that arrive one at a time best: a warm function URL
// invocation had an 18% lower p50 (339 vs 412 µs) and 5.4 instead of 14
// context switches, because nothing is handed between threads. Requests
// that overlap are served best with every CPU: at concurrency 16, 17% more
// AWS_IAM invocations and 25% more rejections per second. So
// the server runs with low Ps while at most one request is in flight, and
// with high as soon as two are: the peak number in flight is sampled every
// interval, and the controller goes back to low only after calm intervals
// in a row without overlap.
//
// Requests that never wait (a rejected signature, an IAM read) cannot
// overlap on one P: each runs from its first byte to its response without
// giving the P up, so with one P the in-flight peak stays at 1 however many
// clients wait. The controller also counts the goroutines ready to run but
// waiting for a P at the moment it samples: minRunnable or more mean
// requests queue for the CPU. Interleaved against the controller without
// it (fnurl-bench -compare): rejections at concurrency 16 +16 %, AWS_IAM
// invocations +5 %; at concurrency 1 no change with 8, while 2 and 4 went
// to two Ps now and then and lost 7 to 20 % (the Runtime API's goroutines
// are sometimes runnable together).
const minRunnable = 8

type procsController struct {
	low, high int
	calmAfter int           // intervals without overlap before going back to low
	peak      func() int64  // the most requests in flight since the last call
	runnable  func() int64  // goroutines waiting for a P now
	set       func(int) int // runtime.GOMAXPROCS
	cur, calm int
}

// newProcsController chooses between half and all of n Ps.
func newProcsController(n int, peak func() int64) *procsController {
	return &procsController{low: serverProcs(n), high: n, calmAfter: 20, peak: peak, runnable: runnableGoroutines(), set: runtime.GOMAXPROCS}
}

// runnableGoroutines returns a function that reads how many goroutines are
// ready to run but not running, from runtime/metrics.
func runnableGoroutines() func() int64 {
	s := []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}}
	return func() int64 {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(s[0].Value.Uint64())
	}
}

// step samples the load once and changes GOMAXPROCS when it should.
func (c *procsController) step() {
	want := c.cur
	if c.peak() >= 2 || c.runnable != nil && c.runnable() >= minRunnable {
		c.calm = 0
		want = c.high
	} else if c.cur != c.low {
		c.calm++
		if c.calm >= c.calmAfter {
			want = c.low
		}
	}
	if want != c.cur {
		c.set(want)
		c.cur = want
		c.calm = 0
	}
}

// run starts at low and steps every interval until ctx ends.
func (c *procsController) run(ctx context.Context, interval time.Duration) {
	if c.low == c.high {
		return
	}
	c.set(c.low)
	c.cur = c.low
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.step()
		}
	}
}
