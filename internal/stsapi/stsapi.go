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
	"strconv"

	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/sts"
)

// Version is the STS API version this package speaks.
const Version = "2011-06-15"

// Handler serves STS actions.
type Handler struct {
	sts *sts.Service
}

// NewHandler returns the STS API handler.
func NewHandler(s *sts.Service) *Handler { return &Handler{sts: s} }

type action func(h *Handler, w http.ResponseWriter, r *http.Request, params url.Values) error

// actions maps each action name to its method.
var actions = map[string]action{
	"GetCallerIdentity": (*Handler).getCallerIdentity,
	"GetSessionToken":   (*Handler).getSessionToken,
}

// sessionTokenActions are the only STS actions that credentials from
// GetSessionToken may call (without MFA), as AWS documents.
var sessionTokenActions = map[string]bool{"AssumeRole": true, "GetCallerIdentity": true}

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
	if p := authn.PrincipalFrom(r.Context()); p != nil && p.SessionSource == string(sts.SourceSessionToken) && !p.MFA && !sessionTokenActions[name] {
		if name == "GetSessionToken" {
			return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, "Cannot call GetSessionToken with session credentials")
		}
		return awserr.Errorf(awserr.CodeAccessDenied, http.StatusForbidden,
			"User: %s is not authorized to perform: sts:%s with session credentials obtained without MFA", p.ARN, name)
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

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

func credentialsOf(c *sts.Credentials) credentialsXML {
	return credentialsXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expiration.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// getSessionToken issues temporary credentials for the long-term caller.
// It needs no permission, as on AWS.
func (h *Handler) getSessionToken(w http.ResponseWriter, r *http.Request, params url.Values) error {
	p := authn.PrincipalFrom(r.Context())
	seconds, given := 0, false
	if s := params.Get("DurationSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
				"1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be an integer", s)
		}
		seconds, given = n, true
	}
	if params.Get("SerialNumber") != "" || params.Get("TokenCode") != "" {
		return awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, "MultiFactorAuthentication failed: fnurl has no MFA devices.")
	}
	c, err := h.sts.GetSessionToken(r.Context(), p, seconds, given)
	if err != nil {
		return err
	}
	return awsproto.WriteQueryResult(w, r, "GetSessionToken", awsproto.NamespaceSTS,
		struct{ Credentials credentialsXML }{credentialsOf(c)})
}
