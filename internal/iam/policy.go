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

// Limits of managed and inline policies, as IAM's quotas set them.
const (
	MaxPolicyVersions = 5
)

// More store sentinel errors.
var (
	ErrAttached       = errors.New("policy is attached")
	ErrHasVersions    = errors.New("policy has non-default versions")
	ErrDefaultVersion = errors.New("default version")
	ErrHasPolicies    = errors.New("entity has attached policies")
	ErrHasInline      = errors.New("entity has inline policies")
	ErrHasMembers     = errors.New("group has members")
	ErrInGroups       = errors.New("user is in groups")
)

// CodeMalformedPolicyDocument is IAM's code for a rejected policy document.
const CodeMalformedPolicyDocument = "MalformedPolicyDocument"

// ManagedPolicy is a customer managed policy.
type ManagedPolicy struct {
	ID              string // ANPA...
	Name            string
	Path            string
	Description     string
	DefaultVersion  string // "v1", ...
	AttachmentCount int
	Created         time.Time
	Updated         time.Time
}

// ARN returns the policy's ARN in account.
func (p *ManagedPolicy) ARN(account string) string {
	return "arn:aws:iam::" + account + ":policy" + p.Path + p.Name
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID string
	Document  string
	IsDefault bool
	Created   time.Time
}

// StoredPolicy is a policy document that applies to a principal, with the
// labels an explanation shows.
type StoredPolicy struct {
	Name     string // inline policy name, or managed policy ARN once IdentityPolicies returns it
	Managed  bool
	Path     string // managed policies' path
	Source   string // e.g. "user alice (inline)", "user alice (managed)"
	Document string
}

// PolicyStore is the persistence of managed and inline policies.
type PolicyStore interface {
	// CreatePolicy stores p with doc as version v1. Returns ErrExists.
	CreatePolicy(ctx context.Context, p *ManagedPolicy, doc string) error
	// Policy returns the managed policy with the name, or ErrNotFound.
	Policy(ctx context.Context, name string) (*ManagedPolicy, error)
	// ListPolicies lists policies whose path starts with pathPrefix and
	// whose name sorts after after, by name.
	ListPolicies(ctx context.Context, pathPrefix, after string, onlyAttached bool, limit int) ([]*ManagedPolicy, error)
	// DeletePolicy deletes the policy (whose ARN is arn) and its default
	// version. Returns ErrNotFound, ErrAttached (also while it is a
	// permissions boundary) or ErrHasVersions.
	DeletePolicy(ctx context.Context, policyID, arn string) error
	// CreatePolicyVersion adds a version with the next version ID unless the
	// policy has max versions (ErrLimit), and returns it.
	CreatePolicyVersion(ctx context.Context, policyID, doc string, setDefault bool, created time.Time, max int) (*PolicyVersion, error)
	// PolicyVersion returns one version, or ErrNotFound.
	PolicyVersion(ctx context.Context, policyID, versionID string) (*PolicyVersion, error)
	// ListPolicyVersions returns the versions, newest first.
	ListPolicyVersions(ctx context.Context, policyID string) ([]*PolicyVersion, error)
	// DeletePolicyVersion deletes a version. Returns ErrNotFound or
	// ErrDefaultVersion.
	DeletePolicyVersion(ctx context.Context, policyID, versionID string) error
	// SetDefaultPolicyVersion makes a version the default, or returns ErrNotFound.
	SetDefaultPolicyVersion(ctx context.Context, policyID, versionID string, updated time.Time) error

	// AttachPolicy attaches the policy to the entity; attaching twice is
	// not an error.
	AttachPolicy(ctx context.Context, e Entity, policyID string) error
	// DetachPolicy detaches it, or returns ErrNotFound.
	DetachPolicy(ctx context.Context, e Entity, policyID string) error
	// ListAttachedPolicies returns the entity's managed policies by name.
	ListAttachedPolicies(ctx context.Context, e Entity) ([]*ManagedPolicy, error)
	// PutInlinePolicy creates or replaces an inline policy, unless the
	// entity's inline policies would then exceed maxSize (ErrLimit); size
	// counts non-whitespace characters.
	PutInlinePolicy(ctx context.Context, e Entity, name, doc string, maxSize int) error
	// InlinePolicy returns an inline policy's document, or ErrNotFound.
	InlinePolicy(ctx context.Context, e Entity, name string) (string, error)
	// DeleteInlinePolicy deletes an inline policy, or returns ErrNotFound.
	DeleteInlinePolicy(ctx context.Context, e Entity, name string) error
	// ListInlinePolicies returns the names of the entity's inline policies.
	ListInlinePolicies(ctx context.Context, e Entity) ([]string, error)

	// SetPermissionsBoundary sets ("" removes) the boundary of a user or
	// role, or returns ErrNotFound.
	SetPermissionsBoundary(ctx context.Context, e Entity, arn string) error

	// IdentityPolicies returns every identity-based policy that applies to
	// a user (its own and its groups') or a role: inline policies and the
	// default versions of attached managed policies.
	IdentityPolicies(ctx context.Context, e Entity) ([]StoredPolicy, error)
}

var policyNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)

func checkPolicyName(field, name string) error {
	switch {
	case len(name) < 1:
		return validationError(name, field, "Member must have length greater than or equal to 1")
	case len(name) > 128:
		return validationError(name, field, "Member must have length less than or equal to 128")
	case !policyNameRE.MatchString(name):
		return validationError(name, field, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// checkDocument validates an identity-based policy document as IAM does
// before storing it.
func checkDocument(doc string, max int) error {
	if doc == "" {
		return validationError(doc, "policyDocument", "Member must have length greater than or equal to 1")
	}
	if err := iampolicy.Validate([]byte(doc), iampolicy.Identity); err != nil {
		var ve *iampolicy.ValidationError
		if errors.As(err, &ve) {
			return awserr.New(CodeMalformedPolicyDocument, http.StatusBadRequest, ve.Message)
		}
		return awserr.New(CodeMalformedPolicyDocument, http.StatusBadRequest, "Syntax errors in policy.").Wrap(err)
	}
	if max > 0 && iampolicy.Size([]byte(doc)) > max {
		return awserr.Errorf(CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for PolicySize: %d", max)
	}
	return nil
}

func noSuchPolicy(arn string) error {
	return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "Policy %s does not exist or is not attachable.", arn)
}

// policyByARN resolves a managed policy ARN of this account.
func (s *Service) policyByARN(ctx context.Context, arn string) (*ManagedPolicy, error) {
	prefix := "arn:aws:iam::" + s.account + ":policy/"
	if !strings.HasPrefix(arn, "arn:") {
		return nil, awserr.Errorf(awserr.CodeInvalidInput, http.StatusBadRequest, "ARN %s is not valid.", arn)
	}
	if !strings.HasPrefix(arn, prefix) {
		return nil, noSuchPolicy(arn)
	}
	rest := arn[len(prefix)-1:] // "/path/name"
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	p, err := s.store.Policy(ctx, name)
	if errors.Is(err, ErrNotFound) || err == nil && p.Path != path {
		return nil, noSuchPolicy(arn)
	}
	return p, err
}

// CreatePolicy creates a customer managed policy with doc as its first,
// default version. Returns MalformedPolicyDocument, EntityAlreadyExists or
// ValidationError.
func (s *Service) CreatePolicy(ctx context.Context, name, path, description, doc string) (*ManagedPolicy, error) {
	if path == "" {
		path = "/"
	}
	if err := checkPolicyName("policyName", name); err != nil {
		return nil, err
	}
	if err := checkPath("path", path); err != nil {
		return nil, err
	}
	if len(description) > 1000 {
		return nil, validationError(description, "description", "Member must have length less than or equal to 1000")
	}
	if err := checkDocument(doc, iampolicy.MaxManagedPolicySize); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	p := &ManagedPolicy{ID: NewUniqueID(PrefixPolicy), Name: name, Path: path, Description: description,
		DefaultVersion: "v1", Created: now, Updated: now}
	if err := s.store.CreatePolicy(ctx, p, doc); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, http.StatusConflict, "A policy called %s already exists. Duplicate names are not allowed.", name)
	} else if err != nil {
		return nil, err
	}
	return p, nil
}

// Policy returns the managed policy with the ARN, or NoSuchEntity.
func (s *Service) Policy(ctx context.Context, arn string) (*ManagedPolicy, error) {
	return s.policyByARN(ctx, arn)
}

// ListPolicies lists the account's customer managed policies.
func (s *Service) ListPolicies(ctx context.Context, pathPrefix, after string, onlyAttached bool, limit int) ([]*ManagedPolicy, error) {
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	return s.store.ListPolicies(ctx, pathPrefix, after, onlyAttached, limit)
}

// DeletePolicy deletes a managed policy. Returns NoSuchEntity, or
// DeleteConflict while it is attached or has versions besides the default.
func (s *Service) DeletePolicy(ctx context.Context, arn string) error {
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return err
	}
	switch err := s.store.DeletePolicy(ctx, p.ID, p.ARN(s.account)); {
	case errors.Is(err, ErrAttached):
		return awserr.New(CodeDeleteConflict, http.StatusConflict, "Cannot delete a policy attached to entities.")
	case errors.Is(err, ErrHasVersions):
		return awserr.New(CodeDeleteConflict, http.StatusConflict,
			"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	case errors.Is(err, ErrNotFound):
		return noSuchPolicy(arn)
	default:
		return err
	}
}

// CreatePolicyVersion adds a version to a managed policy. Returns
// LimitExceeded when it has five versions already.
func (s *Service) CreatePolicyVersion(ctx context.Context, arn, doc string, setDefault bool) (*PolicyVersion, error) {
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	if err := checkDocument(doc, iampolicy.MaxManagedPolicySize); err != nil {
		return nil, err
	}
	v, err := s.store.CreatePolicyVersion(ctx, p.ID, doc, setDefault, s.now().UTC().Truncate(time.Second), MaxPolicyVersions)
	if errors.Is(err, ErrLimit) {
		return nil, awserr.Errorf(CodeLimitExceeded, http.StatusConflict,
			"A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", MaxPolicyVersions)
	}
	return v, err
}

func noSuchVersion(arn, v string) error {
	return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "Policy %s version %s does not exist or is not attachable.", arn, v)
}

