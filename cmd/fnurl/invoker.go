package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/metrics"
	"github.com/fnurl/fnurl/internal/sandbox"
	"github.com/fnurl/fnurl/internal/sts"
)

// invoker runs functions for the Lambda API and function URLs on the
// sandbox: it loads the deployment package, supplies the execution role's
// temporary credentials (minted by fnurl's own STS, so calls a function
// makes back into fnurl are authorized as its role) and maps the sandbox's
// errors to Lambda's.
type invoker struct {
	mgr    *sandbox.Manager
	fns    *lambda.Service
	ids    *iam.Service
	tokens *sts.Service
	region string

	mu    sync.Mutex
	codes map[string][]byte // deployment packages by CodeSha256, a few at most
	names map[string]bool   // functions invoked, for the environments gauge

	invocations *metrics.CounterVec
	duration    *metrics.HistogramVec
}

// registerMetrics adds the invocation metrics to r.
func (i *invoker) registerMetrics(r *metrics.Registry) {
	i.invocations = r.NewCounterVec("fnurl_invocations_total",
		"Invocations by function, start (cold or warm) and outcome (ok, error, throttled).", "function", "start", "outcome")
	i.duration = r.NewHistogramVec("fnurl_invocation_duration_seconds", "Function run time, by function.", metrics.DefaultBuckets, "function")
	r.NewGaugeFunc("fnurl_execution_environments", "Execution environments (busy, idle or starting), by function.", func() map[string]float64 {
		i.mu.Lock()
		names := make([]string, 0, len(i.names))
		for n := range i.names {
			names = append(names, n)
		}
		i.mu.Unlock()
		out := map[string]float64{}
		for _, n := range names {
			out[n] = float64(i.mgr.Environments(n))
		}
		return out
	}, "function")
}

var _ lambda.Invoker = (*invoker)(nil)

const maxCachedPackages = 16

func (i *invoker) code(ctx context.Context, f *lambda.Function) ([]byte, error) {
	i.mu.Lock()
	b, ok := i.codes[f.CodeSha256]
	i.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := i.fns.Code(ctx, f)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	if i.codes == nil || len(i.codes) >= maxCachedPackages {
		i.codes = map[string][]byte{}
	}
	i.codes[f.CodeSha256] = b
	i.mu.Unlock()
	return b, nil
}

// credentials returns a function that issues a session of the function's
// execution role.
func (i *invoker) credentials(f *lambda.Function) func(ctx context.Context) (string, string, string, error) {
	return func(ctx context.Context) (string, string, string, error) {
		name := f.Role[strings.LastIndexByte(f.Role, '/')+1:]
		role, err := i.ids.Role(ctx, name)
		if err != nil {
			return "", "", "", err
		}
		c, err := i.tokens.ServiceRoleSession(ctx, role, f.Name, 12*time.Hour)
		if err != nil {
			return "", "", "", err
		}
		return c.AccessKeyID, c.SecretAccessKey, c.SessionToken, nil
	}
}

// Invoke implements lambda.Invoker.
func (i *invoker) Invoke(ctx context.Context, inv *lambda.Invocation) (*lambda.Result, error) {
	f := inv.Function
	code, err := i.code(ctx, f)
	if err != nil {
		return nil, err
	}
	reserved := 0
	if f.ReservedConcurrency != nil {
		reserved = *f.ReservedConcurrency
		if reserved == 0 {
			reserved = -1
		}
	}
	sf := &sandbox.Function{
		ARN: i.fns.ARN(f.Name), Name: f.Name, Version: f.Version, Runtime: f.Runtime, Handler: f.Handler,
		Code: code, CodeSha256: f.CodeSha256, Revision: f.RevisionID, Timeout: time.Duration(f.Timeout) * time.Second,
		MemoryMB: f.MemorySize, Env: f.Environment, Region: i.region, Credentials: i.credentials(f), ReservedConcurrency: reserved,
	}
	i.mu.Lock()
	if i.names == nil {
		i.names = map[string]bool{}
	}
	i.names[f.Name] = true
	i.mu.Unlock()
	res, err := i.mgr.Invoke(ctx, sf, sandbox.Request{RequestID: inv.RequestID, Payload: inv.Payload,
		ClientContext: inv.ClientContext, LogTail: inv.LogTail, Streaming: inv.Streaming})
	if i.invocations != nil {
		switch {
		case errors.Is(err, sandbox.ErrTooManyRequests):
			i.invocations.Inc(f.Name, "", "throttled")
		case err == nil:
			start, outcome := "warm", "ok"
			if res.InitDuration > 0 {
				start = "cold"
			}
			if res.FunctionError != "" {
				outcome = "error"
			}
			i.invocations.Inc(f.Name, start, outcome)
			i.duration.Observe(res.Duration.Seconds(), f.Name)
		}
	}
	switch {
	case errors.Is(err, sandbox.ErrTooManyRequests):
		return nil, lambda.ErrTooManyRequests
	case errors.Is(err, sandbox.ErrUnknownRuntime), errors.Is(err, sandbox.ErrRuntimeUnavailable):
		return nil, awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, err.Error())
	case errors.Is(err, sandbox.ErrBadPackage):
		return nil, awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest,
			"Could not unzip uploaded file. Please check your file, then try to upload again.").Wrap(err)
	case errors.Is(err, sandbox.ErrClosed):
		return nil, awserr.New("ServiceException", http.StatusServiceUnavailable, "The server is shutting down.").Wrap(err)
	case err != nil:
		return nil, err
	}
	out := &lambda.Result{Payload: res.Payload, FunctionError: res.FunctionError, LogTail: res.LogTail, Stream: res.Stream}
	if res.InitDuration == 0 {
		out.Dispatched, out.Answered = res.Dispatched, res.Answered
	}
	return out, nil
}
