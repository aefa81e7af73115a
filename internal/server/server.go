// Package server is fnurl's single HTTP front door. One listener serves
// every API; a request is routed by the service named in its SigV4
// credential scope ("sts", "iam", "lambda"), and, when it carries no usable
// signature, by what identifies the service on AWS: the endpoint host name,
// the REST path of the Lambda API or the Action of a query-protocol request.
//
// Every response carries an x-amzn-RequestId header; every request is read
// under a body-size limit and a read deadline, authenticated before it
// reaches a service, and logged in one access-log line.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/auditapi"
	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/authz"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/furl"
	"github.com/fnurl/fnurl/internal/http1"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iamapi"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/lambdaapi"
	"github.com/fnurl/fnurl/internal/metrics"
	"github.com/fnurl/fnurl/internal/rawconn"
	"github.com/fnurl/fnurl/internal/sigv4"
	"github.com/fnurl/fnurl/internal/sts"
	"github.com/fnurl/fnurl/internal/stsapi"
)

// Service names, as they appear in SigV4 credential scopes.
const (
	ServiceSTS    = "sts"
	ServiceIAM    = "iam"
	ServiceLambda = "lambda"
	ServiceFnurl  = "fnurl" // fnurl's own operator APIs (the audit trail)
)

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// Region is the region this server answers for (default us-east-1).
	// IAM and STS also accept us-east-1, the region AWS signs them for.
	Region string
	// MaxQueryBody limits IAM and STS request bodies (default 1 MiB).
	MaxQueryBody int64
	// MaxLambdaBody limits Lambda API request bodies (default 70 MiB: a
	// 50 MB zip, base64-encoded in JSON).
	MaxLambdaBody int64
	// BodyReadTimeout bounds reading one request body (default 60 s).
	BodyReadTimeout time.Duration
	// HeaderReadTimeout bounds reading a request's headers (default 10 s),
	// against clients that send them slowly to hold connections open.
	HeaderReadTimeout time.Duration
	// QuerySkew and LambdaSkew are the accepted clock skews of signed
	// requests (defaults 15 min for IAM/STS, 5 min for Lambda).
	QuerySkew, LambdaSkew time.Duration
	// Endpoint is the server's base URL (http://127.0.0.1:8686), used for
	// path-style function URLs.
	Endpoint string
	// URLAuthModel is the permission model of function URLs: "legacy"
	// (lambda:InvokeFunctionUrl suffices; the default) or "2025" (also
	// lambda:InvokeFunction via the URL).
	URLAuthModel string
	// Invoker runs functions; nil means this server cannot run them.
	Invoker lambda.Invoker
	// FunctionLogs returns a function's captured log lines; nil when this
	// server runs no functions. Account names log groups in ARNs.
	FunctionLogs func(function string, since time.Time) []auditapi.LogLine
	Account      string
	// DevDenyReasons adds the reason of a function URL refusal to the 403
	// response. For development only.
	DevDenyReasons bool
	// Metrics receives the server's metrics; nil means a private registry.
	// MetricsOpen serves them at /metrics without authentication.
	Metrics     *metrics.Registry
	MetricsOpen bool
	// Audit receives one event per request; nil records none. AuditStore
	// is where it writes, for reading the trail back.
	Audit      *audit.Log
	AuditStore audit.Store
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives the access log and errors; nil means slog.Default().
	Logger *slog.Logger
	// Console, when set, serves the web console under /console/. It is
	// reached before any SigV4 handling: the console authenticates its own
	// sessions and signs the API calls it makes on a user's behalf.
	Console http.Handler
	// ThrottleReportInterval is how often Serve records a summary of the
	// authentication failures it throttled (default 10 s): those are not
	// recorded or logged one by one.
	ThrottleReportInterval time.Duration
	// NetHTTP makes Serve answer every request with net/http's server
	// alone. By default plain-TCP HTTP/1.1 requests are served by
	// internal/http1, which hands the others to net/http.
	NetHTTP bool
}

func (c *Config) setDefaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.MaxQueryBody == 0 {
		c.MaxQueryBody = 1 << 20
	}
	if c.MaxLambdaBody == 0 {
		c.MaxLambdaBody = 70 << 20
	}
	if c.BodyReadTimeout == 0 {
		c.BodyReadTimeout = 60 * time.Second
	}
	if c.HeaderReadTimeout == 0 {
		c.HeaderReadTimeout = 10 * time.Second
	}
	if c.QuerySkew == 0 {
		c.QuerySkew = 15 * time.Minute
	}
	if c.LambdaSkew == 0 {
		c.LambdaSkew = 5 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ThrottleReportInterval == 0 {
		c.ThrottleReportInterval = 10 * time.Second
	}
}

