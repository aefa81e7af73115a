// Package auditapi serves fnurl's audit trail over HTTP for the operator's
// tools ("fnurl audit", "fnurl explain"): GET /_fnurl/audit, signed with
// SigV4 for the service "fnurl" and authorized as fnurl:GetAuditEvents, so
// only the root user, or an IAM identity a policy allows, can read it.
package auditapi

import (
	"net/http"
	"strconv"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/iam"
)

// Action is the IAM action that reading the audit trail needs.
const Action = "fnurl:GetAuditEvents"

// Handler serves the audit API.
type Handler struct {
	Store     audit.Store
	Log       *audit.Log // flushed before reading, so a caller sees its own requests
	Authorize func(r *http.Request, p *iam.Principal) error
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
	if r.Method != http.MethodGet || r.URL.Path != "/_fnurl/audit" {
		return awserr.New("UnknownOperationException", http.StatusNotFound, "Unknown operation "+r.Method+" "+r.URL.Path)
	}
	if err := h.Authorize(r, authn.PrincipalFrom(r.Context())); err != nil {
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
