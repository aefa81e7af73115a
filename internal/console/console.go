// Package console is fnurl's web console: server-rendered pages, under
// /console/, for the steps AWS users take in the AWS console — functions
// and their URLs and resource-based policies, IAM users, access keys,
// policies and roles, a test panel that sends SigV4-signed requests to a
// function URL, and the audit trail.
//
// The console is a client of fnurl's own APIs. A user signs in with an
// access key; the console keeps the key in server memory for the session
// and signs every IAM, STS, Lambda or audit API call it makes on the user's
// behalf, sending it through the same handler as any other client. So every
// action is authorized by the policy engine exactly as the API call would
// be, and lands in the audit trail with the user as principal.
//
// Sessions live in memory (a restart signs everyone out) behind an HttpOnly,
// SameSite=Strict cookie; every form carries a per-session CSRF token and
// cross-origin POSTs are refused.
package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/sigv4"
)

//go:embed templates/*.html static/*
var files embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join,
}).ParseFS(files, "templates/*.html"))

const cookieName = "fnurl_console"

// Config configures a Handler.
type Config struct {
	// API serves fnurl's APIs; the console sends its signed calls there.
	API http.Handler
	// Region is the region API calls are signed for (default us-east-1).
	Region string
	// Lifetime is how long a session lasts after sign-in (default 1 h).
	Lifetime time.Duration
	// Secure marks the session cookie Secure (the console is served over TLS).
	Secure bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives errors; nil means slog.Default().
	Logger *slog.Logger
	// HTTPClient sends the test panel's requests; nil means a client with a
	// 30-second timeout.
	HTTPClient *http.Client
}

// Handler serves the console.
type Handler struct {
	cfg     Config
	mux     *http.ServeMux
	guarded http.Handler

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one signed-in user.
type session struct {
	creds   sigv4.Credentials
	arn     string
	csrf    string
	expires time.Time
}

// New returns a console handler. cfg.API may be set later with SetAPI,
// before the first request.
func New(cfg Config) *Handler {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), sessions: map[string]*session{}}
	h.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden: cross-origin request refused", http.StatusForbidden)
	}))
	h.guarded = cop.Handler(h.mux)
	return h
}

// SetAPI sets the handler the console sends its API calls to.
func (h *Handler) SetAPI(api http.Handler) { h.cfg.API = api }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.guarded.ServeHTTP(w, r)
}

func (h *Handler) routes() {
	h.mux.Handle("GET /console/static/", http.StripPrefix("/console/", http.FileServerFS(files)))
	h.mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/console/", http.StatusSeeOther) })
	h.mux.HandleFunc("GET /console/{$}", h.page(h.home))
	h.mux.HandleFunc("POST /console/signin", h.signIn)
	h.mux.HandleFunc("POST /console/signout", h.action(h.signOut))

	h.mux.HandleFunc("GET /console/functions", h.page(h.functions))
	h.mux.HandleFunc("POST /console/functions", h.action(h.createFunction))
	h.mux.HandleFunc("GET /console/functions/{name}", h.page(h.function))
	h.mux.HandleFunc("POST /console/functions/{name}/url", h.action(h.putURL))
	h.mux.HandleFunc("POST /console/functions/{name}/url/delete", h.action(h.deleteURL))
	h.mux.HandleFunc("POST /console/functions/{name}/permissions", h.action(h.addPermission))
	h.mux.HandleFunc("POST /console/functions/{name}/permissions/delete", h.action(h.removePermission))
	h.mux.HandleFunc("POST /console/functions/{name}/delete", h.action(h.deleteFunction))

	h.mux.HandleFunc("GET /console/users", h.page(h.users))
	h.mux.HandleFunc("POST /console/users", h.action(h.createUser))
	h.mux.HandleFunc("GET /console/users/{name}", h.page(h.user))
	h.mux.HandleFunc("POST /console/users/{name}/keys", h.keyAction)
	h.mux.HandleFunc("POST /console/users/{name}/attach", h.action(h.attachPolicy))
	h.mux.HandleFunc("POST /console/users/{name}/detach", h.action(h.detachPolicy))
	h.mux.HandleFunc("POST /console/users/{name}/inline", h.action(h.putInline))
	h.mux.HandleFunc("POST /console/users/{name}/inline/delete", h.action(h.deleteInline))

	h.mux.HandleFunc("GET /console/policies", h.page(h.policies))
	h.mux.HandleFunc("POST /console/policies", h.action(h.createPolicy))
	h.mux.HandleFunc("GET /console/roles", h.page(h.roles))
	h.mux.HandleFunc("POST /console/roles", h.action(h.createRole))

	h.mux.HandleFunc("GET /console/test", h.page(h.testPanel))
	h.mux.HandleFunc("POST /console/test", h.testSend)
	h.mux.HandleFunc("GET /console/activity", h.page(h.activity))
}

