package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fnurl/fnurl/internal/runtimeapi"
)

// errTimeout and errExited tell why the runtime stopped answering.
var (
	errTimeout = errors.New("sandbox: task timed out")
	errExited  = errors.New("sandbox: runtime exited")
)

// Invoke runs one invocation on a warm environment of fn, starting one if
// needed. It returns ErrTooManyRequests at the concurrency limit,
// ErrUnknownRuntime or ErrRuntimeUnavailable (as a *RuntimeError naming
// the runtime), or ctx's error when ctx ends before the invocation is
// handed to the function. From then on the invocation runs to its end or
// timeout, as on Lambda. A function error, timeout or crash is a Response
// with FunctionError "Unhandled" and AWS's error JSON, not an error.
func (m *Manager) Invoke(ctx context.Context, fn *Function, req Request) (*Response, error) {
	fn = withDefaults(fn)
	rt, err := m.runtime(fn.Runtime)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		e, p, err := m.acquire(fn)
		if err != nil {
			return nil, err
		}
		var initDur time.Duration
		if e == nil {
			var res *Response
			e, res, err = m.start(fn, rt, p, req)
			if err != nil || res != nil {
				return res, err
			}
			initDur = e.initDur
			if err := ctx.Err(); err != nil {
				m.release(e)
				return nil, err
			}
		}
		res, err := m.run(e, fn, req, initDur, attempt < 2)
		if errors.Is(err, runtimeapi.ErrNotDelivered) {
			// A warm runtime that died after its last answer: the
			// invocation never reached it, so it goes to another one.
			continue
		}
		return res, err
	}
}

// acquire returns an idle environment of fn, or reserves a slot for a new
// one (nil env).
func (m *Manager) acquire(fn *Function) (*env, *pool, error) {
	if fn.ReservedConcurrency < 0 {
		return nil, nil, ErrTooManyRequests
	}
	var stale []*env
	defer func() {
		for _, e := range stale {
			go func() {
				defer m.bg.Done()
				e.stop(false)
			}()
		}
	}()
	m.mu.Lock()
	// Counted under the lock, so that Close (which sets closed under it)
	// waits for these stops.
	defer func() { m.bg.Add(len(stale)); m.mu.Unlock() }()
	if m.closed {
		return nil, nil, ErrClosed
	}
	key := fn.ARN + "\x00" + fn.Version + "\x00" + fn.Revision
	p := m.pools[key]
	if p == nil {
		p = &pool{key: key, arn: fn.ARN, version: fn.Version}
		m.pools[key] = p
		// Environments of an older revision are retired.
		for k, q := range m.pools {
			if q != p && q.arn == fn.ARN && q.version == fn.Version {
				q.retired = true
				for _, e := range q.idle {
					stale = append(stale, e)
					m.forgetLocked(e)
				}
				q.idle = nil
				delete(m.pools, k)
			}
		}
	}
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		e.thaw()
		return e, p, nil
	}
	if r := fn.ReservedConcurrency; r > 0 && m.active[fn.ARN] >= r {
		return nil, nil, ErrTooManyRequests
	}
	if m.total >= m.cfg.MaxEnvironments {
		// Make room by stopping the least recently used idle environment
		// of another function.
		var victim *env
		var vp *pool
		for _, q := range m.pools {
			if len(q.idle) > 0 && (victim == nil || q.idle[0].lastUsed.Before(victim.lastUsed)) {
				victim, vp = q.idle[0], q
			}
		}
		if victim == nil {
			return nil, nil, ErrTooManyRequests
		}
		vp.idle = vp.idle[1:]
		m.forgetLocked(victim)
		stale = append(stale, victim)
	}
	p.n++
	m.active[fn.ARN]++
	m.total++
	return nil, p, nil
}

// unreserve gives back a slot taken by acquire for an environment that
// never started.
func (m *Manager) unreserve(fn *Function, p *pool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.n--
	m.decActive(fn.ARN)
	m.total--
}

