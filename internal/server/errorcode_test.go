package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fnurl/fnurl/internal/audit"
)

// TestErrorCodeRecorded checks that a refused request's access log line and
// audit event name the error its response carries in x-amzn-ErrorType,
// whether the function URL data plane or an API wrote it, and that an
// answered request names none.
func TestErrorCodeRecorded(t *testing.T) {
	ctx := context.Background()
	h, store, auditLog, logs := newAuditedServer(t)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	deny := url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`)
	if rec := h.do(h.sign(wire{method: "POST", target: "/", header: form,
		body: "Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=deny&PolicyDocument=" + deny}, h.root, "iam")); rec.Code != http.StatusOK {
		t.Fatalf("PutUserPolicy: %d %s", rec.Code, rec.Body)
	}

	badSig := h.sign(wire{method: "GET", target: h.urlPath, header: http.Header{}}, h.alice, "lambda")
	badSig.target += "?changed"
	tests := []struct {
		name   string
		req    wire
		status int
		header string // x-amzn-ErrorType, "" for none
		code   string // the code recorded, when not header's
	}{
		{"URL, policy denies", h.sign(wire{method: "GET", target: h.urlPath, header: http.Header{}}, h.alice, "lambda"),
			http.StatusForbidden, "AccessDeniedException", ""},
		{"URL, no such url-id", wire{method: "GET", target: "/lambda-url/" + strings.Repeat("q", 32) + "/", header: http.Header{}},
			http.StatusForbidden, "AccessDeniedException", ""},
		{"URL, bad signature", badSig, http.StatusForbidden, "InvalidSignatureException", "SignatureDoesNotMatch"},
		{"Lambda API, no such function", h.sign(wire{method: "GET", target: "/2015-03-31/functions/nope", header: http.Header{}}, h.root, "lambda"),
			http.StatusNotFound, "ResourceNotFoundException", ""},
		{"URL, allowed", h.sign(wire{method: "GET", target: h.urlPath, header: http.Header{}}, h.root, "lambda"), http.StatusOK, "", ""},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		rec := h.do(tt.req)
		if rec.Code != tt.status || rec.Header().Get("X-Amzn-Errortype") != tt.header {
			t.Fatalf("%s: %d %q %s, want %d %q", tt.name, rec.Code, rec.Header().Get("X-Amzn-Errortype"), rec.Body, tt.status, tt.header)
		}
		ids[i] = rec.Header().Get("X-Amzn-Requestid")
		if tests[i].code == "" {
			tests[i].code = tt.header
		}
	}
	auditLog.Flush()
	evs, err := store.AuditEvents(ctx, audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]string{}
	for _, ev := range evs {
		recorded[ev.RequestID] = ev.ErrorCode
	}
	out := logs.String()
	for i, tt := range tests {
		if got, ok := recorded[ids[i]]; !ok || got != tt.code {
			t.Errorf("%s: audit event's error code %q (recorded: %v), want %q", tt.name, got, ok, tt.code)
		}
		line := regexp.MustCompile(`(?m)^.*msg=request request_id=` + ids[i] + ` .*$`).FindString(out)
		switch {
		case line == "":
			t.Errorf("%s: no access log line for %s in\n%s", tt.name, ids[i], out)
		case tt.code == "" && strings.Contains(line, " error="):
			t.Errorf("%s: access log line names an error: %s", tt.name, line)
		case tt.code != "" && !strings.HasSuffix(line, " error="+tt.code):
			t.Errorf("%s: access log line does not end with error=%s: %s", tt.name, tt.code, line)
		}
	}

	// Without an audit trail (--audit off) the access log still names the error.
	quiet := &lockedBuffer{}
	h = newHardeningServer(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(quiet, nil)) })
	rec := h.do(wire{method: "GET", target: "/lambda-url/" + strings.Repeat("q", 32) + "/", header: http.Header{}})
	if !regexp.MustCompile(`(?m)msg=request request_id=` + rec.Header().Get("X-Amzn-Requestid") + ` .* error=AccessDeniedException$`).MatchString(quiet.String()) {
		t.Errorf("without an audit trail, no access log line naming AccessDeniedException in\n%s", quiet.String())
	}
}