// view is what every page template gets.
type view struct {
	Title, Nav string
	User       string // principal ARN
	CSRF       string
	Error      string // the failed action's AWS error, for role=alert
	Notice     string
	Data       any
}

// render writes a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		h.cfg.Logger.Error("console: rendering", "template", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// current returns the request's live session, or nil.
func (h *Handler) current(r *http.Request) *session {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[c.Value]
	if s == nil {
		return nil
	}
	if !h.cfg.Now().Before(s.expires) {
		delete(h.sessions, c.Value)
		return nil
	}
	return s
}

// pageFunc fills a page's view; an error is shown on the page.
type pageFunc func(r *http.Request, s *session, v *view) (template string, err error)

// page serves a GET page to a signed-in user; others go to sign-in.
func (h *Handler) page(f pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.current(r)
		if s == nil {
			h.render(w, http.StatusOK, "signin", &view{Title: "Sign in", Error: r.URL.Query().Get("error")})
			return
		}
		v := &view{User: s.arn, CSRF: s.csrf, Notice: r.URL.Query().Get("notice"), Error: r.URL.Query().Get("error")}
		name, err := f(r, s, v)
		if err != nil {
			v.Error = err.Error()
		}
		h.render(w, http.StatusOK, name, v)
	}
}

// actionFunc performs a POST and says where to go next.
type actionFunc func(r *http.Request, s *session) (redirect string, err error)

// action serves a POST from a signed-in user with a valid CSRF token, and
// redirects (with the error, if any) when it is done.
func (h *Handler) action(f actionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.checkPost(w, r)
		if !ok {
			return
		}
		next, err := f(r, s)
		u, _ := url.Parse(next)
		if u == nil || u.Host != "" || !strings.HasPrefix(u.Path, "/console/") {
			u = &url.URL{Path: "/console/"}
		}
		if err != nil {
			q := u.Query()
			q.Set("error", err.Error())
			u.RawQuery = q.Encode()
		}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
	}
}

// checkPost authenticates a POST: a live session and its CSRF token.
func (h *Handler) checkPost(w http.ResponseWriter, r *http.Request) (*session, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	s := h.current(r)
	if s == nil {
		http.Redirect(w, r, "/console/?error="+url.QueryEscape("Your session has ended. Sign in again."), http.StatusSeeOther)
		return nil, false
	}
	if err := r.ParseMultipartForm(64 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		http.Error(w, "Bad request: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	if tok := r.PostFormValue("csrf"); tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.csrf)) != 1 {
		http.Error(w, "Forbidden: missing or wrong CSRF token", http.StatusForbidden)
		return nil, false
	}
	return s, true
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Handler) home(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "fnurl console", "home"
	return "home", nil
}

// signIn checks the key with sts:GetCallerIdentity and starts a session.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	creds := sigv4.Credentials{AccessKeyID: strings.TrimSpace(r.PostFormValue("access_key_id")),
		SecretAccessKey: strings.TrimSpace(r.PostFormValue("secret_access_key")), SessionToken: strings.TrimSpace(r.PostFormValue("session_token"))}
	fail := func(msg string) {
		h.render(w, http.StatusUnauthorized, "signin", &view{Title: "Sign in", Error: msg})
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		fail("Enter an access key ID and a secret access key.")
		return
	}
	s := &session{creds: creds}
	var out struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if err := h.query(r, s, "sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, &out); err != nil {
		fail(err.Error())
		return
	}
	s.arn, s.csrf, s.expires = out.Arn, randomToken(), h.cfg.Now().Add(h.cfg.Lifetime)
	id := randomToken()
	h.mu.Lock()
	now := h.cfg.Now()
	for k, old := range h.sessions {
		if !now.Before(old.expires) {
			delete(h.sessions, k)
		}
	}
	h.sessions[id] = s
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/console/", HttpOnly: true, Secure: h.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(h.cfg.Lifetime.Seconds())})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (h *Handler) signOut(r *http.Request, s *session) (string, error) {
	c, _ := r.Cookie(cookieName)
	h.mu.Lock()
	delete(h.sessions, c.Value)
	h.mu.Unlock()
	return "/console/", nil
}

