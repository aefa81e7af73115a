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
	// Dispatched and Answered are when the event was about to be written
	// to the function's runtime and when the runtime's answer had been
	// read (a stream's: when it began); zero unless an environment that
	// was already running answered (a cold start's time is its own).
	Dispatched, Answered time.Time
}

// An OverheadRecorder is told when an invocation's event was sent to the
// function's runtime and when the runtime's answer came back, so that it
// can tell the server's own share of a request's time from the
// function's. fnurl's server gives handlers a ResponseWriter that is one.
type OverheadRecorder interface {
	RecordInvocation(dispatched, answered time.Time, streamed bool)
}

// RecordInvocation tells w, when it is an OverheadRecorder, when res's
// event was sent and its answer read; nothing for a cold start's result.
func RecordInvocation(w http.ResponseWriter, res *Result) {
	if o, ok := w.(OverheadRecorder); ok && !res.Dispatched.IsZero() {
		o.RecordInvocation(res.Dispatched, res.Answered, res.Stream != nil)
	}
}

// Invoker runs functions. It returns ErrTooManyRequests when the function
// is at its concurrency limit; a function's own failure is a Result with
// FunctionError set, not an error.
type Invoker interface {
	Invoke(ctx context.Context, inv *Invocation) (*Result, error)
}

// ErrTooManyRequests is Lambda's throttling error.
var ErrTooManyRequests = awserr.New(CodeTooManyRequests, http.StatusTooManyRequests, "Rate Exceeded.")
