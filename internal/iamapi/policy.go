package iamapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
)

// encodeDocument percent-encodes a policy document as IAM returns it, with
// spaces as %20 so that both url-unquoting and query-unescaping restore it.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

type policyXML struct {
	PolicyName                    string
	PolicyID                      string `xml:"PolicyId"`
	Arn                           string
	Path                          string
	DefaultVersionID              string `xml:"DefaultVersionId"`
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
}

func (h *Handler) policyXML(p *iam.ManagedPolicy) policyXML {
	return policyXML{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN(h.iam.AccountID()), Path: p.Path,
		DefaultVersionID: p.DefaultVersion, AttachmentCount: p.AttachmentCount, IsAttachable: true,
		Description: p.Description, CreateDate: isoTime(p.Created), UpdateDate: isoTime(p.Updated)}
}

type policyVersionXML struct {
	Document         string `xml:",omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool
	CreateDate       string
}

func versionXML(v *iam.PolicyVersion, withDoc bool) policyVersionXML {
	x := policyVersionXML{VersionID: v.VersionID, IsDefaultVersion: v.IsDefault, CreateDate: isoTime(v.Created)}
	if withDoc {
		x.Document = encodeDocument(v.Document)
	}
	return x
}

func (h *Handler) createPolicy(q *request) error {
	name, err := required(q, "PolicyName", "policyName")
	if err != nil {
		return err
	}
	doc, err := required(q, "PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	path := q.params.Get("Path")
	if path == "" {
		path = "/"
	}
	if err := h.authorize(q, (&iam.ManagedPolicy{Name: name, Path: path}).ARN(h.iam.AccountID())); err != nil {
		return err
	}
	p, err := h.iam.CreatePolicy(q.r.Context(), name, path, q.params.Get("Description"), doc)
	if err != nil {
		return err
	}
	return h.write(q, struct{ Policy policyXML }{h.policyXML(p)})
}

// policyArn reads the required PolicyArn parameter and authorizes the
// action on it.
func (h *Handler) policyArn(q *request) (string, error) {
	arn, err := required(q, "PolicyArn", "policyArn")
	if err != nil {
		return "", err
	}
	if len(arn) < 20 || len(arn) > 2048 {
		return "", awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20", arn)
	}
	return arn, h.authorize(q, arn)
}

func (h *Handler) getPolicy(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	p, err := h.iam.Policy(q.r.Context(), arn)
	if err != nil {
		return err
	}
	return h.write(q, struct{ Policy policyXML }{h.policyXML(p)})
}

type listPoliciesResult struct {
	Policies    []policyXML `xml:"Policies>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func (h *Handler) listPolicies(q *request) error {
	after, limit, err := page(q)
	if err != nil {
		return err
	}
	scope := q.params.Get("Scope")
	switch scope {
	case "", "All", "Local", "AWS":
	default:
		return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope)
	}
	if err := h.authorize(q, "*"); err != nil {
		return err
	}
	res := listPoliciesResult{Policies: []policyXML{}}
	if scope == "AWS" { // fnurl has no AWS managed policies
		return h.write(q, res)
	}
	ps, err := h.iam.ListPolicies(q.r.Context(), q.params.Get("PathPrefix"), after, q.params.Get("OnlyAttached") == "true", limit+1)
	if err != nil {
		return err
	}
	if len(ps) > limit {
		ps = ps[:limit]
		res.IsTruncated, res.Marker = true, marker(ps[limit-1].Name)
	}
	for _, p := range ps {
		res.Policies = append(res.Policies, h.policyXML(p))
	}
	return h.write(q, res)
}