// Server is the http.Handler for every fnurl API.
type Server struct {
	cfg      Config
	m        serverMetrics
	front    atomic.Pointer[http1.Server] // while Serve serves with it
	log      *slog.Logger
	auth     map[string]*authn.Authenticator
	services map[string]http.Handler
	urls     *furl.Handler
	ids      *iam.Service
	limiter  *failureLimiter

	inFlight, peak atomic.Int64 // requests being served; the most since TakePeak
}

// TakePeak returns the most requests served at once since the previous
// call, and starts a new period.
func (s *Server) TakePeak() int64 {
	return s.peak.Swap(s.inFlight.Load())
}

// New returns a server over the IAM, STS and Lambda domain services.
func New(cfg Config, ids *iam.Service, tokens *sts.Service, fns *lambda.Service) *Server {
	cfg.setDefaults()
	// A request with a session token is signed with temporary credentials
	// from STS; one without, with a long-term key from IAM.
	lookup := func(ctx context.Context, id, token string) (string, *iam.Principal, error) {
		if token != "" {
			return tokens.Resolve(ctx, id, token)
		}
		if strings.HasPrefix(id, iam.PrefixTemporaryKey) {
			return "", nil, errInvalidToken
		}
		return ids.Credential(ctx, id)
	}
	// Credentials from GetSessionToken cannot call IAM unless MFA was
	// used; AWS answers as if the token were invalid.
	iamLookup := func(ctx context.Context, id, token string) (string, *iam.Principal, error) {
		secret, p, err := lookup(ctx, id, token)
		if err == nil && p.SessionSource == string(sts.SourceSessionToken) && !p.MFA {
			return "", nil, errInvalidToken
		}
		return secret, p, err
	}
	globalRegions := []string{cfg.Region}
	if cfg.Region != "us-east-1" {
		globalRegions = append(globalRegions, "us-east-1")
	}
	az := authz.New(ids, cfg.Now)
	queryVerifier := &sigv4.Verifier{Now: cfg.Now, MaxSkew: cfg.QuerySkew}
	lambdaVerifier := &sigv4.Verifier{Now: cfg.Now, MaxSkew: cfg.LambdaSkew}
	s := &Server{
		limiter: newFailureLimiter(cfg.Now),
		ids:     ids,
		cfg:     cfg,
		log:     cfg.Logger,
		auth: map[string]*authn.Authenticator{
			ServiceSTS:    {Service: ServiceSTS, Regions: globalRegions, Verifier: queryVerifier, Lookup: lookup},
			ServiceIAM:    {Service: ServiceIAM, Regions: globalRegions, Verifier: queryVerifier, Lookup: iamLookup},
			ServiceLambda: {Service: ServiceLambda, Regions: []string{cfg.Region}, Verifier: lambdaVerifier, Lookup: lookup},
			ServiceFnurl:  {Service: ServiceFnurl, Regions: globalRegions, Verifier: queryVerifier, Lookup: lookup},
		},
		services: map[string]http.Handler{
			ServiceSTS:    stsapi.NewHandler(tokens, ids, az),
			ServiceIAM:    iamapi.NewHandler(ids, az),
			ServiceLambda: lambdaHandler(fns, az, cfg),
			ServiceFnurl:  auditHandler(az, cfg),
		},
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewRegistry()
		s.cfg.Metrics = cfg.Metrics
	}
	s.m = newServerMetrics(cfg.Metrics)
	cfg.Metrics.NewCounterFunc("fnurl_http1_requests_total", "Requests read and answered by fnurl's HTTP/1.1 front (the others are net/http's).", func() map[string]float64 {
		var st http1.Stats
		if f := s.front.Load(); f != nil {
			st = f.Stats()
		}
		return map[string]float64{"": float64(st.Requests)}
	})
	cfg.Metrics.NewCounterFunc("fnurl_http1_handoffs_total", "Connections the HTTP/1.1 front handed to net/http, by reason: tls, long-head (a request head over 8 KB), request (a request it does not take: HEAD, HTTP/1.0, a chunked body, Expect, an upgrade, anything malformed).", func() map[string]float64 {
		m := map[string]float64{"tls": 0, "long-head": 0, "request": 0}
		if f := s.front.Load(); f != nil {
			for k, v := range f.Stats().HandedOver {
				m[k] = float64(v)
			}
		}
		return m
	}, "reason")
	s.urls = &furl.Handler{Functions: fns, Authenticate: s.auth[ServiceLambda].Authenticate, Authz: az,
		Invoker: cfg.Invoker, Model: cfg.URLAuthModel, Logger: cfg.Logger, Now: cfg.Now, Throttle: s.limiter.fail,
		DenyReasons: cfg.DevDenyReasons}
	return s
}

