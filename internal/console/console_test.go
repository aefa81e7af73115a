package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTemplatesRender renders every page with and without data, so a
// template mistake fails here rather than in front of a user.
func TestTemplatesRender(t *testing.T) {
	h := New(Config{})
	for _, name := range []string{"signin", "home", "functions", "function", "users", "user", "newkey", "policies", "roles", "test", "activity"} {
		rec := httptest.NewRecorder()
		h.render(rec, 200, name, &view{Title: "T", User: "arn:aws:iam::111122223333:user/a", CSRF: "tok", Error: "AccessDenied: <no>"})
		body := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "AccessDenied: &lt;no&gt;") {
			t.Errorf("%s: %d\n%s", name, rec.Code, body)
		}
	}
}

// TestSessionsExpire: a session is served until its lifetime ends, then
// forgotten.
func TestSessionsExpire(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := New(Config{Now: func() time.Time { return now }, Lifetime: time.Minute})
	h.sessions["abc"] = &session{arn: "arn", csrf: "tok", expires: now.Add(time.Minute)}
	req := httptest.NewRequest("GET", "/console/", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: "abc"})
	if h.current(req) == nil {
		t.Fatal("live session not found")
	}
	now = now.Add(time.Minute)
	if h.current(req) != nil {
		t.Fatal("expired session still served")
	}
	if _, ok := h.sessions["abc"]; ok {
		t.Error("expired session kept in memory")
	}
}

// TestHeaders: every answer carries a strict CSP and is not cached.
func TestHeaders(t *testing.T) {
	h := New(Config{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/static/console.css", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "font-family") {
		t.Errorf("stylesheet: %d", rec.Code)
	}
}
