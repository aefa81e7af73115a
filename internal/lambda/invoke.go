package lambda

import (
	"context"
	"io"
	"net/http"

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

// Invoker runs functions. It returns ErrTooManyRequests when the function
// is at its concurrency limit; a function's own failure is a Result with
// FunctionError set, not an error.
type Invoker interface {
	Invoke(ctx context.Context, inv *Invocation) (*Result, error)
}

// ErrTooManyRequests is Lambda's throttling error.
var ErrTooManyRequests = awserr.New(CodeTooManyRequests, http.StatusTooManyRequests, "Rate Exceeded.")
