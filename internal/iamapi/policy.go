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

// userParam reads the required UserName and authorizes the action on the
// user.
func (h *Handler) userParam(q *request) (string, error) {
	name, err := required(q, "UserName", "userName")
	if err != nil {
		return "", err
	}
	return name, h.authorize(q, h.userARN(q, name))
}

func (h *Handler) attachUserPolicy(q *request) error {
	name, err := h.userParam(q)
	if err != nil {
		return err
	}
	arn, err := required(q, "PolicyArn", "policyArn")
	if err != nil {
		return err
	}
	if err := h.iam.AttachUserPolicy(q.r.Context(), name, arn); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) detachUserPolicy(q *request) error {
	name, err := h.userParam(q)
	if err != nil {
		return err
	}
	arn, err := required(q, "PolicyArn", "policyArn")
	if err != nil {
		return err
	}
	if err := h.iam.DetachUserPolicy(q.r.Context(), name, arn); err != nil {
		return err
	}
	return h.write(q, nil)
}

type attachedPolicyXML struct {
	PolicyName string
	PolicyArn  string
}

func (h *Handler) listAttachedUserPolicies(q *request) error {
	name, err := h.userParam(q)
	if err != nil {
		return err
	}
	ps, err := h.iam.ListAttachedUserPolicies(q.r.Context(), name)
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

func (h *Handler) putUserPolicy(q *request) error {
	user, err := h.userParam(q)
	if err != nil {
		return err
	}
	name, err := required(q, "PolicyName", "policyName")
	if err != nil {
		return err
	}
	doc, err := required(q, "PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	if err := h.iam.PutUserPolicy(q.r.Context(), user, name, doc); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) getUserPolicy(q *request) error {
	user, err := h.userParam(q)
	if err != nil {
		return err
	}
	name, err := required(q, "PolicyName", "policyName")
	if err != nil {
		return err
	}
	doc, err := h.iam.UserPolicy(q.r.Context(), user, name)
	if err != nil {
		return err
	}
	u, err := h.iam.User(q.r.Context(), user)
	if err != nil {
		return err
	}
	return h.write(q, struct {
		UserName       string
		PolicyName     string
		PolicyDocument string
	}{u.Name, name, encodeDocument(doc)})
}

func (h *Handler) deleteUserPolicy(q *request) error {
	user, err := h.userParam(q)
	if err != nil {
		return err
	}
	name, err := required(q, "PolicyName", "policyName")
	if err != nil {
		return err
	}
	if err := h.iam.DeleteUserPolicy(q.r.Context(), user, name); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) listUserPolicies(q *request) error {
	user, err := h.userParam(q)
	if err != nil {
		return err
	}
	names, err := h.iam.ListUserPolicies(q.r.Context(), user)
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
