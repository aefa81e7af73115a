package server

import (
	"sync"
	"time"
)

// failureLimiter throttles authentication failures per source IP and per
// access key ID: after maxFailures failures within window, further failures
// from that source or for that key are answered with a throttling error
// for penalty, so that nobody can probe keys or secrets at full speed.
// Requests that authenticate are never affected, wherever they come from.
type failureLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]*failures
}

type failures struct {
	start        time.Time // of the current window
	n            int
	blockedUntil time.Time

	// Throttled failures not yet reported (see throttled).
	throttled                     int
	firstThrottled, lastThrottled time.Time
}

// throttledFailures counts the throttled failures of one source or key
// over a period.
type throttledFailures struct {
	key         string // "ip:…" or "key:…"
	n           int
	first, last time.Time
}

const (
	maxFailures     = 20
	failureWindow   = 10 * time.Second
	failurePenalty  = 60 * time.Second
	maxLimiterItems = 10000
)

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{now: now, entries: map[string]*failures{}}
}

// fail records a failure for each non-empty key and reports whether any of
// them is (now) throttled.
func (l *failureLimiter) fail(keys ...string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) > maxLimiterItems {
		// Bounded memory: forget everything but what is blocked.
		for k, f := range l.entries {
			if now.After(f.blockedUntil) {
				delete(l.entries, k)
			}
		}
	}
	throttled := false
	for _, k := range keys {
		if k == "" {
			continue
		}
		f := l.entries[k]
		if f == nil {
			f = &failures{start: now}
			l.entries[k] = f
		}
		if now.Before(f.blockedUntil) {
			throttled = true
			f.count(now)
			continue
		}
		if now.Sub(f.start) > failureWindow {
			f.start, f.n = now, 0
		}
		f.n++
		if f.n > maxFailures {
			f.blockedUntil = now.Add(failurePenalty)
			throttled = true
			f.count(now)
		}
	}
	return throttled
}

func (f *failures) count(now time.Time) {
	if f.throttled == 0 {
		f.firstThrottled = now
	}
	f.throttled++
	f.lastThrottled = now
}

// throttled returns and forgets the throttled failures counted since the
// last call, by source and key, in no particular order.
func (l *failureLimiter) throttled() []throttledFailures {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []throttledFailures
	for k, f := range l.entries {
		if f.throttled > 0 {
			out = append(out, throttledFailures{key: k, n: f.throttled, first: f.firstThrottled, last: f.lastThrottled})
			f.throttled = 0
		}
	}
	return out
}
