// Package auditapi serves fnurl's operator APIs over HTTP for its own
// tools: the audit trail (GET /_fnurl/audit, for "fnurl audit" and "fnurl
// explain", authorized as fnurl:GetAuditEvents) and function logs (GET
// /_fnurl/logs, for "fnurl logs", authorized as logs:FilterLogEvents on the
// function's log group, as CloudWatch Logs would). Requests are signed with
// SigV4 for the service "fnurl".
package auditapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/iam"
)

// Action is the IAM action that reading the audit trail needs.
const Action = "fnurl:GetAuditEvents"

// LogLine is one captured line of a function's log.
type LogLine struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId,omitempty"`
	Message   string    `json:"message"`
}

// Handler serves the operator APIs.
type Handler struct {
	Store audit.Store
	Log   *audit.Log // flushed before reading, so a caller sees its own requests
	// Authorize checks action on resource for the caller.
	Authorize func(r *http.Request, p *iam.Principal, action, resource string) error
	// Logs returns a function's log lines since a time; nil when this
	// server runs no functions. LogGroupARN names a function's log group.
	Logs        func(function string, since time.Time) []LogLine
	LogGroupARN func(function string) string
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		if e := awsproto.WriteJSONError(w, r, err); e.Internal() {
			awsproto.LogInternal(r.Context(), e)
		}
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/_fnurl/audit" && h.Store != nil:
		return h.audit(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/_fnurl/logs" && h.Logs != nil:
		return h.logs(w, r)
	}
	return awserr.New("UnknownOperationException", http.StatusNotFound, "Unknown operation "+r.Method+" "+r.URL.Path)
}

func (h *Handler) logs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fn := q.Get("function")
	if fn == "" {
		return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "function is required")
	}
	if err := h.Authorize(r, authn.PrincipalFrom(r.Context()), "logs:FilterLogEvents", h.LogGroupARN(fn)); err != nil {
		return err
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "since must be an RFC 3339 time")
		}
		since = t
	}
	lines := h.Logs(fn, since)
	if lines == nil {
		lines = []LogLine{}
	}
	return awsproto.WriteJSON(w, http.StatusOK, map[string]any{"Events": lines})
}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request) error {
	if err := h.Authorize(r, authn.PrincipalFrom(r.Context()), Action, "*"); err != nil {
		return err
	}
	q := r.URL.Query()
	f := audit.Filter{RequestID: q.Get("requestId"), Denied: q.Get("denied") == "true", Principal: q.Get("principal"), Function: q.Get("function")}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "after must be an event ID")
		}
		f.AfterID = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "limit must be between 1 and 1000")
		}
		f.Limit = n
	}
	if h.Log != nil {
		h.Log.Flush()
	}
	evs, err := h.Store.AuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []audit.Event{}
	}
	return awsproto.WriteJSON(w, http.StatusOK, map[string]any{"Events": evs})
}
