package server

import (
	"strconv"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/metrics"
)

// serverMetrics are the request metrics the server keeps. Labels have
// bounded values: no access key IDs or user names.
type serverMetrics struct {
	requests    *metrics.CounterVec
	decisions   *metrics.CounterVec
	authFailure *metrics.CounterVec
	duration    *metrics.HistogramVec
	overhead    *metrics.HistogramVec
}

// overheadBuckets resolve the server's own time per invocation, tens of
// microseconds when all is well, finely enough to estimate its median.
var overheadBuckets = []float64{.00001, .00002, .00003, .00004, .00005, .00006, .00007, .00008, .00009, .0001,
	.000125, .00015, .0002, .0003, .0005, .001, .0025, .01, .1, 1}

func newServerMetrics(r *metrics.Registry) serverMetrics {
	return serverMetrics{
		requests:    r.NewCounterVec("fnurl_requests_total", "Requests by service, action, HTTP status and AWS error code.", "service", "action", "status", "error"),
		decisions:   r.NewCounterVec("fnurl_authorization_decisions_total", "Decisions on requests by service and result.", "service", "decision"),
		authFailure: r.NewCounterVec("fnurl_authentication_failures_total", "Requests refused before authorization, by AWS error code.", "service", "error"),
		duration:    r.NewHistogramVec("fnurl_request_duration_seconds", "Time to answer a request, by service.", metrics.DefaultBuckets, "service"),
		overhead: r.NewHistogramVec("fnurl_invocation_overhead_seconds",
			"The server's own time in a warm invocation (function URL or Invoke), by phase: request (from the request's head read to the event's write to the runtime) and response (from the runtime's answer read to the response's write).",
			overheadBuckets, "phase"),
	}
}

func (m serverMetrics) observe(ev audit.Event) {
	if ev.Service == "metrics" {
		return
	}
	m.requests.Inc(ev.Service, ev.Action, strconv.Itoa(ev.Status), ev.ErrorCode)
	if ev.Decision != "" {
		m.decisions.Inc(ev.Service, ev.Decision)
	}
	if ev.Decision == audit.AuthFailed {
		m.authFailure.Inc(ev.Service, ev.ErrorCode)
	}
	m.duration.Observe(ev.LatencyMS/1000, ev.Service)
}

// observeOverhead records the server's own time in a warm invocation:
// from began (the request's head read) to the event's write, and, when
// the whole response was written at once from writing (not a stream, not
// a response left to net/http to frame), from the answer to then. The
// writes themselves are left out: a loopback write runs the receiver's
// side of TCP and may hand the CPU to the woken reader before it returns,
// so its duration can hold another process's work.
func (m serverMetrics) observeOverhead(began, writing time.Time, rec *recorder) {
	if rec.dispatched.IsZero() {
		return // not a warm invocation
	}
	m.overhead.Observe(rec.dispatched.Sub(began).Seconds(), "request")
	if !writing.IsZero() && !rec.streamed {
		m.overhead.Observe(writing.Sub(rec.answered).Seconds(), "response")
	}
}