func (m *Manager) decActive(arn string) {
	if m.active[arn]--; m.active[arn] <= 0 {
		delete(m.active, arn)
	}
}

// forgetLocked removes e from the books (once); m.mu is held.
func (m *Manager) forgetLocked(e *env) {
	if e.forgotten {
		return
	}
	e.forgotten = true
	delete(m.envs, e)
	e.pool.n--
	m.decActive(e.fn.ARN)
	m.total--
	if e.pool.n == 0 && len(e.pool.idle) == 0 && m.pools[e.pool.key] == e.pool {
		delete(m.pools, e.pool.key)
	}
}

// release returns a healthy environment to its pool, or stops it.
func (m *Manager) release(e *env) {
	m.mu.Lock()
	if m.closed || e.pool.retired || e.dead() {
		m.forgetLocked(e)
		m.mu.Unlock()
		e.stop(false)
		return
	}
	e.lastUsed = time.Now()
	e.pool.idle = append(e.pool.idle, e)
	m.mu.Unlock()
}

// discard stops a failed environment.
func (m *Manager) discard(e *env) {
	m.mu.Lock()
	m.forgetLocked(e)
	m.mu.Unlock()
	e.stop(false)
}

// run hands req to the warm environment e.
func (m *Manager) run(e *env, fn *Function, req Request, initDur time.Duration, retry bool) (*Response, error) {
	start := time.Now()
	deadline := start.Add(fn.Timeout)
	e.logs.begin(req.RequestID, req.LogTail)
	e.logs.system("START RequestId: " + req.RequestID + " Version: " + fn.Version)
	inv := runtimeapi.Invocation{
		RequestID:     req.RequestID,
		Payload:       req.Payload,
		Deadline:      deadline,
		FunctionARN:   fn.ARN,
		TraceID:       req.TraceID,
		Streaming:     req.Streaming,
		ClientContext: clientContext(req.ClientContext),
	}
	if fn.Version != "" && fn.Version != "$LATEST" {
		inv.FunctionARN = fn.ARN + ":" + fn.Version
	}
	// A streamed answer outlives this call: its end is reported through
	// StreamEnd, and a timer enforces the deadline meanwhile.
	st := &streamState{ch: make(chan error, 1)}
	inv.StreamEnd = func(err error) { st.end(err) }
	ctx, cancel := context.WithDeadlineCause(context.Background(), deadline, errTimeout)
	res, err := e.api.Invoke(ctx, inv)
	cancel()
	resp := &Response{InitDuration: initDur}
	if err == nil {
		resp.Dispatched, resp.Answered = res.Dispatched, res.Answered
	}
	switch {
	case err == nil && res.Stream != nil:
		resp.Stream = res.Stream
		st.begin(func(serr error) {
			resp := &Response{}
			if e.timedOut.Load() {
				m.timedOut(e, fn, req, resp)
			}
			m.finish(e, fn, req, start, initDur, resp)
			if e.timedOut.Load() || e.dead() {
				m.discard(e)
			} else {
				m.release(e)
			}
		}, time.AfterFunc(time.Until(deadline), func() {
			e.timedOut.Store(true)
			// Fail first: the reader must see the timeout, not the broken
			// connection of the killed runtime.
			e.api.Fail(errors.New(timeoutMessage(m.now(), req.RequestID, fn.Timeout)))
			e.kill()
		}))
		resp.Duration = time.Since(start)
		return resp, nil
	case err == nil:
		resp.Payload = res.Payload
		if res.Error {
			resp.FunctionError = "Unhandled"
		}
		m.finish(e, fn, req, start, initDur, resp)
		m.release(e)
		return resp, nil
	case errors.Is(err, errTimeout):
		e.timedOut.Store(true)
		e.kill()
		m.timedOut(e, fn, req, resp)
		m.finish(e, fn, req, start, initDur, resp)
		m.discard(e)
		return resp, nil
	case retry && errors.Is(err, runtimeapi.ErrNotDelivered):
		e.logs.end()
		m.discard(e)
		return nil, err
	default:
		// The runtime exited (or was killed: out of memory, Close).
		e.waitExit(time.Second)
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", req.RequestID, e.exitStatus())
		resp.FunctionError = "Unhandled"
		resp.Payload = runtimeapi.ErrorJSON("Runtime.ExitError", msg)
		e.logs.system(msg)
		m.finish(e, fn, req, start, initDur, resp)
		m.discard(e)
		return resp, nil
	}
}

