// Package audit records one structured event per API call and per function
// URL request, in the spirit of CloudTrail: who (principal, access key,
// credential type, source IP), what (service, action, resource), the
// decision with its reason in words a person can act on, and the outcome.
//
// Events are collected per request in an *Entry carried by the context:
// the server fills in the request, authentication and authorization fill
// in the principal and the decision. When the request ends the entry is
// handed to a Log, which writes events to the store in batches (so the
// request path never waits for a disk write) and, optionally, as JSON
// lines to a file or standard output. Secrets, signatures and session
// tokens are never part of an event.
package audit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Decisions.
const (
	Allowed      = "allowed"
	ExplicitDeny = "explicit_deny"
	ImplicitDeny = "implicit_deny"
	AuthFailed   = "authentication_failed"
	NotFound     = "not_found" // e.g. an unknown function URL
	Failed       = "error"
)

// Event is one audit record.
type Event struct {
	ID             int64     `json:"id,omitempty"`
	Time           time.Time `json:"time"`
	RequestID      string    `json:"requestId"`
	SourceIP       string    `json:"sourceIp"`
	UserAgent      string    `json:"userAgent,omitempty"`
	PrincipalARN   string    `json:"principalArn,omitempty"`
	AccessKeyID    string    `json:"accessKeyId,omitempty"`
	CredentialType string    `json:"credentialType,omitempty"` // root, user, session, assumed-role, anonymous
	Service        string    `json:"service"`
	Action         string    `json:"action,omitempty"`
	Resource       string    `json:"resource,omitempty"`
	Decision       string    `json:"decision,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	ErrorCode      string    `json:"errorCode,omitempty"`
	Status         int       `json:"status"`
	LatencyMS      float64   `json:"latencyMs"`
}

// Entry collects an event while a request is served. It is safe for
// concurrent use.
type Entry struct {
	mu         sync.Mutex
	ev         Event
	suppressed bool
}

// Suppress marks the request as one not to record on its own: a throttled
// authentication failure, which a flood would otherwise turn into a flood
// of events and log lines. The server counts such requests and records a
// summary of them instead. A nil entry ignores it.
func (e *Entry) Suppress() {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.suppressed = true
	e.mu.Unlock()
}

// Suppressed reports whether Suppress was called.
func (e *Entry) Suppressed() bool {
	if e == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.suppressed
}

type entryKey struct{}

// NewContext returns a context carrying a new entry, and the entry.
func NewContext(ctx context.Context) (context.Context, *Entry) {
	e := &Entry{}
	return context.WithValue(ctx, entryKey{}, e), e
}

// FromContext returns the entry of the request, or nil.
func FromContext(ctx context.Context) *Entry {
	e, _ := ctx.Value(entryKey{}).(*Entry)
	return e
}

// Update changes the event under the entry's lock. A nil entry ignores it.
func (e *Entry) Update(f func(ev *Event)) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f(&e.ev)
}

// Event returns a copy of the collected event.
func (e *Entry) Event() Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ev
}

// Decide records an authorization decision. A denial is kept over a later
// allow, so that the event says why a request was refused.
func (e *Entry) Decide(action, resource, decision, reason string) {
	e.Update(func(ev *Event) {
		if ev.Decision != "" && ev.Decision != Allowed && decision == Allowed {
			return
		}
		ev.Action, ev.Resource, ev.Decision, ev.Reason = action, resource, decision, reason
	})
}

// Store persists events.
type Store interface {
	InsertAuditEvents(ctx context.Context, evs []Event) error
	// AuditEvents returns events matching f, oldest first.
	AuditEvents(ctx context.Context, f Filter) ([]Event, error)
	// DeleteAuditEventsBefore removes events older than t.
	DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int64, error)
}

// Filter selects events.
type Filter struct {
	AfterID   int64  // only events with a larger ID (for following)
	RequestID string // only this request
	Denied    bool   // only denials and authentication failures
	Principal string // substring of the principal ARN
	Function  string // substring of the resource naming a function
	Limit     int    // default 100
}

// Config configures a Log.
type Config struct {
	Store     Store
	JSONLines io.Writer // optional: every event as a JSON line as well
	Retention time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

// Log writes events in the background.
type Log struct {
	cfg    Config
	ch     chan Event
	done   chan struct{}
	mu     sync.Mutex
	closed bool
	flushc chan chan struct{}
}

// maxBatch bounds a batch; flushInterval bounds how long an event waits.
const (
	maxBatch      = 256
	flushInterval = 100 * time.Millisecond
	queueSize     = 8192
)

// New starts a Log. Close stops it after writing what is queued.
func New(cfg Config) *Log {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Log{cfg: cfg, ch: make(chan Event, queueSize), done: make(chan struct{}), flushc: make(chan chan struct{})}
	go l.run()
	return l
}

// Record queues an event. When the queue is full the event is written to
// the log instead of blocking the request.
func (l *Log) Record(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	select {
	case l.ch <- ev:
	default:
		l.cfg.Logger.Warn("audit queue full; event logged only here", "request_id", ev.RequestID, "decision", ev.Decision)
	}
}

// Flush waits until every event recorded before it is written.
func (l *Log) Flush() {
	c := make(chan struct{})
	select {
	case l.flushc <- c:
		<-c
	case <-l.done:
	}
}

// Close writes what is queued and stops the Log.
func (l *Log) Close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.ch)
	}
	l.mu.Unlock()
	<-l.done
}

func (l *Log) run() {
	defer close(l.done)
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	var batch []Event
	lastPrune := time.Time{}
	write := func() {
		if len(batch) == 0 {
			return
		}
		if l.cfg.JSONLines != nil {
			for _, ev := range batch {
				b, _ := json.Marshal(ev)
				l.cfg.JSONLines.Write(append(b, '\n'))
			}
		}
		if l.cfg.Store != nil {
			if err := l.cfg.Store.InsertAuditEvents(context.Background(), batch); err != nil {
				l.cfg.Logger.Error("writing audit events", "err", err, "events", len(batch))
			}
		}
		batch = batch[:0]
		if l.cfg.Store != nil && l.cfg.Retention > 0 && l.cfg.Now().Sub(lastPrune) > time.Minute {
			lastPrune = l.cfg.Now()
			if _, err := l.cfg.Store.DeleteAuditEventsBefore(context.Background(), lastPrune.Add(-l.cfg.Retention)); err != nil {
				l.cfg.Logger.Error("pruning audit events", "err", err)
			}
		}
	}
	for {
		select {
		case ev, ok := <-l.ch:
			if !ok {
				write()
				return
			}
			batch = append(batch, ev)
			if len(batch) >= maxBatch {
				write()
			}
		case <-t.C:
			write()
		case c := <-l.flushc:
			// Drain what is already queued, then write.
			for {
				select {
				case ev, ok := <-l.ch:
					if ok {
						batch = append(batch, ev)
						if len(batch) >= maxBatch {
							write()
						}
						continue
					}
				default:
				}
				break
			}
			write()
			close(c)
		}
	}
}
