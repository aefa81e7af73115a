package iamapi

import (
	"net/http"
	"strconv"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
)

type roleXML struct {
	Path                     string
	RoleName                 string
	RoleID                   string `xml:"RoleId"`
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
	PermissionsBoundary      *boundaryXML `xml:",omitempty"`
}

func (h *Handler) roleXML(r *iam.Role) roleXML {
	return roleXML{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN(h.iam.AccountID()), CreateDate: isoTime(r.Created),
		AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration,
		PermissionsBoundary: boundaryOf(r.PermissionsBoundary)}
}

// intParam reads an optional integer parameter.
func intParam(q *request, name, field string) (*int, error) {
	s := q.params.Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", s, field)
	}
	return &n, nil
}

func (h *Handler) createRole(q *request) error {
	name, err := required(q, "RoleName", "roleName")
	if err != nil {
		return err
	}
	trust, err := required(q, "AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	if err != nil {
		return err
	}
	path := q.params.Get("Path")
	if path == "" {
		path = "/"
	}
	maxSession, err := intParam(q, "MaxSessionDuration", "maxSessionDuration")
	if err != nil {
		return err
	}
	if err := h.authorize(q, (&iam.Role{Name: name, Path: path}).ARN(h.iam.AccountID())); err != nil {
		return err
	}
	ms := 0
	if maxSession != nil {
		ms = *maxSession
	}
	boundary, err := h.checkBoundaryParam(q)
	if err != nil {
		return err
	}
	tags := tagParams(q)
	if err := iam.CheckTags(tags); err != nil {
		return err
	}
	r, err := h.iam.CreateRole(q.r.Context(), name, path, q.params.Get("Description"), trust, ms)
	if err != nil {
		return err
	}
	if err := h.boundaryAndTags(q, iam.KindRole, name, boundary, tags); err != nil {
		return err
	}
	r.PermissionsBoundary = boundary
	return h.write(q, struct{ Role roleXML }{h.roleXML(r)})
}

func (h *Handler) getRole(q *request) error {
	name, err := h.entityParam(q, iam.KindRole)
	if err != nil {
		return err
	}
	r, err := h.iam.Role(q.r.Context(), name)
	if err != nil {
		return err
	}
	return h.write(q, struct{ Role roleXML }{h.roleXML(r)})
}

func (h *Handler) listRoles(q *request) error {
	after, limit, err := page(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, "arn:aws:iam::"+h.iam.AccountID()+":role/"); err != nil {
		return err
	}
	rs, err := h.iam.ListRoles(q.r.Context(), q.params.Get("PathPrefix"), after, limit+1)
	if err != nil {
		return err
	}
	res := struct {
		Roles       []roleXML `xml:"Roles>member"`
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{Roles: []roleXML{}}
	if len(rs) > limit {
		rs = rs[:limit]
		res.IsTruncated, res.Marker = true, marker(rs[limit-1].Name)
	}
	for _, r := range rs {
		res.Roles = append(res.Roles, h.roleXML(r))
	}
	return h.write(q, res)
}

func (h *Handler) deleteRole(q *request) error {
	name, err := h.entityParam(q, iam.KindRole)
	if err != nil {
		return err
	}
	if err := h.iam.DeleteRole(q.r.Context(), name); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) updateRole(q *request) error {
	name, err := h.entityParam(q, iam.KindRole)
	if err != nil {
		return err
	}
	maxSession, err := intParam(q, "MaxSessionDuration", "maxSessionDuration")
	if err != nil {
		return err
	}
	var desc *string
	if v, ok := q.params["Description"]; ok && len(v) > 0 {
		desc = &v[0]
	}
	if err := h.iam.UpdateRole(q.r.Context(), name, desc, maxSession); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) updateAssumeRolePolicy(q *request) error {
	name, err := h.entityParam(q, iam.KindRole)
	if err != nil {
		return err
	}
	doc, err := required(q, "PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	if err := h.iam.UpdateAssumeRolePolicy(q.r.Context(), name, doc); err != nil {
		return err
	}
	return h.write(q, nil)
}