var errInvalidToken = awserr.New(awserr.CodeInvalidClientTokenID, http.StatusForbidden, "The security token included in the request is invalid")

// writeError writes err in the protocol of service.
func writeError(w http.ResponseWriter, r *http.Request, service string, err error) *awserr.Error {
	switch service {
	case ServiceLambda, ServiceFnurl:
		return awsproto.WriteJSONError(w, r, err)
	case ServiceIAM:
		return awsproto.WriteQueryError(w, r, awsproto.NamespaceIAM, err)
	default:
		return awsproto.WriteQueryError(w, r, awsproto.NamespaceSTS, err)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	began := time.Now() // monotonic, for the invocation overhead metric
	start := s.cfg.Now()
	id := awsproto.NewRequestID()
	w.Header()[canonicalRequestID] = []string{id} // Set, without canonicalising the name on every request
	ctx := awsproto.WithRequestID(r.Context(), id)
	ctx, entry := audit.NewContext(ctx)
	entry.Update(func(ev *audit.Event) {
		ev.Time, ev.RequestID, ev.SourceIP, ev.UserAgent = start.UTC(), id, remoteIP(r), r.UserAgent()
	})
	r = r.WithContext(ctx)
	rec := &recorder{ResponseWriter: w}
	info := &requestInfo{}

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(ctx, "panic serving request", "request_id", id, "panic", v, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, r, info.service, errors.New("panic"))
			}
		}
		// A response written in full goes to the client now rather than
		// when ServeHTTP returns, so that the access log, the audit event
		// and the metrics below are not part of its latency.
		s.m.observeOverhead(began, rec.flushComplete(r), rec)
		if !entry.Suppressed() {
			s.accessLog(r, rec, info, entry, start)
		}
		s.recordAudit(entry, rec, info, start)
	}()
	s.serve(rec, r, info)
}

var canonicalRequestID = http.CanonicalHeaderKey(awsproto.HeaderRequestID)

