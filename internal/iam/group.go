package iam

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
)

// Group is an IAM group.
type Group struct {
	ID      string // AGPA...
	Name    string
	Path    string
	Created time.Time
}

// ARN returns the group's ARN in account.
func (g *Group) ARN(account string) string {
	return "arn:aws:iam::" + account + ":group" + g.Path + g.Name
}

// GroupStore is the persistence of groups.
type GroupStore interface {
	// CreateGroup stores g, or returns ErrExists.
	CreateGroup(ctx context.Context, g *Group) error
	// Group returns the group with the name, or ErrNotFound.
	Group(ctx context.Context, name string) (*Group, error)
	// ListGroups lists groups by name, as ListUsers lists users.
	ListGroups(ctx context.Context, pathPrefix, after string, limit int) ([]*Group, error)
	// DeleteGroup deletes a group. Returns ErrNotFound, ErrHasMembers,
	// ErrHasPolicies or ErrHasInline.
	DeleteGroup(ctx context.Context, name string) error
	// AddUserToGroup adds a member; adding twice is not an error.
	AddUserToGroup(ctx context.Context, groupID, userID string) error
	// RemoveUserFromGroup removes a member, or returns ErrNotFound.
	RemoveUserFromGroup(ctx context.Context, groupID, userID string) error
	// GroupMembers returns a group's users by name.
	GroupMembers(ctx context.Context, groupID string) ([]*User, error)
	// GroupsForUser returns a user's groups by name.
	GroupsForUser(ctx context.Context, userID string) ([]*Group, error)
}

var groupNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)

func checkGroupName(name string) error {
	switch {
	case len(name) < 1:
		return validationError(name, "groupName", "Member must have length greater than or equal to 1")
	case len(name) > 128:
		return validationError(name, "groupName", "Member must have length less than or equal to 128")
	case !groupNameRE.MatchString(name):
		return validationError(name, "groupName", `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// CreateGroup creates an IAM group.
func (s *Service) CreateGroup(ctx context.Context, name, path string) (*Group, error) {
	if path == "" {
		path = "/"
	}
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	if err := checkPath("path", path); err != nil {
		return nil, err
	}
	g := &Group{ID: NewUniqueID(PrefixGroup), Name: name, Path: path, Created: s.now().UTC().Truncate(time.Second)}
	if err := s.store.CreateGroup(ctx, g); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, http.StatusConflict, "Group with name %s already exists.", name)
	} else if err != nil {
		return nil, err
	}
	return g, nil
}

// Group returns the named group, or NoSuchEntity.
func (s *Service) Group(ctx context.Context, name string) (*Group, error) {
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	g, err := s.store.Group(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, noSuchEntity(KindGroup, name)
	}
	return g, err
}

// ListGroups lists groups in name order.
func (s *Service) ListGroups(ctx context.Context, pathPrefix, after string, limit int) ([]*Group, error) {
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	return s.store.ListGroups(ctx, pathPrefix, after, limit)
}

// DeleteGroup deletes an empty group with no policies.
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	if err := checkGroupName(name); err != nil {
		return err
	}
	switch err := s.store.DeleteGroup(ctx, name); {
	case errors.Is(err, ErrNotFound):
		return noSuchEntity(KindGroup, name)
	case errors.Is(err, ErrHasMembers), errors.Is(err, ErrHasPolicies), errors.Is(err, ErrHasInline):
		return deleteConflict(err)
	default:
		return err
	}
}

// AddUserToGroup makes a user a member of a group.
func (s *Service) AddUserToGroup(ctx context.Context, groupName, userName string) error {
	g, err := s.Group(ctx, groupName)
	if err != nil {
		return err
	}
	u, err := s.User(ctx, userName)
	if err != nil {
		return err
	}
	return s.store.AddUserToGroup(ctx, g.ID, u.ID)
}

// RemoveUserFromGroup removes a user from a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, groupName, userName string) error {
	g, err := s.Group(ctx, groupName)
	if err != nil {
		return err
	}
	u, err := s.User(ctx, userName)
	if err != nil {
		return err
	}
	if err := s.store.RemoveUserFromGroup(ctx, g.ID, u.ID); errors.Is(err, ErrNotFound) {
		return noSuchEntity(KindUser, userName)
	} else if err != nil {
		return err
	}
	return nil
}

// GroupMembers returns a group and its users.
func (s *Service) GroupMembers(ctx context.Context, name string) (*Group, []*User, error) {
	g, err := s.Group(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	users, err := s.store.GroupMembers(ctx, g.ID)
	return g, users, err
}

// GroupsForUser returns the groups a user belongs to.
func (s *Service) GroupsForUser(ctx context.Context, userName string) ([]*Group, error) {
	u, err := s.User(ctx, userName)
	if err != nil {
		return nil, err
	}
	return s.store.GroupsForUser(ctx, u.ID)
}