var versionRE = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)

func checkVersionID(v string) error {
	if !versionRE.MatchString(v) {
		return validationError(v, "versionId", `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return nil
}

// PolicyVersion returns one version of a managed policy.
func (s *Service) PolicyVersion(ctx context.Context, arn, versionID string) (*PolicyVersion, error) {
	if err := checkVersionID(versionID); err != nil {
		return nil, err
	}
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	v, err := s.store.PolicyVersion(ctx, p.ID, versionID)
	if errors.Is(err, ErrNotFound) {
		return nil, noSuchVersion(arn, versionID)
	}
	return v, err
}

// ListPolicyVersions lists a managed policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, arn string) ([]*PolicyVersion, error) {
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	return s.store.ListPolicyVersions(ctx, p.ID)
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, arn, versionID string) error {
	if err := checkVersionID(versionID); err != nil {
		return err
	}
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return err
	}
	switch err := s.store.DeletePolicyVersion(ctx, p.ID, versionID); {
	case errors.Is(err, ErrDefaultVersion):
		return awserr.New(CodeDeleteConflict, http.StatusConflict, "Cannot delete the default version of a policy.")
	case errors.Is(err, ErrNotFound):
		return noSuchVersion(arn, versionID)
	default:
		return err
	}
}

// SetDefaultPolicyVersion makes a version the one that applies.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, arn, versionID string) error {
	if err := checkVersionID(versionID); err != nil {
		return err
	}
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return err
	}
	if err := s.store.SetDefaultPolicyVersion(ctx, p.ID, versionID, s.now().UTC().Truncate(time.Second)); errors.Is(err, ErrNotFound) {
		return noSuchVersion(arn, versionID)
	} else if err != nil {
		return err
	}
	return nil
}

// IdentityPolicies returns the identity-based policies that apply to p, as
// stored now: a changed or detached policy applies from the next request.
// The root user and anonymous callers have none.
func (s *Service) IdentityPolicies(ctx context.Context, p *Principal) ([]StoredPolicy, error) {
	if p == nil || p.Type != PrincipalUser && p.Type != PrincipalAssumedRole {
		return nil, nil
	}
	if p.Account != s.account {
		return nil, fmt.Errorf("principal of account %s is not in this account", p.Account)
	}
	e := Entity{Kind: KindUser, ID: p.UserID}
	if p.Type == PrincipalAssumedRole {
		e = Entity{Kind: KindRole, ID: p.RoleID}
	}
	return s.EntityPolicies(ctx, e)
}

// EntityPolicies returns the identity-based policies of a user (with its
// groups'), a group or a role.
func (s *Service) EntityPolicies(ctx context.Context, e Entity) ([]StoredPolicy, error) {
	ps, err := s.store.IdentityPolicies(ctx, e)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Managed {
			ps[i].Name = (&ManagedPolicy{Name: ps[i].Name, Path: ps[i].Path}).ARN(s.account)
		}
	}
	return ps, nil
}

// SessionPolicies returns the session policies of a role session: the
// inline policy passed to AssumeRole and the current default versions of
// the managed policies it named. None means the session keeps its role's
// permissions.
func (s *Service) SessionPolicies(ctx context.Context, p *Principal) ([]StoredPolicy, error) {
	if p == nil || (p.SessionPolicy == "" && len(p.SessionPolicyARNs) == 0) {
		return nil, nil
	}
	var out []StoredPolicy
	if p.SessionPolicy != "" {
		out = append(out, StoredPolicy{Name: "session policy", Source: "session " + p.ARN, Document: p.SessionPolicy})
	}
	for _, arn := range p.SessionPolicyARNs {
		mp, err := s.policyByARN(ctx, arn)
		if err != nil {
			// A deleted managed session policy grants nothing; an empty
			// allow-nothing document keeps the session limited.
			out = append(out, StoredPolicy{Name: arn, Source: "session " + p.ARN, Document: allowNothing})
			continue
		}
		v, err := s.store.PolicyVersion(ctx, mp.ID, mp.DefaultVersion)
		if err != nil {
			return nil, err
		}
		out = append(out, StoredPolicy{Name: arn, Managed: true, Path: mp.Path, Source: "session " + p.ARN, Document: v.Document})
	}
	return out, nil
}

// allowNothing is a policy that allows nothing and denies nothing.
const allowNothing = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"*","Resource":"*"}]}`

// CheckSessionPolicy validates a session policy passed to AssumeRole.
func CheckSessionPolicy(doc string) error {
	if err := checkDocument(doc, 2048); err != nil {
		if awserr.CodeOf(err) == CodeLimitExceeded {
			return awserr.New("PackedPolicyTooLarge", http.StatusBadRequest, "Packed policy consumes more than 100% of the allotted size.")
		}
		return err
	}
	return nil
}

// PutPermissionsBoundary makes a managed policy the permissions boundary of
// a user or role.
func (s *Service) PutPermissionsBoundary(ctx context.Context, kind EntityKind, name, arn string) error {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	p, err := s.policyByARN(ctx, arn)
	if err != nil {
		return err
	}
	return s.store.SetPermissionsBoundary(ctx, e, p.ARN(s.account))
}

// DeletePermissionsBoundary removes the boundary of a user or role.
func (s *Service) DeletePermissionsBoundary(ctx context.Context, kind EntityKind, name string) error {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	return s.store.SetPermissionsBoundary(ctx, e, "")
}

// Boundary returns the permissions boundary that applies to p, or nil.
func (s *Service) Boundary(ctx context.Context, p *Principal) (*StoredPolicy, error) {
	if p == nil {
		return nil, nil
	}
	var arn, owner string
	switch p.Type {
	case PrincipalUser:
		u, err := s.store.UserByID(ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		arn, owner = u.PermissionsBoundary, "user "+u.Name
	case PrincipalAssumedRole:
		r, err := s.store.RoleByID(ctx, p.RoleID)
		if err != nil {
			return nil, err
		}
		arn, owner = r.PermissionsBoundary, "role "+r.Name
	}
	if arn == "" {
		return nil, nil
	}
	mp, err := s.policyByARN(ctx, arn)
	if err != nil {
		return &StoredPolicy{Name: arn, Source: owner + " (boundary)", Document: allowNothing}, nil
	}
	v, err := s.store.PolicyVersion(ctx, mp.ID, mp.DefaultVersion)
	if err != nil {
		return nil, err
	}
	return &StoredPolicy{Name: arn, Managed: true, Path: mp.Path, Source: owner + " (boundary)", Document: v.Document}, nil
}
