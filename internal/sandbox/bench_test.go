package sandbox_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/fnurl/fnurl/internal/sandbox"
)

// BenchmarkWarmInvoke measures one warm invocation of the Go echo
// function, end to end: Manager.Invoke, the Runtime API round trip, the
// function's own HTTP client, logs and REPORT.
func BenchmarkWarmInvoke(b *testing.B) {
	m := newManager(b, sandbox.Config{})
	fn := newFunction("bench-warm", "provided.al2023", "", bootstrapZip(b))
	invoke(b, m, fn, `{}`)
	payload := []byte(`{"hello":"world"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: fmt.Sprintf("req-%d", i), Payload: payload})
		if err != nil || string(res.Payload) != string(payload) {
			b.Fatalf("%v %s", err, res.Payload)
		}
	}
}

// BenchmarkWarmInvokeC16 runs 16 concurrent callers on one function (the
// pool grows to 16 environments during warm-up).
func BenchmarkWarmInvokeC16(b *testing.B) {
	m := newManager(b, sandbox.Config{})
	fn := newFunction("bench-c16", "provided.al2023", "", bootstrapZip(b))
	payload := []byte(`{"hello":"world"}`)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: fmt.Sprintf("req-%d", seq.Add(1)), Payload: payload})
			if err != nil || string(res.Payload) != string(payload) {
				b.Errorf("%v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(m.Environments("bench-c16")), "envs")
}

// BenchmarkColdStart measures an invocation that starts a new environment
// (each iteration is a new revision, so the previous one retires).
func BenchmarkColdStart(b *testing.B) {
	m := newManager(b, sandbox.Config{})
	fn := newFunction("bench-cold", "provided.al2023", "", bootstrapZip(b))
	invoke(b, m, fn, `{}`) // code extracted once
	var initTotal int64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		fn.Revision = fmt.Sprintf("cold-%d", i)
		res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: fmt.Sprintf("req-%d", i), Payload: []byte(`{}`)})
		if err != nil || res.InitDuration == 0 {
			b.Fatalf("%v init %v", err, res.InitDuration)
		}
		initTotal += int64(res.InitDuration)
	}
	b.ReportMetric(float64(initTotal)/float64(b.N)/1e6, "init-ms/op")
}