func (m *Manager) timedOut(e *env, fn *Function, req Request, resp *Response) {
	msg := timeoutMessage(m.now(), req.RequestID, fn.Timeout)
	e.logs.system(msg)
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
	}{msg})
	resp.Payload = b
	resp.FunctionError = "Unhandled"
}

func timeoutMessage(now time.Time, id string, d time.Duration) string {
	return fmt.Sprintf("%s %s Task timed out after %.2f seconds", now.UTC().Format("2006-01-02T15:04:05.000Z"), id, d.Seconds())
}

// finish writes END and REPORT and fills the durations and log tail.
func (m *Manager) finish(e *env, fn *Function, req Request, start time.Time, initDur time.Duration, resp *Response) {
	d := time.Since(start)
	resp.Duration = d
	e.logs.flush()
	e.logs.system("END RequestId: " + req.RequestID)
	billed := int64(math.Ceil(float64(d) / float64(time.Millisecond)))
	if billed < 1 {
		billed = 1
	}
	// REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t[Init Duration: %.2f ms\t]
	line := make([]byte, 0, 160)
	line = append(line, "REPORT RequestId: "...)
	line = append(line, req.RequestID...)
	line = append(line, "\tDuration: "...)
	line = strconv.AppendFloat(line, float64(d)/float64(time.Millisecond), 'f', 2, 64)
	line = append(line, " ms\tBilled Duration: "...)
	line = strconv.AppendInt(line, billed, 10)
	line = append(line, " ms\tMemory Size: "...)
	line = strconv.AppendInt(line, int64(fn.MemoryMB), 10)
	line = append(line, " MB\tMax Memory Used: "...)
	line = strconv.AppendInt(line, int64(e.maxMemoryMB()), 10)
	line = append(line, " MB\t"...)
	if initDur > 0 {
		line = append(line, "Init Duration: "...)
		line = strconv.AppendFloat(line, float64(initDur)/float64(time.Millisecond), 'f', 2, 64)
		line = append(line, " ms\t"...)
	}
	e.logs.system(string(line))
	resp.LogTail = e.logs.end()
}

// clientContext decodes the base64 client context for the runtime; an
// undecodable one is dropped.
func clientContext(b64 string) string {
	if b64 == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !json.Valid(b) {
		return ""
	}
	return string(b)
}

// streamState joins the end of a stream (reported by the Runtime API) and
// the moment run has set up its completion.
type streamState struct {
	ch    chan error
	timer *time.Timer
}

func (s *streamState) end(err error) {
	select {
	case s.ch <- err:
	default:
	}
}

func (s *streamState) begin(done func(error), timer *time.Timer) {
	s.timer = timer
	go func() {
		err := <-s.ch
		timer.Stop()
		done(err)
	}()
}

// withDefaults returns fn, or a copy with Lambda's defaults filled in
// (timeout 3 s, 128 MB, $LATEST).
func withDefaults(fn *Function) *Function {
	if fn.Timeout > 0 && fn.MemoryMB > 0 && fn.Version != "" {
		return fn
	}
	c := *fn
	if c.Timeout <= 0 {
		c.Timeout = 3 * time.Second
	}
	if c.MemoryMB <= 0 {
		c.MemoryMB = 128
	}
	if c.Version == "" {
		c.Version = "$LATEST"
	}
	return &c
}
