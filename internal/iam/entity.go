package iam

import (
	"context"
	"errors"
	"net/http"

	"github.com/fnurl/fnurl/internal/awserr"
)

// EntityKind is a kind of IAM identity that policies attach to.
type EntityKind string

// Entity kinds.
const (
	KindUser  EntityKind = "user"
	KindGroup EntityKind = "group"
	KindRole  EntityKind = "role"
)

// Entity names one user, group or role.
type Entity struct {
	Kind EntityKind
	ID   string
	Name string
	Path string
}

// ARN returns the entity's ARN in account.
func (e Entity) ARN(account string) string {
	return "arn:aws:iam::" + account + ":" + string(e.Kind) + e.Path + e.Name
}

// maxInlineSize is IAM's quota for the aggregate size of an entity's
// inline policies, whitespace not counted.
var maxInlineSize = map[EntityKind]int{KindUser: 2048, KindGroup: 5120, KindRole: 10240}

func noSuchEntity(kind EntityKind, name string) error {
	return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "The %s with name %s cannot be found.", kind, name)
}

// deleteConflict words a refused delete as IAM does.
func deleteConflict(err error) error {
	msg := "Cannot delete entity, must remove referenced objects first."
	switch {
	case errors.Is(err, ErrHasPolicies):
		msg = "Cannot delete entity, must detach all policies first."
	case errors.Is(err, ErrHasInline):
		msg = "Cannot delete entity, must delete policies first."
	case errors.Is(err, ErrHasMembers):
		msg = "Cannot delete entity, must remove users from group first."
	case errors.Is(err, ErrInGroups):
		msg = "Cannot delete entity, must remove user from all groups first."
	}
	return awserr.New(CodeDeleteConflict, http.StatusConflict, msg)
}

// Entity resolves a user, group or role by name. Returns NoSuchEntity.
func (s *Service) Entity(ctx context.Context, kind EntityKind, name string) (Entity, error) {
	switch kind {
	case KindUser:
		u, err := s.User(ctx, name)
		if err != nil {
			return Entity{}, err
		}
		return Entity{Kind: kind, ID: u.ID, Name: u.Name, Path: u.Path}, nil
	case KindGroup:
		g, err := s.Group(ctx, name)
		if err != nil {
			return Entity{}, err
		}
		return Entity{Kind: kind, ID: g.ID, Name: g.Name, Path: g.Path}, nil
	case KindRole:
		r, err := s.Role(ctx, name)
		if err != nil {
			return Entity{}, err
		}
		return Entity{Kind: kind, ID: r.ID, Name: r.Name, Path: r.Path}, nil
	}
	return Entity{}, errors.New("iam: unknown entity kind " + string(kind))
}

// AttachPolicy attaches a managed policy to a user, group or role.
func (s *Service) AttachPolicy(ctx context.Context, kind EntityKind, name, arn string) error {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return err
	}
	return s.store.AttachPolicy(ctx, e, p.ID)
}

// DetachPolicy detaches a managed policy from a user, group or role.
func (s *Service) DetachPolicy(ctx context.Context, kind EntityKind, name, arn string) error {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return err
	}
	if err := s.store.DetachPolicy(ctx, e, p.ID); errors.Is(err, ErrNotFound) {
		return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "Policy %s was not found.", arn)
	} else if err != nil {
		return err
	}
	return nil
}

// ListAttachedPolicies returns the managed policies attached to an entity.
func (s *Service) ListAttachedPolicies(ctx context.Context, kind EntityKind, name string) ([]*ManagedPolicy, error) {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	return s.store.ListAttachedPolicies(ctx, e)
}

func noSuchInline(kind EntityKind, name string) error {
	return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "The %s policy with name %s cannot be found.", kind, name)
}

// PutInlinePolicy creates or replaces an inline policy of an entity.
func (s *Service) PutInlinePolicy(ctx context.Context, kind EntityKind, name, policyName, doc string) error {
	if err := checkPolicyName("policyName", policyName); err != nil {
		return err
	}
	if err := checkDocument(doc, 0); err != nil {
		return err
	}
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	max := maxInlineSize[kind]
	if err := s.store.PutInlinePolicy(ctx, e, policyName, doc, max); errors.Is(err, ErrLimit) {
		return awserr.Errorf(CodeLimitExceeded, http.StatusConflict, "Maximum policy size of %d bytes exceeded for %s %s", max, kind, e.Name)
	} else if err != nil {
		return err
	}
	return nil
}

// InlinePolicy returns the document of an entity's inline policy.
func (s *Service) InlinePolicy(ctx context.Context, kind EntityKind, name, policyName string) (Entity, string, error) {
	if err := checkPolicyName("policyName", policyName); err != nil {
		return Entity{}, "", err
	}
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return Entity{}, "", err
	}
	doc, err := s.store.InlinePolicy(ctx, e, policyName)
	if errors.Is(err, ErrNotFound) {
		return Entity{}, "", noSuchInline(kind, policyName)
	}
	return e, doc, err
}

// DeleteInlinePolicy deletes an entity's inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, kind EntityKind, name, policyName string) error {
	if err := checkPolicyName("policyName", policyName); err != nil {
		return err
	}
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	if err := s.store.DeleteInlinePolicy(ctx, e, policyName); errors.Is(err, ErrNotFound) {
		return noSuchInline(kind, policyName)
	} else if err != nil {
		return err
	}
	return nil
}

// ListInlinePolicies returns the names of an entity's inline policies.
func (s *Service) ListInlinePolicies(ctx context.Context, kind EntityKind, name string) ([]string, error) {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	return s.store.ListInlinePolicies(ctx, e)
}
