package iamapi

import (
	"github.com/fnurl/fnurl/internal/iam"
)

type groupXML struct {
	Path       string
	GroupName  string
	GroupID    string `xml:"GroupId"`
	Arn        string
	CreateDate string
}

func (h *Handler) groupXML(g *iam.Group) groupXML {
	return groupXML{Path: g.Path, GroupName: g.Name, GroupID: g.ID, Arn: g.ARN(h.iam.AccountID()), CreateDate: isoTime(g.Created)}
}

func (h *Handler) createGroup(q *request) error {
	name, err := required(q, "GroupName", "groupName")
	if err != nil {
		return err
	}
	path := q.params.Get("Path")
	if path == "" {
		path = "/"
	}
	if err := h.authorize(q, (&iam.Group{Name: name, Path: path}).ARN(h.iam.AccountID())); err != nil {
		return err
	}
	g, err := h.iam.CreateGroup(q.r.Context(), name, path)
	if err != nil {
		return err
	}
	return h.write(q, struct{ Group groupXML }{h.groupXML(g)})
}

func (h *Handler) getGroup(q *request) error {
	name, err := h.entityParam(q, iam.KindGroup)
	if err != nil {
		return err
	}
	g, users, err := h.iam.GroupMembers(q.r.Context(), name)
	if err != nil {
		return err
	}
	res := struct {
		Group       groupXML
		Users       []userXML `xml:"Users>member"`
		IsTruncated bool
	}{Group: h.groupXML(g), Users: []userXML{}}
	for _, u := range users {
		res.Users = append(res.Users, h.userXML(u))
	}
	return h.write(q, res)
}

type listGroupsResult struct {
	Groups      []groupXML `xml:"Groups>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func (h *Handler) listGroups(q *request) error {
	after, limit, err := page(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, "arn:aws:iam::"+h.iam.AccountID()+":group/"); err != nil {
		return err
	}
	gs, err := h.iam.ListGroups(q.r.Context(), q.params.Get("PathPrefix"), after, limit+1)
	if err != nil {
		return err
	}
	res := listGroupsResult{Groups: []groupXML{}}
	if len(gs) > limit {
		gs = gs[:limit]
		res.IsTruncated, res.Marker = true, marker(gs[limit-1].Name)
	}
	for _, g := range gs {
		res.Groups = append(res.Groups, h.groupXML(g))
	}
	return h.write(q, res)
}

func (h *Handler) deleteGroup(q *request) error {
	name, err := h.entityParam(q, iam.KindGroup)
	if err != nil {
		return err
	}
	if err := h.iam.DeleteGroup(q.r.Context(), name); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) addUserToGroup(q *request) error {
	group, err := h.entityParam(q, iam.KindGroup)
	if err != nil {
		return err
	}
	user, err := required(q, "UserName", "userName")
	if err != nil {
		return err
	}
	if err := h.iam.AddUserToGroup(q.r.Context(), group, user); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) removeUserFromGroup(q *request) error {
	group, err := h.entityParam(q, iam.KindGroup)
	if err != nil {
		return err
	}
	user, err := required(q, "UserName", "userName")
	if err != nil {
		return err
	}
	if err := h.iam.RemoveUserFromGroup(q.r.Context(), group, user); err != nil {
		return err
	}
	return h.write(q, nil)
}

func (h *Handler) listGroupsForUser(q *request) error {
	user, err := h.entityParam(q, iam.KindUser)
	if err != nil {
		return err
	}
	gs, err := h.iam.GroupsForUser(q.r.Context(), user)
	if err != nil {
		return err
	}
	res := listGroupsResult{Groups: []groupXML{}}
	for _, g := range gs {
		res.Groups = append(res.Groups, h.groupXML(g))
	}
	return h.write(q, res)
}
