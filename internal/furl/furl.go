// Package furl is the function URL data plane: it resolves a URL's
// url-id, authenticates AWS_IAM callers with SigV4, authorizes
// lambda:InvokeFunctionUrl as AWS does, answers CORS preflights, turns the
// HTTP request into the payload format 2.0 event, invokes the function and
// maps its result back to HTTP.
//
// A refused request never starts the function. The response says only
// what AWS says (a bare 403); the reason is logged for the operator.
package furl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/authz"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iampolicy"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/sigv4"
)

// Permission models for AWS_IAM and NONE URLs.
const (
	// ModelLegacy needs lambda:InvokeFunctionUrl only: the model of the
	// seed walkthrough, and AWS's for accounts with the transition
	// exception.
	ModelLegacy = "legacy"
	// Model2025 also needs lambda:InvokeFunction with
	// lambda:InvokedViaFunctionUrl = true, as AWS requires of new function
	// URLs since October 2025.
	Model2025 = "2025"
)

// MaxRequestBody is the largest request body a buffered URL accepts. The
// limit applies to the whole event on AWS; fnurl applies it to the body.
const MaxRequestBody = 6 << 20

// Authenticate verifies a SigV4-signed request for the lambda service and
// returns the caller.
type Authenticate func(ctx context.Context, r *http.Request, a *sigv4.Auth, payloadHash string) (*iam.Principal, error)

// Handler serves function URLs.
type Handler struct {
	Functions    *lambda.Service
	Authenticate Authenticate
	Authz        *authz.Authorizer
	Invoker      lambda.Invoker // nil: functions cannot run on this server
	Model        string         // ModelLegacy (default) or Model2025
	Logger       *slog.Logger
	Now          func() time.Time
	// Throttle, when set, is told of each authentication failure (by
	// source IP and access key ID) and reports whether to answer 429.
	Throttle func(keys ...string) bool
	// DenyReasons adds the reason of a refusal to 403 responses in an
	// X-Fnurl-Deny-Reason header. For development only: it tells callers
	// what the policies require, which AWS never does.
	DenyReasons bool

	noted sync.Map // url-ids whose legacy-model note was logged
}

// lazyLog is a request's logger, made on first use: most requests log
// nothing, and making a logger with attributes costs allocations.
type lazyLog struct {
	base             *slog.Logger
	requestID, urlID string
	l                *slog.Logger
}

func (l *lazyLog) get() *slog.Logger {
	if l.l == nil {
		l.l = l.base.With("request_id", l.requestID, "url_id", l.urlID)
	}
	return l.l
}

// HeaderDenyReason carries the reason of a refusal when DenyReasons is on.
const HeaderDenyReason = "X-Fnurl-Deny-Reason"

// forbid writes a 403 with body, and the reason when DenyReasons is on.
func (h *Handler) forbid(ctx context.Context, w http.ResponseWriter, body string) {
	if h.DenyReasons {
		if e := audit.FromContext(ctx); e != nil {
			reason := strings.NewReplacer("\r", " ", "\n", " ").Replace(e.Event().Reason)
			if len(reason) > 2048 {
				reason = reason[:2048]
			}
			if reason != "" {
				w.Header().Set(HeaderDenyReason, reason)
			}
		}
	}
	writeRaw(ctx, w, http.StatusForbidden, "AccessDeniedException", body)
}

// Forbidden bodies, exactly as AWS sends them.
const (
	bodyNoSuchURL = `{"Message":null}`
	bodyForbidden = `{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}`
)

