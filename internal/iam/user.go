package iam

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
)

// IAM error codes.
const (
	CodeNoSuchEntity        = "NoSuchEntity"
	CodeEntityAlreadyExists = "EntityAlreadyExists"
	CodeLimitExceeded       = "LimitExceeded"
	CodeDeleteConflict      = "DeleteConflict"
)

// MaxAccessKeysPerUser is IAM's quota of access keys per user, active or not.
const MaxAccessKeysPerUser = 2

// Store sentinel errors beyond ErrNotFound.
var (
	ErrExists      = errors.New("already exists")
	ErrLimit       = errors.New("limit exceeded")
	ErrUserHasKeys = errors.New("user has access keys")
)

// User is an IAM user.
type User struct {
	ID                  string // AIDA...
	Name                string
	Path                string // "/" or "/a/b/"
	Created             time.Time
	PermissionsBoundary string // managed policy ARN, or ""
}

// ARN returns the user's ARN in account.
func (u *User) ARN(account string) string {
	return "arn:aws:iam::" + account + ":user" + u.Path + u.Name
}

// UserStore is the persistence of users and their access keys.
type UserStore interface {
	// CreateUser stores u. Returns ErrExists if a user with that name (in
	// any case) exists.
	CreateUser(ctx context.Context, u *User) error
	// User returns the user with the name (case-insensitive), or ErrNotFound.
	User(ctx context.Context, name string) (*User, error)
	// UserByID returns the user with the unique ID, or ErrNotFound.
	UserByID(ctx context.Context, id string) (*User, error)
	// ListUsers returns up to limit users whose path starts with
	// pathPrefix and whose name sorts after after, ordered by name.
	ListUsers(ctx context.Context, pathPrefix, after string, limit int) ([]*User, error)
	// DeleteUser deletes the user. Returns ErrNotFound, or ErrUserHasKeys,
	// ErrHasPolicies, ErrHasInline or ErrInGroups while the user still has
	// access keys, attached or inline policies or group memberships.
	DeleteUser(ctx context.Context, name string) error
	// CreateAccessKey stores k for its user unless the user already has
	// max keys (ErrLimit). Returns ErrNotFound if the user does not exist.
	CreateAccessKey(ctx context.Context, k *AccessKey, max int) error
	// ListAccessKeys returns the user's keys, oldest first.
	ListAccessKeys(ctx context.Context, userID string) ([]*AccessKey, error)
	// SetAccessKeyStatus sets the status of the user's key, or returns ErrNotFound.
	SetAccessKeyStatus(ctx context.Context, userID, keyID, status string) error
	// DeleteAccessKey deletes the user's key, or returns ErrNotFound.
	DeleteAccessKey(ctx context.Context, userID, keyID string) error
}

var (
	userNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE     = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
)