// apiError is an AWS error answer, shown as "Code: Message".
type apiError struct{ Code, Message string }

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// recorder is a minimal in-memory http.ResponseWriter for API calls.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Flush() {}

// call sends one API call signed with s's credentials through the API
// handler and returns the answer; an AWS error answer becomes *apiError.
func (h *Handler) call(orig *http.Request, s *session, service, method, path string, body []byte, contentType string) ([]byte, error) {
	if h.cfg.API == nil {
		return nil, errors.New("the console is not connected to the API")
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(orig.Context()), method, "http://"+orig.Host+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.RequestURI = req.URL.RequestURI()
	req.RemoteAddr = orig.RemoteAddr
	req.Header.Set("User-Agent", "fnurl-console")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if err := sigv4.Sign(req, sigv4.PayloadHash(body), s.creds, h.cfg.Region, service, h.cfg.Now()); err != nil {
		return nil, err
	}
	rec := &recorder{header: http.Header{}}
	h.cfg.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status < 300 {
		return rec.body.Bytes(), nil
	}
	e := &apiError{Code: rec.header.Get("X-Amzn-Errortype")}
	if e.Code != "" {
		e.Code, _, _ = strings.Cut(e.Code, ":")
		var m map[string]any
		json.Unmarshal(rec.body.Bytes(), &m)
		for _, k := range []string{"Message", "message"} {
			if msg, ok := m[k].(string); ok {
				e.Message = msg
			}
		}
		return nil, e
	}
	var x struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if xml.Unmarshal(rec.body.Bytes(), &x) == nil && x.Code != "" {
		return nil, &apiError{Code: x.Code, Message: x.Message}
	}
	return nil, &apiError{Code: http.StatusText(rec.status), Message: strings.TrimSpace(rec.body.String())}
}

// query makes an IAM or STS query-protocol call and decodes its XML answer.
func (h *Handler) query(r *http.Request, s *session, service string, params url.Values, out any) error {
	b, err := h.call(r, s, service, "POST", "/", []byte(params.Encode()), "application/x-www-form-urlencoded; charset=utf-8")
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return xml.Unmarshal(b, out)
}

// iam makes an IAM call.
func (h *Handler) iam(r *http.Request, s *session, action string, params url.Values, out any) error {
	if params == nil {
		params = url.Values{}
	}
	params.Set("Action", action)
	params.Set("Version", "2010-05-08")
	return h.query(r, s, "iam", params, out)
}

// lambda makes a Lambda REST call with a JSON body (nil for none) and
// decodes the JSON answer into out (nil to ignore it).
func (h *Handler) lambda(r *http.Request, s *session, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	b, err := h.call(r, s, "lambda", method, path, body, "application/json")
	if err != nil {
		return err
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, out)
}

// notFound reports whether err is a "no such thing" answer.
func notFound(err error) bool {
	var e *apiError
	return errors.As(err, &e) && (e.Code == "ResourceNotFoundException" || e.Code == "NoSuchEntity")
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
