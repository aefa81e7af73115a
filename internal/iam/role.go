package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iampolicy"
)

// Role session limits, in seconds.
const (
	MinMaxSessionDuration     = 3600
	MaxMaxSessionDuration     = 43200
	DefaultMaxSessionDuration = 3600
)

// Role is an IAM role.
type Role struct {
	ID                  string // AROA...
	Name                string
	Path                string
	Description         string
	TrustPolicy         string // the assume-role policy document
	MaxSessionDuration  int    // seconds
	Created             time.Time
	PermissionsBoundary string // managed policy ARN, or ""
}

// ARN returns the role's ARN in account.
func (r *Role) ARN(account string) string {
	return "arn:aws:iam::" + account + ":role" + r.Path + r.Name
}

// RoleStore is the persistence of roles.
type RoleStore interface {
	// CreateRole stores r, or returns ErrExists.
	CreateRole(ctx context.Context, r *Role) error
	// Role returns the role with the name, or ErrNotFound.
	Role(ctx context.Context, name string) (*Role, error)
	// RoleByID returns the role with the unique ID, or ErrNotFound.
	RoleByID(ctx context.Context, id string) (*Role, error)
	// ListRoles lists roles by name.
	ListRoles(ctx context.Context, pathPrefix, after string, limit int) ([]*Role, error)
	// DeleteRole deletes a role. Returns ErrNotFound, ErrHasPolicies or
	// ErrHasInline.
	DeleteRole(ctx context.Context, name string) error
	// UpdateRole replaces the role's trust policy, description and maximum
	// session duration, or returns ErrNotFound.
	UpdateRole(ctx context.Context, r *Role) error
}

var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)

func checkRoleName(name string) error {
	switch {
	case len(name) < 1:
		return validationError(name, "roleName", "Member must have length greater than or equal to 1")
	case len(name) > 64:
		return validationError(name, "roleName", "Member must have length less than or equal to 64")
	case !roleNameRE.MatchString(name):
		return validationError(name, "roleName", `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// checkTrustPolicy validates a role trust policy as IAM does.
func checkTrustPolicy(doc string) error {
	if doc == "" {
		return validationError(doc, "assumeRolePolicyDocument", "Member must have length greater than or equal to 1")
	}
	if err := iampolicy.Validate([]byte(doc), iampolicy.Trust); err != nil {
		var ve *iampolicy.ValidationError
		if errors.As(err, &ve) {
			return awserr.New(CodeMalformedPolicyDocument, http.StatusBadRequest, ve.Message)
		}
		return awserr.New(CodeMalformedPolicyDocument, http.StatusBadRequest, "Syntax errors in policy.").Wrap(err)
	}
	return nil
}

func checkMaxSession(seconds int) error {
	if seconds < MinMaxSessionDuration || seconds > MaxMaxSessionDuration {
		return validationError(fmt.Sprint(seconds), "maxSessionDuration",
			fmt.Sprintf("Member must have value between %d and %d", MinMaxSessionDuration, MaxMaxSessionDuration))
	}
	return nil
}

// CreateRole creates a role. maxSession 0 means the default (3600 s).
func (s *Service) CreateRole(ctx context.Context, name, path, description, trust string, maxSession int) (*Role, error) {
	if path == "" {
		path = "/"
	}
	if maxSession == 0 {
		maxSession = DefaultMaxSessionDuration
	}
	if err := checkRoleName(name); err != nil {
		return nil, err
	}
	if err := checkPath("path", path); err != nil {
		return nil, err
	}
	if err := checkMaxSession(maxSession); err != nil {
		return nil, err
	}
	if len(description) > 1000 {
		return nil, validationError(description, "description", "Member must have length less than or equal to 1000")
	}
	if err := checkTrustPolicy(trust); err != nil {
		return nil, err
	}
	r := &Role{ID: NewUniqueID(PrefixRole), Name: name, Path: path, Description: description, TrustPolicy: trust,
		MaxSessionDuration: maxSession, Created: s.now().UTC().Truncate(time.Second)}
	if err := s.store.CreateRole(ctx, r); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, http.StatusConflict, "Role with name %s already exists.", name)
	} else if err != nil {
		return nil, err
	}
	return r, nil
}

// Role returns the named role, or NoSuchEntity.
func (s *Service) Role(ctx context.Context, name string) (*Role, error) {
	if err := checkRoleName(name); err != nil {
		return nil, err
	}
	r, err := s.store.Role(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, noSuchEntity(KindRole, name)
	}
	return r, err
}

// RoleByID returns the role with the unique ID, or ErrNotFound.
func (s *Service) RoleByID(ctx context.Context, id string) (*Role, error) {
	return s.store.RoleByID(ctx, id)
}

// ListRoles lists roles in name order.
func (s *Service) ListRoles(ctx context.Context, pathPrefix, after string, limit int) ([]*Role, error) {
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	return s.store.ListRoles(ctx, pathPrefix, after, limit)
}

// DeleteRole deletes a role with no policies.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	if err := checkRoleName(name); err != nil {
		return err
	}
	switch err := s.store.DeleteRole(ctx, name); {
	case errors.Is(err, ErrNotFound):
		return noSuchEntity(KindRole, name)
	case errors.Is(err, ErrHasPolicies), errors.Is(err, ErrHasInline):
		return deleteConflict(err)
	default:
		return err
	}
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, name, trust string) error {
	r, err := s.Role(ctx, name)
	if err != nil {
		return err
	}
	if err := checkTrustPolicy(trust); err != nil {
		return err
	}
	r.TrustPolicy = trust
	return s.store.UpdateRole(ctx, r)
}

// UpdateRole changes a role's description and maximum session duration;
// nil leaves a value as it is.
func (s *Service) UpdateRole(ctx context.Context, name string, description *string, maxSession *int) error {
	r, err := s.Role(ctx, name)
	if err != nil {
		return err
	}
	if description != nil {
		if len(*description) > 1000 {
			return validationError(*description, "description", "Member must have length less than or equal to 1000")
		}
		r.Description = *description
	}
	if maxSession != nil {
		if err := checkMaxSession(*maxSession); err != nil {
			return err
		}
		r.MaxSessionDuration = *maxSession
	}
	return s.store.UpdateRole(ctx, r)
}

// LambdaCanAssume reports whether roleARN names a role of this account
// whose trust policy lets the Lambda service assume it, as CreateFunction
// requires of an execution role.
func (s *Service) LambdaCanAssume(ctx context.Context, roleARN string) (bool, error) {
	prefix := "arn:aws:iam::" + s.account + ":role/"
	if !strings.HasPrefix(roleARN, prefix) {
		return false, nil
	}
	rest := roleARN[len(prefix)-1:]
	i := strings.LastIndexByte(rest, '/')
	r, err := s.store.Role(ctx, rest[i+1:])
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.Path != rest[:i+1] {
		return false, nil
	}
	trust, err := iampolicy.Parse([]byte(r.TrustPolicy))
	if err != nil {
		return false, nil
	}
	d := iampolicy.Evaluate(&iampolicy.Request{Principal: iampolicy.ServicePrincipal("lambda.amazonaws.com"),
		Action: "sts:AssumeRole", Resource: roleARN, ResourceAccount: s.account},
		&iampolicy.PolicySet{Resource: &iampolicy.NamedPolicy{Name: "trust policy", Policy: trust}, ResourceMustAllow: true})
	return d.Allowed(), nil
}
