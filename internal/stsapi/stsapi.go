// Package stsapi serves the AWS Security Token Service query API
// (Version 2011-06-15): form parameters in, XML envelopes out.
//
// Requests reach it authenticated; the caller's principal is in the request
// context (authn.PrincipalFrom).
package stsapi

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/authz"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iampolicy"
	"github.com/fnurl/fnurl/internal/sts"
)

// Version is the STS API version this package speaks.
const Version = "2011-06-15"

// Handler serves STS actions.
type Handler struct {
	sts   *sts.Service
	iam   *iam.Service
	authz *authz.Authorizer
}

// NewHandler returns the STS API handler.
func NewHandler(s *sts.Service, ids *iam.Service, az *authz.Authorizer) *Handler {
	return &Handler{sts: s, iam: ids, authz: az}
}

type action func(h *Handler, w http.ResponseWriter, r *http.Request, params url.Values) error

// actions maps each action name to its method.
var actions = map[string]action{
	"GetCallerIdentity": (*Handler).getCallerIdentity,
	"GetSessionToken":   (*Handler).getSessionToken,
	"AssumeRole":        (*Handler).assumeRole,
	"GetAccessKeyInfo":  (*Handler).getAccessKeyInfo,
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
	params, name, err := awsproto.QueryAction(r, "sts", Version)
	if err != nil {
		return err
	}
	act, ok := actions[name]
	if !ok {
		return awsproto.UnknownAction(name, Version)
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

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// roleARNRE matches role ARNs as the STS model allows them.
var roleARNRE = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role(/|/[\x21-\x7e]+/)([\w+=,.@-]+)$`)

func validation(value, field, constraint string) error {
	return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string
}

// assumeRole authorizes the caller against the role's trust policy (which
// must allow, even in the same account) and its own identity policies, then
// issues credentials for a session of the role.
func (h *Handler) assumeRole(w http.ResponseWriter, r *http.Request, params url.Values) error {
	ctx := r.Context()
	caller := authn.PrincipalFrom(ctx)
	roleArn := params.Get("RoleArn")
	if roleArn == "" {
		return validation("null", "roleArn", "Member must not be null")
	}
	name := params.Get("RoleSessionName")
	if name == "" {
		return validation("null", "roleSessionName", "Member must not be null")
	}
	if !sessionNameRE.MatchString(name) {
		return validation(name, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	seconds, given := 0, false
	if s := params.Get("DurationSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return validation(s, "durationSeconds", "Member must be an integer")
		}
		seconds, given = n, true
	}
	sessionPolicy := params.Get("Policy")
	if sessionPolicy != "" {
		if err := iam.CheckSessionPolicy(sessionPolicy); err != nil {
			return err
		}
	}
	var policyARNs []string
	for i := 1; ; i++ {
		a := params.Get(fmt.Sprintf("PolicyArns.member.%d.arn", i))
		if a == "" {
			break
		}
		policyARNs = append(policyARNs, a)
	}

	// The role must exist in this account; anything else is a denial, as
	// AWS does not say whether a role exists to those who may not assume it.
	m := roleARNRE.FindStringSubmatch(roleArn)
	var role *iam.Role
	if m != nil && m[1] == h.iam.AccountID() {
		if rl, err := h.iam.Role(ctx, m[3]); err == nil && rl.Path == m[2] {
			role = rl
		}
	}
	denied := awserr.AccessDenied(caller.ARN, "sts:AssumeRole", roleArn, "")
	denied.Message = strings.TrimSpace(denied.Message)
	if role == nil {
		return denied
	}
	trust, err := h.authz.NamedPolicy("trust policy", "role "+role.Name, role.TrustPolicy)
	if err != nil {
		return err
	}
	d, err := h.authz.Decide(ctx, caller, authz.Query{
		Action: "sts:AssumeRole", Resource: roleArn,
		ResourcePolicy:    trust,
		ResourceMustAllow: true,
		Extra: func(c *iampolicy.Context) {
			c.Set("sts:RoleSessionName", name)
			if ext := params.Get("ExternalId"); ext != "" {
				c.Set("sts:ExternalId", ext)
			}
		},
	})
	if err != nil {
		return err
	}
	if !d.Allowed() {
		return denied.Wrap(fmt.Errorf("%s", d.String()))
	}
	c, p, err := h.sts.AssumeRole(ctx, caller, sts.RoleSession{Role: role, SessionName: name, Seconds: seconds, Given: given,
		SessionPolicy: sessionPolicy, SessionPolicyARNs: policyARNs})
	if err != nil {
		return err
	}
	return awsproto.WriteQueryResult(w, r, "AssumeRole", awsproto.NamespaceSTS, struct {
		Credentials      credentialsXML
		AssumedRoleUser  assumedRoleUserXML
		PackedPolicySize int
	}{credentialsOf(c), assumedRoleUserXML{AssumedRoleID: p.UserID, Arn: p.ARN}, 0})
}

var keyIDRE = regexp.MustCompile(`^\w{16,128}$`)

// getAccessKeyInfo names the account an access key belongs to. Every key
// fnurl issues belongs to its one account; like AWS, the answer does not
// say whether the key exists.
func (h *Handler) getAccessKeyInfo(w http.ResponseWriter, r *http.Request, params url.Values) error {
	id := params.Get("AccessKeyId")
	if !keyIDRE.MatchString(id) {
		return validation(id, "accessKeyId", `Member must satisfy regular expression pattern: [\w]*`)
	}
	if err := h.authz.Authorize(r.Context(), authn.PrincipalFrom(r.Context()), "sts:GetAccessKeyInfo", "*"); err != nil {
		return err
	}
	return awsproto.WriteQueryResult(w, r, "GetAccessKeyInfo", awsproto.NamespaceSTS, struct{ Account string }{h.iam.AccountID()})
}
