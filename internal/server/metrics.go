package server

import (
	"strconv"

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
}

func newServerMetrics(r *metrics.Registry) serverMetrics {
	return serverMetrics{
		requests:    r.NewCounterVec("fnurl_requests_total", "Requests by service, action, HTTP status and AWS error code.", "service", "action", "status", "error"),
		decisions:   r.NewCounterVec("fnurl_authorization_decisions_total", "Decisions on requests by service and result.", "service", "decision"),
		authFailure: r.NewCounterVec("fnurl_authentication_failures_total", "Requests refused before authorization, by AWS error code.", "service", "error"),
		duration:    r.NewHistogramVec("fnurl_request_duration_seconds", "Time to answer a request, by service.", metrics.DefaultBuckets, "service"),
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
