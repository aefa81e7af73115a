// Package stsapi serves the AWS Security Token Service query API
// (Version 2011-06-15): form parameters in, XML envelopes out.
//
// Requests reach it authenticated; the caller's principal is in the request
// context (authn.PrincipalFrom).
package stsapi

import (
	"io"
	"net/http"
	"net/url"

	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
)

// Version is the STS API version this package speaks.
const Version = "2011-06-15"

// Handler serves STS actions.
type Handler struct{}

// NewHandler returns the STS API handler.
func NewHandler() *Handler { return &Handler{} }

type action func(h *Handler, w http.ResponseWriter, r *http.Request, params url.Values) error

// actions maps each action name to its method.
var actions = map[string]action{
	"GetCallerIdentity": (*Handler).getCallerIdentity,
}

// ServeHTTP dispatches on the Action parameter and writes errors in the
// query protocol's envelope. Internal errors are returned by the writer for
// the server's log through ErrorLogger.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		e := awsproto.WriteQueryError(w, r, awsproto.NamespaceSTS, err)
		if e.Internal() {
			awsproto.LogInternal(r.Context(), e)
		}
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	params, err := awsproto.QueryParams(r, body)
	if err != nil {
		return err
	}
	name := params.Get("Action")
	if name == "" {
		return awserr.New(awserr.CodeMissingAction, http.StatusBadRequest, "Missing Action")
	}
	if v := params.Get("Version"); v != "" && v != Version {
		return awserr.Errorf(awserr.CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", name, v)
	}
	act, ok := actions[name]
	if !ok {
		return awserr.Errorf(awserr.CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", name, Version)
	}
	return act(h, w, r, params)
}

type callerIdentityResult struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

// getCallerIdentity answers for any authenticated caller; AWS requires no
// permission for it and even an explicit deny does not stop it.
func (h *Handler) getCallerIdentity(w http.ResponseWriter, r *http.Request, _ url.Values) error {
	p := authn.PrincipalFrom(r.Context())
	if p == nil {
		return awserr.New(awserr.CodeMissingAuthenticationToken, http.StatusForbidden, "Request is missing Authentication Token")
	}
	return awsproto.WriteQueryResult(w, r, "GetCallerIdentity", awsproto.NamespaceSTS,
		callerIdentityResult{Arn: p.ARN, UserID: p.UserID, Account: p.Account})
}
