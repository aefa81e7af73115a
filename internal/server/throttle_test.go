package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/sigv4"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newAuditedServer is newHardeningServer with its audit events stored in
// an SQLite database of their own and its log written as text to logs.
func newAuditedServer(t *testing.T) (h *hardeningServer, store *sqlite.DB, auditLog *audit.Log, logs *lockedBuffer) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	auditLog = audit.New(audit.Config{Store: store})
	t.Cleanup(auditLog.Close)
	logs = &lockedBuffer{}
	h = newHardeningServer(t, func(c *Config) {
		c.Audit = auditLog
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	return h, store, auditLog, logs
}

// TestBruteForceThrottled floods a function URL and the STS API with bad
// signatures from one address within a few seconds. The first failures are
// refused with 403 and recorded one by one; past the limit they are
// answered 429 and neither logged nor recorded individually, but counted in
// one summary event and warning per source and key. A valid caller from the
// same address is not affected.
func TestBruteForceThrottled(t *testing.T) {
	ctx := context.Background()
	h, store, auditLog, logs := newAuditedServer(t)
	h.still = true

	bad := func(w wire) wire {
		w = w.clone()
		auth := w.header.Get("Authorization")
		w.header.Set("Authorization", auth[:len(auth)-64]+flipMiddle(auth[len(auth)-64:]))
		return w
	}
	count := map[int]int{}
	const urlFlood, stsFlood = 200, 50
	for i := range urlFlood {
		w := h.sign(wire{method: "GET", target: h.urlPath + "x" + strconv.Itoa(i), header: http.Header{}}, h.alice, "lambda")
		count[h.do(bad(w)).Code]++
	}
	if count[http.StatusForbidden] != maxFailures || count[http.StatusTooManyRequests] != urlFlood-maxFailures {
		t.Errorf("function URL flood answered %v, want %d×403 then %d×429", count, maxFailures, urlFlood-maxFailures)
	}
	bogus := sigv4.Credentials{AccessKeyID: "AKIAXXXXXXXXXXXXXXXX", SecretAccessKey: strings.Repeat("s", 40)}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	for range stsFlood {
		w := h.sign(wire{method: "POST", target: "/", header: form, body: "Action=GetCallerIdentity&Version=2011-06-15"}, bogus, "sts")
		if rec := h.do(w); rec.Code != http.StatusTooManyRequests || errorCode(rec) != "Throttling" {
			t.Fatalf("STS flood from a throttled address: %d %s, want 429 Throttling", rec.Code, errorCode(rec))
		}
	}
	// A valid caller from the same address, with another key.
	ok := h.sign(wire{method: "GET", target: h.urlPath + "ok", header: http.Header{}}, h.session, "lambda")
	if rec := h.do(ok); rec.Code != http.StatusOK {
		t.Fatalf("valid request from the throttled address: %d %s", rec.Code, rec.Body)
	}

	h.srv.ReportThrottled()
	auditLog.Flush()
	evs, err := store.AuditEvents(ctx, audit.Filter{Denied: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	individual := 0
	summaries := map[string]string{}
	for _, ev := range evs {
		switch {
		case ev.Service == "throttle":
			summaries[ev.SourceIP+ev.AccessKeyID] = ev.Reason
		case ev.Status == http.StatusTooManyRequests:
			t.Errorf("a throttled request was recorded on its own: %+v", ev)
		default:
			individual++
		}
	}
	if individual != maxFailures {
		t.Errorf("%d failures recorded one by one, want the %d before the limit", individual, maxFailures)
	}
	// The address was throttled for every request past the limit; alice's
	// key for the URL flood's; the bogus key once it passed the limit too.
	want := map[string]int{"192.0.2.7": urlFlood - maxFailures + stsFlood, h.alice.AccessKeyID: urlFlood - maxFailures, bogus.AccessKeyID: stsFlood - maxFailures}
	for k, n := range want {
		reason, ok := summaries[k]
		if !ok || !strings.HasPrefix(reason, strconv.Itoa(n)+" authentication failures were throttled") {
			t.Errorf("summary for %s = %q, want a count of %d", k, reason, n)
		}
	}
	if len(summaries) != len(want) {
		t.Errorf("summaries: %v", summaries)
	}
	// A second report has nothing new.
	h.srv.ReportThrottled()
	auditLog.Flush()
	if again, _ := store.AuditEvents(ctx, audit.Filter{Denied: true, Limit: 1000}); len(again) != len(evs) {
		t.Errorf("a report without new failures recorded %d events", len(again)-len(evs))
	}

	out := logs.String()
	if n := len(regexp.MustCompile(`(?m)msg=request .*status=429`).FindAllString(out, -1)); n != 0 {
		t.Errorf("%d access log lines for throttled requests, want 0", n)
	}
	if n := strings.Count(out, "function URL request not authenticated"); n != maxFailures {
		t.Errorf("%d lines for refused function URL requests, want %d", n, maxFailures)
	}
	if n := strings.Count(out, `msg="authentication failures throttled"`); n != len(want) {
		t.Errorf("%d throttling warnings, want %d:\n%s", n, len(want), out)
	}
	if h.invoker.calls.Load() != 1 {
		t.Errorf("the function ran %d times, want once (the valid request)", h.invoker.calls.Load())
	}
}
