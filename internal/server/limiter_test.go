package server

import (
	"testing"
	"time"
)

func TestFailureLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newFailureLimiter(func() time.Time { return now })
	for i := 1; i <= maxFailures; i++ {
		if l.fail("ip:1.2.3.4", "key:AKIAX") {
			t.Fatalf("throttled after %d failures, limit %d", i, maxFailures)
		}
	}
	if !l.fail("ip:1.2.3.4", "key:AKIAX") {
		t.Fatal("not throttled past the limit")
	}
	// Another source with another key is not affected.
	if l.fail("ip:5.6.7.8", "key:AKIAY") {
		t.Error("an unrelated source was throttled")
	}
	// The same key from another source is (per-key limit).
	if !l.fail("ip:9.9.9.9", "key:AKIAX") {
		t.Error("the throttled key was not throttled from another source")
	}
	// The penalty ends.
	now = now.Add(failurePenalty + time.Second)
	if l.fail("ip:1.2.3.4", "key:AKIAX") {
		t.Error("still throttled after the penalty")
	}
	// Failures spread out over windows never trip it.
	l2 := newFailureLimiter(func() time.Time { return now })
	for i := 0; i < 10*maxFailures; i++ {
		now = now.Add(failureWindow / 5)
		if l2.fail("ip:1.1.1.1") {
			t.Fatalf("slow failures throttled at %d", i)
		}
	}
}