// validationError words a constraint failure as the AWS validator does.
func validationError(value, field, constraint string) *awserr.Error {
	return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func checkUserName(field, name string) error {
	switch {
	case len(name) < 1:
		return validationError(name, field, "Member must have length greater than or equal to 1")
	case len(name) > 64:
		return validationError(name, field, "Member must have length less than or equal to 64")
	case !userNameRE.MatchString(name):
		return validationError(name, field, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

func checkPath(field, path string) error {
	switch {
	case len(path) > 512:
		return validationError(path, field, "Member must have length less than or equal to 512")
	case !pathRE.MatchString(path):
		return validationError(path, field, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return nil
}

func noSuchUser(name string) error {
	return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "The user with name %s cannot be found.", name)
}

// CreateUser creates an IAM user. Returns EntityAlreadyExists if the name is
// taken (IAM names are unique without regard to case) and ValidationError for
// a bad name or path.
func (s *Service) CreateUser(ctx context.Context, name, path string) (*User, error) {
	if path == "" {
		path = "/"
	}
	if err := checkUserName("userName", name); err != nil {
		return nil, err
	}
	if err := checkPath("path", path); err != nil {
		return nil, err
	}
	u := &User{ID: NewUniqueID(PrefixUser), Name: name, Path: path, Created: s.now().UTC().Truncate(time.Second)}
	if err := s.store.CreateUser(ctx, u); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, http.StatusConflict, "User with name %s already exists.", name)
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// User returns the named user, or NoSuchEntity.
func (s *Service) User(ctx context.Context, name string) (*User, error) {
	if err := checkUserName("userName", name); err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, noSuchUser(name)
	}
	return u, err
}

// UserByID returns the user with the unique ID, or ErrNotFound (a plain
// error: callers decide what a vanished user means to the client).
func (s *Service) UserByID(ctx context.Context, id string) (*User, error) {
	return s.store.UserByID(ctx, id)
}

// ListUsers lists users in name order. after is the last name of the
// previous page ("" for the first).
func (s *Service) ListUsers(ctx context.Context, pathPrefix, after string, limit int) ([]*User, error) {
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	if !strings.HasPrefix(pathPrefix, "/") {
		return nil, validationError(pathPrefix, "pathPrefix", `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return s.store.ListUsers(ctx, pathPrefix, after, limit)
}

// DeleteUser deletes the named user. Returns NoSuchEntity, or
// DeleteConflict while the user still has access keys.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	if err := checkUserName("userName", name); err != nil {
		return err
	}
	switch err := s.store.DeleteUser(ctx, name); {
	case errors.Is(err, ErrNotFound):
		return noSuchUser(name)
	case errors.Is(err, ErrUserHasKeys):
		return awserr.New(CodeDeleteConflict, http.StatusConflict, "Cannot delete entity, must delete access keys first.")
	case errors.Is(err, ErrHasPolicies), errors.Is(err, ErrHasInline), errors.Is(err, ErrInGroups):
		return deleteConflict(err)
	default:
		return err
	}
}

// NewAccessKey is a freshly created access key: the only time its secret
// is shown.
type NewAccessKey struct {
	AccessKey
	SecretAccessKey string
}

// CreateAccessKey creates a long-term access key for the named user.
// Returns NoSuchEntity, or LimitExceeded when the user has two keys already.
func (s *Service) CreateAccessKey(ctx context.Context, userName string) (*NewAccessKey, error) {
	u, err := s.User(ctx, userName)
	if err != nil {
		return nil, err
	}
	id, secret := NewAccessKeyID(PrefixAccessKey), NewSecretAccessKey()
	sealed, err := s.keys.Seal(purposeAccessKey, []byte(id), []byte(secret))
	if err != nil {
		return nil, err
	}
	k := &AccessKey{ID: id, UserID: u.ID, UserName: u.Name, Status: StatusActive,
		Created: s.now().UTC().Truncate(time.Second), SealedSecret: sealed}
	switch err := s.store.CreateAccessKey(ctx, k, MaxAccessKeysPerUser); {
	case errors.Is(err, ErrLimit):
		return nil, awserr.Errorf(CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)
	case errors.Is(err, ErrNotFound):
		return nil, noSuchUser(userName)
	case err != nil:
		return nil, err
	}
	return &NewAccessKey{AccessKey: *k, SecretAccessKey: secret}, nil
}

// ListAccessKeys returns the named user's keys, without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, userName string) ([]*AccessKey, error) {
	u, err := s.User(ctx, userName)
	if err != nil {
		return nil, err
	}
	return s.store.ListAccessKeys(ctx, u.ID)
}

func noSuchKey(id string) error {
	return awserr.Errorf(CodeNoSuchEntity, http.StatusNotFound, "The Access Key with id %s cannot be found.", id)
}

// UpdateAccessKey sets a key of the named user Active or Inactive. An
// inactive key stops working on the next request.
func (s *Service) UpdateAccessKey(ctx context.Context, userName, keyID, status string) error {
	if status != StatusActive && status != StatusInactive {
		return validationError(status, "status", "Member must satisfy enum value set: [Active, Inactive]")
	}
	u, err := s.User(ctx, userName)
	if err != nil {
		return err
	}
	if err := s.store.SetAccessKeyStatus(ctx, u.ID, keyID, status); errors.Is(err, ErrNotFound) {
		return noSuchKey(keyID)
	} else if err != nil {
		return err
	}
	return nil
}

// DeleteAccessKey deletes a key of the named user.
func (s *Service) DeleteAccessKey(ctx context.Context, userName, keyID string) error {
	u, err := s.User(ctx, userName)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAccessKey(ctx, u.ID, keyID); errors.Is(err, ErrNotFound) {
		return noSuchKey(keyID)
	} else if err != nil {
		return err
	}
	return nil
}