// requestInfo collects what the access log reports.
type requestInfo struct {
	service   string
	principal *iam.Principal
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, info *requestInfo) {
	if r.URL.Path == "/metrics" && r.Method == http.MethodGet && s.cfg.MetricsOpen {
		info.service = "metrics"
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.cfg.Metrics.WriteText(w)
		return
	}
	if s.cfg.Console != nil && (r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/")) {
		info.service = "console"
		s.cfg.Console.ServeHTTP(w, r)
		return
	}
	if id, path, ok := functionURL(r); ok {
		info.service = "lambda-url"
		s.serveURL(w, r, id, path)
		return
	}
	a, parseErr := sigv4.Parse(r)
	if parseErr == nil {
		info.service = a.Service
	} else {
		info.service = guessService(r)
	}
	limit := s.cfg.MaxQueryBody
	if info.service == ServiceLambda {
		limit = s.cfg.MaxLambdaBody
	}
	body, err := s.readBody(w, r, limit)
	if err != nil {
		s.fail(w, r, info.service, err)
		return
	}
	if parseErr != nil {
		audit.FromContext(r.Context()).Update(func(ev *audit.Event) {
			ev.Decision, ev.Reason = audit.AuthFailed, awserr.As(authn.FromSigV4(parseErr)).Message
		})
		if info.service != ServiceLambda && r.Method == http.MethodPost && r.URL.Query().Get("Action") == "" {
			// An unsigned query-protocol POST names its action in the body.
			if v, err := url.ParseQuery(string(body)); err == nil {
				info.service = serviceOfAction(v.Get("Action"))
			}
		}
		s.fail(w, r, info.service, authn.FromSigV4(parseErr))
		return
	}
	au, ok := s.auth[a.Service]
	if !ok {
		// A scope naming a service fnurl does not serve: answer in the
		// protocol the request looks like, with AWS's scope message.
		info.service = guessService(r)
		s.fail(w, r, info.service, authn.FromSigV4(a.CheckScope("", info.service)))
		return
	}
	p, err := au.Authenticate(r.Context(), r, a, sigv4.PayloadHash(body))
	if err != nil {
		if s.limiter.fail("ip:"+remoteIP(r), "key:"+a.AccessKeyID) {
			err = errThrottled
			audit.FromContext(r.Context()).Suppress()
		}
		e := awserr.As(err)
		audit.FromContext(r.Context()).Update(func(ev *audit.Event) {
			ev.Decision, ev.Reason, ev.AccessKeyID = audit.AuthFailed, e.Code+": "+e.Message, a.AccessKeyID
		})
		s.fail(w, r, info.service, err)
		return
	}
	info.principal = p
	if !p.Temporary {
		if err := s.ids.RecordKeyUse(r.Context(), p.AccessKeyID, a.Service, a.Region); err != nil {
			s.log.WarnContext(r.Context(), "recording access key use", "err", err)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	ctx := authn.NewContext(r.Context(), p)
	ctx = authz.WithRequestInfo(ctx, &authz.RequestInfo{SourceIP: remoteIP(r), SecureTransport: r.TLS != nil,
		UserAgent: r.UserAgent(), Region: a.Region})
	r = r.WithContext(ctx)
	s.services[a.Service].ServeHTTP(w, r)
}

func auditHandler(az *authz.Authorizer, cfg Config) http.Handler {
	h := &auditapi.Handler{Log: cfg.Audit, Logs: cfg.FunctionLogs,
		Authorize: func(r *http.Request, p *iam.Principal, action, resource string) error {
			return az.Authorize(r.Context(), p, action, resource)
		},
		LogGroupARN: func(fn string) string {
			return "arn:aws:logs:" + cfg.Region + ":" + cfg.Account + ":log-group:/aws/lambda/" + fn + ":*"
		},
	}
	if cfg.Audit != nil {
		h.Store = cfg.AuditStore
	}
	return h
}

func lambdaHandler(fns *lambda.Service, az *authz.Authorizer, cfg Config) http.Handler {
	h := lambdaapi.NewHandler(fns, az, func(id string) string {
		return strings.TrimSuffix(cfg.Endpoint, "/") + "/lambda-url/" + id + "/"
	})
	h.Invoker = cfg.Invoker
	return h
}

// remoteIP is the address of the TCP peer: fnurl does not trust
// X-Forwarded-For, since anyone can send it.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// functionURL recognises a function URL request: host-style
// (<url-id>.lambda-url.<region>.<domain>) or path-style
// (/lambda-url/<url-id>/<path>). path is what the function sees, with its
// percent-encoding as sent.
func functionURL(r *http.Request) (id, path string, ok bool) {
	raw := r.RequestURI
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	if raw == "" || raw[0] != '/' {
		raw = r.URL.EscapedPath()
	}
	host := strings.ToLower(r.Host)
	if label, rest, found := strings.Cut(host, "."); found && strings.HasPrefix(rest, "lambda-url.") && isURLID(label) {
		if raw == "" {
			raw = "/"
		}
		return label, raw, true
	}
	const prefix = "/lambda-url/"
	if !strings.HasPrefix(raw, prefix) {
		return "", "", false
	}
	rest := raw[len(prefix):]
	id, tail, _ := strings.Cut(rest, "/")
	if !isURLID(id) {
		return id, "/", true // unknown URL: answered as AWS answers an unknown url-id
	}
	return id, "/" + tail, true
}

func isURLID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// serveURL reads the body under the function URL limit and hands the
// request to the data plane.
func (s *Server) serveURL(w http.ResponseWriter, r *http.Request, id, path string) {
	body, err := s.readBody(w, r, furl.MaxRequestBody)
	if err != nil {
		if awserr.CodeOf(err) == awserr.CodeRequestEntityTooLarge {
			b := `{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("x-amzn-ErrorType", "RequestEntityTooLargeException")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			io.WriteString(w, b)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ctx := authz.WithRequestInfo(r.Context(), &authz.RequestInfo{SourceIP: remoteIP(r), SecureTransport: r.TLS != nil,
		UserAgent: r.UserAgent(), Region: s.cfg.Region})
	s.urls.Serve(ctx, w, r, id, path, body)
}

// fail writes err (which names its code in the request's audit event).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, service string, err error) {
	e := writeError(w, r, service, err)
	if e.Internal() {
		awsproto.LogInternal(r.Context(), e)
	}
}

// errThrottled answers authentication failures from a source or for a key
// that failed too often.
var errThrottled = awserr.New(awserr.CodeThrottling, http.StatusTooManyRequests, "Rate exceeded")

var errBodyTooLarge = awserr.New(awserr.CodeRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "Request entity too large")

// readBody reads the whole request body under limit and the body read
// deadline.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil // no body to wait for (net/http's GET without Content-Length)
	}
	if r.ContentLength > limit {
		// The body will not be read: close the connection after the answer
		// instead of draining the body into nothing.
		w.Header().Set("Connection", "close")
		return nil, errBodyTooLarge
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)) // the network's clock, not cfg.Now
	n := r.ContentLength
	if n < 0 || n > 64<<10 {
		n = 64 << 10
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+1))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(buf.Len()) > limit {
		// Leave the deadline in place and close the connection: a client
		// too slow to send its body must not keep the connection open
		// while the server drains the rest of it.
		w.Header().Set("Connection", "close")
		if err != nil {
			return nil, awserr.New("IncompleteBody", http.StatusBadRequest, "The request body could not be read.").Wrap(err)
		}
		return nil, errBodyTooLarge
	}
	_ = rc.SetReadDeadline(time.Time{})
	return buf.Bytes(), nil
}

// guessService names the service an unsigned or malformed request was meant
// for, the way AWS endpoints are told apart.
func guessService(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, _, _ := strings.Cut(strings.ToLower(host), ".")
	switch label {
	case ServiceIAM, ServiceSTS, ServiceLambda:
		return label
	}
	if isLambdaPath(r.URL.Path) {
		return ServiceLambda
	}
	if strings.HasPrefix(r.URL.Path, "/_fnurl/") {
		return ServiceFnurl
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return serviceOfAction(a)
	}
	return ServiceSTS
}

// isLambdaPath reports whether p starts with a dated Lambda REST prefix such
// as /2015-03-31/.
func isLambdaPath(p string) bool {
	if len(p) < 12 || p[0] != '/' || p[11] != '/' {
		return false
	}
	for i, c := range p[1:11] {
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var stsActions = map[string]bool{
	"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true, "AssumeRoot": true,
	"DecodeAuthorizationMessage": true, "GetAccessKeyInfo": true, "GetCallerIdentity": true,
	"GetFederationToken": true, "GetSessionToken": true,
}

func serviceOfAction(action string) string {
	if action == "" || stsActions[action] {
		return ServiceSTS
	}
	return ServiceIAM
}

// recorder remembers the status written, for the access log, and when
// a warm invocation's event was sent and its answer read, for the
// overhead metric (lambda.OverheadRecorder).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool

	dispatched, answered time.Time
	streamed             bool
}

// RecordInvocation implements lambda.OverheadRecorder.
func (r *recorder) RecordInvocation(dispatched, answered time.Time, streamed bool) {
	r.dispatched, r.answered, r.streamed = dispatched, answered, streamed
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// flushComplete flushes a response whose body has been written in full,
// as its Content-Length says, and returns when it began to (zero when it
// did not). Any other response is left to net/http, which decides between
// Content-Length and chunked encoding when the handler returns; flushing
// it here would force chunked encoding.
func (r *recorder) flushComplete(req *http.Request) time.Time {
	if !r.wrote || req.Method == http.MethodHead {
		return time.Time{}
	}
	cl := r.Header().Get("Content-Length")
	if cl == "" {
		return time.Time{}
	}
	if n, err := strconv.ParseInt(cl, 10, 64); err != nil || n != r.bytes {
		return time.Time{}
	}
	f, ok := r.ResponseWriter.(http.Flusher)
	if !ok {
		return time.Time{}
	}
	t := time.Now()
	f.Flush()
	return t
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one line per request. The query string is left out: a
// presigned request carries its signature and session token there.
func (s *Server) accessLog(r *http.Request, rec *recorder, info *requestInfo, e *audit.Entry, start time.Time) {
	attrs := []slog.Attr{
		slog.String("request_id", awsproto.RequestID(r.Context())),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", s.cfg.Now().Sub(start)),
		slog.String("service", info.service),
		slog.String("remote", r.RemoteAddr),
	}
	if info.principal != nil {
		attrs = append(attrs, slog.String("principal", info.principal.ARN), slog.String("access_key_id", info.principal.AccessKeyID))
	}
	if rec.status >= 400 {
		// Every error response names its code in the request's audit
		// event, whoever wrote it (package awsproto, the function URL data
		// plane).
		if code := e.Event().ErrorCode; code != "" {
			attrs = append(attrs, slog.String("error", code))
		}
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// recordAudit completes the request's audit event, counts it in the
// metrics and hands it to the audit log.
func (s *Server) recordAudit(e *audit.Entry, rec *recorder, info *requestInfo, start time.Time) {
	e.Update(func(ev *audit.Event) {
		ev.Service, ev.Status = info.service, rec.status
		ev.LatencyMS = float64(s.cfg.Now().Sub(start).Microseconds()) / 1000
		if p := info.principal; p != nil {
			ev.PrincipalARN, ev.AccessKeyID, ev.CredentialType = p.ARN, p.AccessKeyID, authn.CredentialType(p)
		} else if ev.CredentialType == "" {
			ev.CredentialType = "anonymous"
		}
		if ev.Decision == "" && rec.status < 400 {
			ev.Decision = audit.Allowed
		}
	})
	ev := e.Event()
	s.m.observe(ev)
	if e.Suppressed() {
		return // summarized by reportThrottled
	}
	if s.cfg.Audit != nil && info.service != "metrics" && info.service != "console" {
		// Console pages are not API calls; the calls the console makes on a
		// user's behalf come back through the server and are recorded.
		s.cfg.Audit.Record(ev)
	}
}

// HTTPServer returns an http.Server for s with fnurl's connection limits:
// a header read timeout against slow clients, an idle timeout and a header
// size limit. There is no whole-request timeout, because invocations may run
// for up to 15 minutes; bodies get their own read deadline.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.HeaderReadTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve serves on ln until ctx is done, then shuts down gracefully: the
// listener closes at once and requests in flight get up to drain to finish.
// TCP connections are read and written with raw system calls (rawconn),
// and, unless Config.NetHTTP, served by internal/http1 in front of
// net/http.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	hs := s.HTTPServer()
	hs.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	var srv interface {
		Serve(net.Listener) error
		Shutdown(context.Context) error
	} = hs
	if !s.cfg.NetHTTP {
		front := &http1.Server{Handler: s, Fallback: hs, HeaderTimeout: hs.ReadHeaderTimeout, IdleTimeout: hs.IdleTimeout, Log: s.log}
		s.front.Store(front)
		srv = front
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(rawconn.Listener{Listener: ln}) }()
	t := time.NewTicker(s.cfg.ThrottleReportInterval)
	defer t.Stop()
	defer s.ReportThrottled()
wait:
	for {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			break wait
		case <-t.C:
			s.ReportThrottled()
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// ReportThrottled records, for each source IP and access key ID whose
// authentication failures were throttled since the last report, one audit
// event and one warning that count them. Serve calls it periodically and
// when it stops.
func (s *Server) ReportThrottled() {
	for _, f := range s.limiter.throttled() {
		kind, value, _ := strings.Cut(f.key, ":")
		ev := audit.Event{Time: f.last.UTC(), RequestID: awsproto.NewRequestID(), Service: "throttle",
			Decision: audit.AuthFailed, ErrorCode: awserr.CodeThrottling, Status: http.StatusTooManyRequests,
			CredentialType: "anonymous",
			Reason: fmt.Sprintf("%d authentication failures were throttled (429) between %s and %s and are counted here instead of recorded one by one: more than %d failures within %s block the source or key for %s",
				f.n, f.first.UTC().Format(time.RFC3339), f.last.UTC().Format(time.RFC3339), maxFailures, failureWindow, failurePenalty)}
		attrs := []any{"count", f.n, "first", f.first.UTC(), "last", f.last.UTC()}
		if kind == "ip" {
			ev.SourceIP = value
			attrs = append(attrs, "source_ip", value)
		} else {
			ev.AccessKeyID = value // a key ID, never a secret
			attrs = append(attrs, "access_key_id", value)
		}
		s.log.Warn("authentication failures throttled", attrs...)
		if s.cfg.Audit != nil {
			s.cfg.Audit.Record(ev)
		}
	}
}