func (h *Handler) deletePolicy(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	if err := h.iam.DeletePolicy(q.r.Context(), arn); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) createPolicyVersion(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	doc, err := required(q, "PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	v, err := h.iam.CreatePolicyVersion(q.r.Context(), arn, doc, q.params.Get("SetAsDefault") == "true")
	if err != nil {
		return err
	}
	return h.write(q, struct{ PolicyVersion policyVersionXML }{versionXML(v, false)})
}

func (h *Handler) getPolicyVersion(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	id, err := required(q, "VersionId", "versionId")
	if err != nil {
		return err
	}
	v, err := h.iam.PolicyVersion(q.r.Context(), arn, id)
	if err != nil {
		return err
	}
	return h.write(q, struct{ PolicyVersion policyVersionXML }{versionXML(v, true)})
}

func (h *Handler) listPolicyVersions(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	vs, err := h.iam.ListPolicyVersions(q.r.Context(), arn)
	if err != nil {
		return err
	}
	res := struct {
		Versions    []policyVersionXML `xml:"Versions>member"`
		IsTruncated bool
	}{Versions: []policyVersionXML{}}
	for _, v := range vs {
		res.Versions = append(res.Versions, versionXML(v, false))
	}
	return h.write(q, res)
}

func (h *Handler) deletePolicyVersion(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	id, err := required(q, "VersionId", "versionId")
	if err != nil {
		return err
	}
	if err := h.iam.DeletePolicyVersion(q.r.Context(), arn, id); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) setDefaultPolicyVersion(q *request) error {
	arn, err := h.policyArn(q)
	if err != nil {
		return err
	}
	id, err := required(q, "VersionId", "versionId")
	if err != nil {
		return err
	}
	if err := h.iam.SetDefaultPolicyVersion(q.r.Context(), arn, id); err != nil {
		return err
	}
	return h.write(q, nil)
}

// entityParams says how each entity kind names itself on the wire.
var entityParams = map[iam.EntityKind]struct{ param, field string }{
	iam.KindUser:  {"UserName", "userName"},
	iam.KindGroup: {"GroupName", "groupName"},
	iam.KindRole:  {"RoleName", "roleName"},
}

// entityParam reads the required UserName, GroupName or RoleName and
// authorizes the action on that entity's ARN.
func (h *Handler) entityParam(q *request, kind iam.EntityKind) (string, error) {
	ep := entityParams[kind]
	name, err := required(q, ep.param, ep.field)
	if err != nil {
		return "", err
	}
	return name, h.authorize(q, h.entityARN(q, kind, name))
}

// entityARN returns an entity's ARN for authorization: with its real path
// when it exists, else with "/".
func (h *Handler) entityARN(q *request, kind iam.EntityKind, name string) string {
	if e, err := h.iam.Entity(q.r.Context(), kind, name); err == nil {
		return e.ARN(h.iam.AccountID())
	}
	return iam.Entity{Kind: kind, Name: name, Path: "/"}.ARN(h.iam.AccountID())
}

// The actions below exist for users, groups and roles alike
// (AttachUserPolicy, AttachGroupPolicy, AttachRolePolicy, ...); each
// returns the action for one kind.

func attachPolicy(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		arn, err := required(q, "PolicyArn", "policyArn")
		if err != nil {
			return err
		}
		if err := h.iam.AttachPolicy(q.r.Context(), kind, name, arn); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

func detachPolicy(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		arn, err := required(q, "PolicyArn", "policyArn")
		if err != nil {
			return err
		}
		if err := h.iam.DetachPolicy(q.r.Context(), kind, name, arn); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

type attachedPolicyXML struct {
	PolicyName string
	PolicyArn  string
}

func listAttachedPolicies(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		ps, err := h.iam.ListAttachedPolicies(q.r.Context(), kind, name)
		if err != nil {
			return err
		}
		res := struct {
			AttachedPolicies []attachedPolicyXML `xml:"AttachedPolicies>member"`
			IsTruncated      bool
		}{AttachedPolicies: []attachedPolicyXML{}}
		for _, p := range ps {
			res.AttachedPolicies = append(res.AttachedPolicies, attachedPolicyXML{PolicyName: p.Name, PolicyArn: p.ARN(h.iam.AccountID())})
		}
		return h.write(q, res)
	}
}

func putInlinePolicy(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		policyName, err := required(q, "PolicyName", "policyName")
		if err != nil {
			return err
		}
		doc, err := required(q, "PolicyDocument", "policyDocument")
		if err != nil {
			return err
		}
		if err := h.iam.PutInlinePolicy(q.r.Context(), kind, name, policyName, doc); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

// inlinePolicyXML is the result of GetUserPolicy, GetGroupPolicy and
// GetRolePolicy; the entity's name element is named for its kind.
type inlinePolicyXML struct {
	UserName       string `xml:",omitempty"`
	GroupName      string `xml:",omitempty"`
	RoleName       string `xml:",omitempty"`
	PolicyName     string
	PolicyDocument string
}

func getInlinePolicy(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		policyName, err := required(q, "PolicyName", "policyName")
		if err != nil {
			return err
		}
		e, doc, err := h.iam.InlinePolicy(q.r.Context(), kind, name, policyName)
		if err != nil {
			return err
		}
		res := inlinePolicyXML{PolicyName: policyName, PolicyDocument: encodeDocument(doc)}
		switch kind {
		case iam.KindUser:
			res.UserName = e.Name
		case iam.KindGroup:
			res.GroupName = e.Name
		case iam.KindRole:
			res.RoleName = e.Name
		}
		return h.write(q, res)
	}
}

func deleteInlinePolicy(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		policyName, err := required(q, "PolicyName", "policyName")
		if err != nil {
			return err
		}
		if err := h.iam.DeleteInlinePolicy(q.r.Context(), kind, name, policyName); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

func listInlinePolicies(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		names, err := h.iam.ListInlinePolicies(q.r.Context(), kind, name)
		if err != nil {
			return err
		}
		if names == nil {
			names = []string{}
		}
		return h.write(q, struct {
			PolicyNames []string `xml:"PolicyNames>member"`
			IsTruncated bool
		}{names, false})
	}
}

type boundaryXML struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

func boundaryOf(arn string) *boundaryXML {
	if arn == "" {
		return nil
	}
	return &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

func putPermissionsBoundary(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		arn, err := required(q, "PermissionsBoundary", "permissionsBoundary")
		if err != nil {
			return err
		}
		if err := h.iam.PutPermissionsBoundary(q.r.Context(), kind, name, arn); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

func deletePermissionsBoundary(kind iam.EntityKind) action {
	return func(h *Handler, q *request) error {
		name, err := h.entityParam(q, kind)
		if err != nil {
			return err
		}
		if err := h.iam.DeletePermissionsBoundary(q.r.Context(), kind, name); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

// checkBoundaryParam reads the PermissionsBoundary parameter of CreateUser
// and CreateRole, after checking that the policy exists.
func (h *Handler) checkBoundaryParam(q *request) (string, error) {
	arn := q.params.Get("PermissionsBoundary")
	if arn == "" {
		return "", nil
	}
	if _, err := h.iam.Policy(q.r.Context(), arn); err != nil {
		return "", err
	}
	return arn, nil
}
