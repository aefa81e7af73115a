package lambda

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
)

// Invocation is one synchronous invocation of a function.
type Invocation struct {
	Function      *Function
	RequestID     string // the invocation ID: the x-amzn-RequestId of the answer
	Payload       []byte
	ClientContext string // base64
	LogTail       bool   // return the last 4 KB of the invocation's log
	Streaming     bool   // the caller streams the answer (a RESPONSE_STREAM URL)
}

// Result is what an invocation returned.
type Result struct {
	Payload       []byte        // the buffered result, or the error JSON when FunctionError is set
	FunctionError string        // "" or "Unhandled"
	LogTail       []byte        // when asked for
	Stream        io.ReadCloser // set when the function streamed its response; the caller closes it
}

// Timing is when a warm invocation's event was sent to the function's
// runtime and when the runtime's answer came back, so that a server can
// tell its own share of a request's time from the function's. A server
// that wants it puts one in the request's context (WithTiming); an
// Invoker fills it in when the invocation was answered by an environment
// that was already running (a cold start's time is the environment's).
type Timing struct {
	Dispatched time.Time // the event was about to be written to the runtime
	Answered   time.Time // the answer had been read, or a stream had begun
	Streamed   bool      // the answer is a stream, still flowing after Answered
}

type timingKey struct{}

// WithTiming returns a context carrying t for the Invoker to fill in.
func WithTiming(ctx context.Context, t *Timing) context.Context {
	return context.WithValue(ctx, timingKey{}, t)
}

// TimingFrom returns the Timing carried by ctx, or nil.
func TimingFrom(ctx context.Context) *Timing {
	t, _ := ctx.Value(timingKey{}).(*Timing)
	return t
}

// Invoker runs functions. It returns ErrTooManyRequests when the function
// is at its concurrency limit; a function's own failure is a Result with
// FunctionError set, not an error.
type Invoker interface {
	Invoke(ctx context.Context, inv *Invocation) (*Result, error)
}

// ErrTooManyRequests is Lambda's throttling error.
var ErrTooManyRequests = awserr.New(CodeTooManyRequests, http.StatusTooManyRequests, "Rate Exceeded.")
