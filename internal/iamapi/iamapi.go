// Package iamapi serves the AWS Identity and Access Management query API
// (Version 2010-05-08): form parameters in, XML envelopes out, errors in the
// query protocol's ErrorResponse.
//
// It translates between the wire and the iam domain service and nothing
// else: every action is first authorized (iam:CreateUser on the user's ARN,
// ...) and then handed to iam.Service, whose errors already carry AWS's
// codes and messages.
package iamapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iampolicy"
)

// Version is the IAM API version this package speaks.
const Version = "2010-05-08"

// Authorizer decides whether a principal may perform an action on a
// resource; it returns AccessDenied otherwise. ParsePolicy parses stored
// policy documents through the authorizer's cache.
type Authorizer interface {
	Authorize(ctx context.Context, p *iam.Principal, action, resource string) error
	ParsePolicy(doc string) (*iampolicy.Policy, error)
}

// Handler serves IAM actions.
type Handler struct {
	iam   *iam.Service
	authz Authorizer
}

// NewHandler returns the IAM API handler.
func NewHandler(s *iam.Service, a Authorizer) *Handler {
	return &Handler{iam: s, authz: a}
}

// request is one IAM API call being served.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	params    url.Values
	action    string
	principal *iam.Principal
}

type action func(h *Handler, q *request) error

var actions = map[string]action{
	"CreateUser":      (*Handler).createUser,
	"GetUser":         (*Handler).getUser,
	"ListUsers":       (*Handler).listUsers,
	"DeleteUser":      (*Handler).deleteUser,
	"CreateAccessKey": (*Handler).createAccessKey,
	"ListAccessKeys":  (*Handler).listAccessKeys,
	"UpdateAccessKey": (*Handler).updateAccessKey,
	"DeleteAccessKey": (*Handler).deleteAccessKey,

	"CreatePolicy":            (*Handler).createPolicy,
	"GetPolicy":               (*Handler).getPolicy,
	"ListPolicies":            (*Handler).listPolicies,
	"DeletePolicy":            (*Handler).deletePolicy,
	"CreatePolicyVersion":     (*Handler).createPolicyVersion,
	"GetPolicyVersion":        (*Handler).getPolicyVersion,
	"ListPolicyVersions":      (*Handler).listPolicyVersions,
	"DeletePolicyVersion":     (*Handler).deletePolicyVersion,
	"SetDefaultPolicyVersion": (*Handler).setDefaultPolicyVersion,

	"CreateGroup":         (*Handler).createGroup,
	"GetGroup":            (*Handler).getGroup,
	"ListGroups":          (*Handler).listGroups,
	"DeleteGroup":         (*Handler).deleteGroup,
	"AddUserToGroup":      (*Handler).addUserToGroup,
	"RemoveUserFromGroup": (*Handler).removeUserFromGroup,
	"ListGroupsForUser":   (*Handler).listGroupsForUser,

	"CreateRole":             (*Handler).createRole,
	"GetRole":                (*Handler).getRole,
	"ListRoles":              (*Handler).listRoles,
	"DeleteRole":             (*Handler).deleteRole,
	"UpdateRole":             (*Handler).updateRole,
	"UpdateAssumeRolePolicy": (*Handler).updateAssumeRolePolicy,

	"SimulatePrincipalPolicy": (*Handler).simulatePrincipalPolicy,
	"SimulateCustomPolicy":    (*Handler).simulateCustomPolicy,

	"GetAccessKeyLastUsed": (*Handler).getAccessKeyLastUsed,
}

func init() {
	for kind, word := range map[iam.EntityKind]string{iam.KindUser: "User", iam.KindGroup: "Group", iam.KindRole: "Role"} {
		actions["Attach"+word+"Policy"] = attachPolicy(kind)
		actions["Detach"+word+"Policy"] = detachPolicy(kind)
		actions["ListAttached"+word+"Policies"] = listAttachedPolicies(kind)
		actions["Put"+word+"Policy"] = putInlinePolicy(kind)
		actions["Get"+word+"Policy"] = getInlinePolicy(kind)
		actions["Delete"+word+"Policy"] = deleteInlinePolicy(kind)
		actions["List"+word+"Policies"] = listInlinePolicies(kind)
		if kind != iam.KindGroup {
			actions["Tag"+word] = tagEntity(kind)
			actions["Untag"+word] = untagEntity(kind)
			actions["List"+word+"Tags"] = listTags(kind)
			actions["Put"+word+"PermissionsBoundary"] = putPermissionsBoundary(kind)
			actions["Delete"+word+"PermissionsBoundary"] = deletePermissionsBoundary(kind)
		}
	}
}

// ServeHTTP dispatches on the Action parameter.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		if e := awsproto.WriteQueryError(w, r, awsproto.NamespaceIAM, err); e.Internal() {
			awsproto.LogInternal(r.Context(), e)
		}
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	params, name, err := awsproto.QueryAction(r, "iam", Version)
	if err != nil {
		return err
	}
	act, ok := actions[name]
	if !ok {
		return awsproto.UnknownAction(name, Version)
	}
	p := authn.PrincipalFrom(r.Context())
	if p == nil {
		return awserr.New(awserr.CodeMissingAuthenticationToken, http.StatusForbidden, "Request is missing Authentication Token")
	}
	return act(h, &request{w: w, r: r, params: params, action: name, principal: p})
}

// authorize checks iam:<Action> on resource for the caller.
func (h *Handler) authorize(q *request, resource string) error {
	return h.authz.Authorize(q.r.Context(), q.principal, "iam:"+q.action, resource)
}

func (h *Handler) write(q *request, result any) error {
	return awsproto.WriteQueryResult(q.w, q.r, q.action, awsproto.NamespaceIAM, result)
}

// required returns a required parameter, or the validation error AWS gives
// when it is missing.
func required(q *request, name, field string) (string, error) {
	v, ok := q.params[name]
	if !ok || len(v) == 0 {
		return "", awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return v[0], nil
}

// page reads MaxItems (1-1000, default 100) and Marker.
func page(q *request) (after string, limit int, err error) {
	limit = 100
	if s := q.params.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return "", 0, awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
				"1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", s)
		}
		limit = n
	}
	if m := q.params.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return "", 0, awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "Invalid Marker.")
		}
		after = string(b)
	}
	return after, limit, nil
}

func marker(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

// isoTime formats times as IAM does.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