// writeRaw writes a response of fnurl's own (not the function's) with its
// x-amzn-ErrorType, errType, when it is an error.
func writeRaw(ctx context.Context, w http.ResponseWriter, status int, errType, body string) {
	if errType != "" {
		// The request's audit event, access log line and metrics name the
		// error as the response does, unless authentication named it first.
		audit.FromContext(ctx).Update(func(ev *audit.Event) {
			if ev.ErrorCode == "" {
				ev.ErrorCode = errType
			}
		})
	}
	// The names are written in canonical form, as Set would make them,
	// which costs more than the rest of an error response.
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	if errType != "" {
		h["X-Amzn-Errortype"] = []string{errType}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// Serve answers one request for the URL with the given url-id. ctx is the
// request's context (in place of r's, which saves the server a copy of r).
// path is the path the function sees (for path-style URLs, without the
// /lambda-url/<id> prefix), still percent-encoded. body is the request
// body, already read under MaxRequestBody.
func (h *Handler) Serve(ctx context.Context, w http.ResponseWriter, r *http.Request, urlID, path string, body []byte) {
	log := &lazyLog{base: h.Logger, requestID: awsproto.RequestID(ctx), urlID: urlID}
	entry := audit.FromContext(ctx)
	entry.Update(func(ev *audit.Event) { ev.Action, ev.Resource = "lambda:InvokeFunctionUrl", "url/"+urlID })
	cfg, err := h.Functions.URLByID(ctx, urlID)
	if err != nil {
		if !errors.Is(err, lambda.ErrNotFound) {
			log.get().ErrorContext(ctx, "function URL lookup", "err", err)
		}
		entry.Update(func(ev *audit.Event) {
			ev.Decision, ev.Reason = audit.NotFound, "no function URL has the url-id "+urlID
		})
		writeRaw(ctx, w, http.StatusForbidden, "AccessDeniedException", bodyNoSuchURL)
		return
	}
	// An alias URL runs the version its alias points at.
	fn, err := h.Functions.Resolve(ctx, cfg.FunctionName, cfg.Qualifier)
	if err != nil {
		writeRaw(ctx, w, http.StatusForbidden, "AccessDeniedException", bodyForbidden)
		return
	}
	if isPreflight(r) && cfg.Cors != nil {
		preflight(w, r, cfg.Cors)
		return
	}

	var p *iam.Principal
	if cfg.AuthType == lambda.AuthAWSIAM {
		a, err := sigv4.Parse(r)
		if err == nil {
			p, err = h.Authenticate(ctx, r, a, sigv4.PayloadHash(body))
		} else {
			err = authn.FromSigV4(err)
		}
		if err != nil {
			e := awserr.As(err)
			if h.Throttle != nil && e.Code != awserr.CodeMissingAuthenticationToken {
				keys := []string{"ip:" + clientIP(r)}
				if a != nil && a.AccessKeyID != "" {
					keys = append(keys, "key:"+a.AccessKeyID)
				}
				if h.Throttle(keys...) {
					// Throttled failures are counted and summarized by the
					// server, not logged and recorded one by one.
					entry.Suppress()
					writeRaw(ctx, w, http.StatusTooManyRequests, "ThrottlingException", `{"message":"Rate exceeded"}`)
					return
				}
			}
			log.get().InfoContext(ctx, "function URL request not authenticated", "code", e.Code, "reason", e.Message)
			entry.Update(func(ev *audit.Event) {
				ev.Decision, ev.Reason, ev.ErrorCode = audit.AuthFailed, e.Message, e.Code
				ev.Resource = h.Functions.ARN(fn.Name)
				if a != nil {
					ev.AccessKeyID = a.AccessKeyID // what was tried: a key ID, never a secret
				}
			})
			switch e.Code {
			case awserr.CodeMissingAuthenticationToken:
				h.forbid(ctx, w, bodyForbidden)
			default:
				if e.Internal() {
					awsproto.LogInternal(ctx, e)
				}
				b, _ := json.Marshal(map[string]string{"message": e.Message})
				writeRaw(ctx, w, e.HTTPStatus(), awsproto.JSONCode(e.Code), string(b))
			}
			return
		}
	}
	entry.Update(func(ev *audit.Event) {
		ev.CredentialType = authn.CredentialType(p)
		if p != nil {
			ev.PrincipalARN, ev.AccessKeyID = p.ARN, p.AccessKeyID
		}
	})
	if err := h.authorize(ctx, log, p, fn, cfg); err != nil {
		if !errors.Is(err, errDenied) {
			awsproto.LogInternal(ctx, awserr.As(err))
			writeRaw(ctx, w, http.StatusInternalServerError, "ServiceException", `{"Message":"Internal Server Error"}`)
			return
		}
		h.forbid(ctx, w, bodyForbidden)
		return
	}
	if fn.ReservedConcurrency != nil && *fn.ReservedConcurrency == 0 {
		// Reserved concurrency 0 deactivates the URL.
		writeRaw(ctx, w, http.StatusTooManyRequests, "TooManyRequestsException", `{"Message":"Rate Exceeded."}`)
		return
	}
	h.invoke(ctx, w, r, log, fn, cfg, p, path, urlID, body)
}

var errDenied = errors.New("denied")

// authorize decides lambda:InvokeFunctionUrl (and, under the 2025 model,
// lambda:InvokeFunction via the URL) for p, logging the reason of a denial.
func (h *Handler) authorize(ctx context.Context, log *lazyLog, p *iam.Principal, fn *lambda.Function, cfg *lambda.URLConfig) error {
	resource := h.Functions.ARN(cfg.FunctionName)
	if cfg.Qualifier != "" {
		resource += ":" + cfg.Qualifier
	}
	var rp *iampolicy.NamedPolicy
	doc, err := h.Functions.ResourcePolicy(ctx, fn.Name, cfg.Qualifier)
	if err != nil {
		return err
	}
	if rp, err = h.Authz.NamedPolicy("function policy", "function "+fn.Name, doc); err != nil {
		return err
	}
	urlQuery := authz.Query{Action: "lambda:InvokeFunctionUrl", Resource: resource, ResourcePolicy: rp,
		Extra: func(c *iampolicy.Context) { c.Set("lambda:FunctionUrlAuthType", cfg.AuthType) }}
	invokeQuery := authz.Query{Action: "lambda:InvokeFunction", Resource: resource, ResourcePolicy: rp,
		Extra: func(c *iampolicy.Context) { c.Set("lambda:InvokedViaFunctionUrl", "true") }, Advisory: h.Model != Model2025}
	caller := "anonymous"
	if p != nil {
		caller = p.ARN
	}
	// Both decisions (and the explanation of a denial) use one reading of
	// the caller's policies.
	subj, err := h.Authz.Subject(ctx, p)
	if err != nil {
		return err
	}
	d, err := subj.Decide(ctx, urlQuery)
	if err != nil {
		return err
	}
	if !d.Allowed() {
		h.logDenied(ctx, log, subj, urlQuery, caller)
		return errDenied
	}
	d2, err := subj.Decide(ctx, invokeQuery)
	if err != nil {
		return err
	}
	if !d2.Allowed() {
		if h.Model == Model2025 {
			h.logDenied(ctx, log, subj, invokeQuery, caller)
			return errDenied
		}
		note := "allowed under the legacy permission model; AWS's 2025 model would deny it: no policy allows lambda:InvokeFunction with lambda:InvokedViaFunctionUrl = true on " + resource
		// Every request's audit event carries the note; the log says it
		// once per URL, not on every request's path.
		if _, seen := h.noted.LoadOrStore(cfg.ID, true); !seen {
			log.get().InfoContext(ctx, "function URL "+note+" (logged once per URL; the audit event of each such request says it)", "principal", caller)
		}
		audit.FromContext(ctx).Update(func(ev *audit.Event) { ev.Reason = note })
	}
	return nil
}

func (h *Handler) logDenied(ctx context.Context, log *lazyLog, subj *authz.Subject, q authz.Query, caller string) {
	d, err := subj.Decide(ctx, q, iampolicy.WithExplanation())
	reason := ""
	if err == nil {
		reason = d.Explain()
	}
	log.get().InfoContext(ctx, "function URL request denied", "principal", caller, "action", q.Action, "resource", q.Resource, "reason", reason)
}

func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

func originAllowed(c *lambda.Cors, origin string) (string, bool) {
	for _, o := range c.AllowOrigins {
		if o == "*" {
			return "*", true
		}
		if strings.EqualFold(o, origin) {
			return origin, true
		}
	}
	return "", false
}

// preflight answers a CORS preflight from the URL's configuration without
// authentication and without invoking the function.
func preflight(w http.ResponseWriter, r *http.Request, c *lambda.Cors) {
	h := w.Header()
	if o, ok := originAllowed(c, r.Header.Get("Origin")); ok {
		h.Set("Access-Control-Allow-Origin", o)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		h.Add("Vary", "Origin")
	}
	w.WriteHeader(http.StatusOK)
}

// corsHeaders sets the configuration's CORS headers on a response; they
// replace any the function set.
func corsHeaders(h http.Header, r *http.Request, c *lambda.Cors) {
	if c == nil {
		return
	}
	o, ok := originAllowed(c, r.Header.Get("Origin"))
	if !ok {
		return
	}
	h.Set("Access-Control-Allow-Origin", o)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Add("Vary", "Origin")
}

func (h *Handler) invoke(ctx context.Context, w http.ResponseWriter, r *http.Request, log *lazyLog, fn *lambda.Function, cfg *lambda.URLConfig,
	p *iam.Principal, path, urlID string, body []byte) {
	id := awsproto.RequestID(ctx) // the invocation ID is the response's x-amzn-RequestId
	req := &Request{Method: r.Method, RawPath: path, RawQuery: r.URL.RawQuery, Header: r.Header, Host: r.Host,
		RemoteAddr: r.RemoteAddr, Body: body, URLID: urlID, RequestID: id, Time: h.Now(), TLS: r.TLS != nil}
	if p != nil {
		req.IAM = &IAMAuthorizer{AccessKey: p.AccessKeyID, AccountID: p.Account, CallerID: p.UserID, UserArn: p.ARN, UserID: p.UserID}
	}
	event, err := BuildEvent(req)
	if err != nil {
		awsproto.LogInternal(ctx, awserr.As(err))
		writeInternal(w)
		return
	}
	if h.Invoker == nil {
		log.get().ErrorContext(ctx, "function URL invoked, but this server runs no functions")
		writeInternal(w)
		return
	}
	res, err := h.Invoker.Invoke(ctx, &lambda.Invocation{Function: fn, RequestID: id, Payload: event,
		Streaming: cfg.InvokeMode == "RESPONSE_STREAM"})
	if err != nil {
		e := awserr.As(err)
		if e.Code == lambda.CodeTooManyRequests {
			writeRaw(ctx, w, http.StatusTooManyRequests, "TooManyRequestsException", `{"Message":"Rate Exceeded."}`)
			return
		}
		if e.Internal() {
			awsproto.LogInternal(ctx, e)
		} else {
			log.get().InfoContext(ctx, "function URL invocation failed", "code", e.Code, "reason", e.Message)
		}
		writeInternal(w)
		return
	}
	lambda.RecordInvocation(w, res)
	if res.Stream != nil {
		defer res.Stream.Close()
	}
	if res.FunctionError != "" {
		log.get().InfoContext(ctx, "function returned an error", "function", fn.Name, "error", string(truncate(res.Payload, 512)))
		writeInternal(w)
		return
	}
	if res.Stream != nil {
		h.stream(w, r, cfg, res.Stream)
		return
	}
	resp, err := MapResponse(res.Payload)
	if err != nil {
		log.get().InfoContext(ctx, "function returned an invalid response", "function", fn.Name)
		writeInternal(w)
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	corsHeaders(w.Header(), r, cfg.Cors)
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
}

// writeInternal is Lambda's answer for a function error, a timeout or an
// invalid response.
func writeInternal(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", "21")
	w.WriteHeader(http.StatusBadGateway)
	io.WriteString(w, "Internal Server Error")
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// streamPreludeMax bounds how much of a stream is searched for the HTTP
// prelude of aws-lambda-go's streaming responses.
const streamPreludeMax = 64 << 10

var preludeSep = make([]byte, 8) // eight NUL bytes end the prelude

// stream copies a streamed result to the client as it arrives. A stream
// that starts with a JSON prelude ({"statusCode":...,"headers":...,
// "cookies":[...]}) followed by eight NUL bytes sets the status and
// headers; otherwise the whole stream is the body, with status 200.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, cfg *lambda.URLConfig, body io.Reader) {
	br := bufio.NewReaderSize(body, 4096)
	status := http.StatusOK
	header := w.Header()
	header.Set("Content-Type", "application/octet-stream")
	if peek, _ := br.Peek(1); len(peek) == 1 && peek[0] == '{' {
		var prelude []byte
		for len(prelude) < streamPreludeMax {
			chunk, err := br.ReadSlice(0)
			prelude = append(prelude, chunk...)
			if i := bytes.Index(prelude, preludeSep); i >= 0 {
				var pl struct {
					StatusCode int               `json:"statusCode"`
					Headers    map[string]string `json:"headers"` // checks the values' types; applied by setPreludeHeaders
					Cookies    []string          `json:"cookies"`
				}
				if json.Unmarshal(prelude[:i], &pl) == nil {
					if pl.StatusCode >= 100 && pl.StatusCode <= 599 {
						status = pl.StatusCode
					}
					// In document order, as for buffered responses, so
					// that the answer does not depend on map order.
					setPreludeHeaders(header, prelude[:i])
					for _, c := range pl.Cookies {
						header.Add("Set-Cookie", c)
					}
					rest := prelude[i+len(preludeSep):]
					corsHeaders(header, r, cfg.Cors)
					w.WriteHeader(status)
					w.Write(rest)
					copyFlush(w, br)
					return
				}
				break
			}
			if err != nil && err != bufio.ErrBufferFull {
				break
			}
		}
		// No prelude: what was read is the start of the body.
		corsHeaders(header, r, cfg.Cors)
		w.WriteHeader(status)
		w.Write(prelude)
		copyFlush(w, br)
		return
	}
	corsHeaders(header, r, cfg.Cors)
	w.WriteHeader(status)
	copyFlush(w, br)
}

// setPreludeHeaders sets the headers of a stream's prelude, a JSON object
// that encoding/json has decoded into a map[string]string, in the order
// they appear: of two names differing only in case the later wins. As when
// decoding into a struct, the member's key matches "headers" in any case
// and the last such member counts.
func setPreludeHeaders(h http.Header, prelude []byte) {
	var raw []byte
	eachMember(prelude, func(k, v []byte) error {
		if strings.EqualFold(string(k), "headers") {
			raw = v
		}
		return nil
	})
	if len(raw) == 0 || raw[0] != '{' {
		return
	}
	eachMember(raw, func(k, v []byte) error {
		var val []byte // null is the empty string
		if v[0] == '"' {
			s, err := unquote(v)
			if err != nil {
				return err
			}
			val = s
		}
		h.Set(string(k), string(val))
		return nil
	})
}

// copyFlush copies src to w, flushing after every read so the client sees
// data as the function produces it.
func copyFlush(w http.ResponseWriter, src io.Reader) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}
