package iamapi

import (
	"net/http"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
)

type userXML struct {
	Path                string `xml:",omitempty"`
	UserName            string `xml:",omitempty"`
	UserID              string `xml:"UserId"`
	Arn                 string
	CreateDate          string
	PermissionsBoundary *boundaryXML `xml:",omitempty"`
}

func (h *Handler) userXML(u *iam.User) userXML {
	return userXML{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN(h.iam.AccountID()), CreateDate: isoTime(u.Created),
		PermissionsBoundary: boundaryOf(u.PermissionsBoundary)}
}

// userARN returns the ARN of the named user for authorization: with the
// user's real path when the user exists, else with "/".
func (h *Handler) userARN(q *request, name string) string {
	if u, err := h.iam.User(q.r.Context(), name); err == nil {
		return u.ARN(h.iam.AccountID())
	}
	return (&iam.User{Name: name, Path: "/"}).ARN(h.iam.AccountID())
}

// userOrCaller returns the UserName parameter, or, when it is absent, the
// calling IAM user's name, as IAM does for GetUser, CreateAccessKey and the
// other key actions.
func (h *Handler) userOrCaller(q *request) (string, error) {
	if name := q.params.Get("UserName"); name != "" {
		return name, nil
	}
	if q.principal.Type == iam.PrincipalUser {
		return q.principal.UserName, nil
	}
	return "", awserr.New(awserr.CodeValidationError, http.StatusBadRequest,
		"Must specify userName when calling with non-User credentials")
}

func (h *Handler) createUser(q *request) error {
	name, err := required(q, "UserName", "userName")
	if err != nil {
		return err
	}
	path := q.params.Get("Path")
	if path == "" {
		path = "/"
	}
	if err := h.authorize(q, (&iam.User{Name: name, Path: path}).ARN(h.iam.AccountID())); err != nil {
		return err
	}
	boundary, err := h.checkBoundaryParam(q)
	if err != nil {
		return err
	}
	tags := tagParams(q)
	if err := iam.CheckTags(tags); err != nil {
		return err
	}
	u, err := h.iam.CreateUser(q.r.Context(), name, path)
	if err != nil {
		return err
	}
	if err := h.boundaryAndTags(q, iam.KindUser, name, boundary, tags); err != nil {
		return err
	}
	u.PermissionsBoundary = boundary
	return h.write(q, struct{ User userXML }{h.userXML(u)})
}

func (h *Handler) getUser(q *request) error {
	ctx := q.r.Context()
	if q.params.Get("UserName") == "" && q.principal.Type == iam.PrincipalAccount {
		// The root user asking about itself: AWS answers with the account.
		return h.write(q, struct{ User userXML }{userXML{UserID: q.principal.Account, Arn: q.principal.ARN,
			CreateDate: isoTime(h.iam.Created())}})
	}
	name, err := h.userOrCaller(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, h.userARN(q, name)); err != nil {
		return err
	}
	u, err := h.iam.User(ctx, name)
	if err != nil {
		return err
	}
	return h.write(q, struct{ User userXML }{h.userXML(u)})
}

type listUsersResult struct {
	Users       []userXML `xml:"Users>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func (h *Handler) listUsers(q *request) error {
	after, limit, err := page(q)
	if err != nil {
		return err
	}
	if err := h.authorize(q, "arn:aws:iam::"+h.iam.AccountID()+":user/"); err != nil {
		return err
	}
	users, err := h.iam.ListUsers(q.r.Context(), q.params.Get("PathPrefix"), after, limit+1)
	if err != nil {
		return err
	}
	res := listUsersResult{Users: []userXML{}}
	if len(users) > limit {
		users = users[:limit]
		res.IsTruncated, res.Marker = true, marker(users[limit-1].Name)
	}
	for _, u := range users {
		res.Users = append(res.Users, h.userXML(u))
	}
	return h.write(q, res)
}

func (h *Handler) deleteUser(q *request) error {
	name, err := required(q, "UserName", "userName")
	if err != nil {
		return err
	}
	if err := h.authorize(q, h.userARN(q, name)); err != nil {
		return err
	}
	if err := h.iam.DeleteUser(q.r.Context(), name); err != nil {
		return err
	}
	return h.write(q, nil)
}
