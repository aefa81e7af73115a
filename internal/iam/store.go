package iam

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Store when the requested entity does not exist.
var ErrNotFound = errors.New("not found")

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a long-term access key as stored: the secret is sealed.
type AccessKey struct {
	ID           string
	UserID       string // "" for the root user's key
	UserName     string // "" for the root user's key
	UserPath     string // "" for the root user's key
	Root         bool
	Status       string // StatusActive or StatusInactive
	Created      time.Time
	SealedSecret []byte
}

// Store is the persistence the iam package needs. Every method is a whole
// operation that owns its transaction.
type Store interface {
	// Setting returns the value of a named setting, or ErrNotFound.
	Setting(ctx context.Context, name string) (string, error)
	// InitSetting stores value under name unless the name already has a
	// value, and returns the value that is stored now.
	InitSetting(ctx context.Context, name, value string) (string, error)
	// AccessKey returns the access key with the given ID, or ErrNotFound.
	AccessKey(ctx context.Context, id string) (*AccessKey, error)
	// RootAccessKey returns the root user's access key, or ErrNotFound.
	RootAccessKey(ctx context.Context) (*AccessKey, error)
	// ReplaceRootAccessKey makes k the root user's only access key.
	ReplaceRootAccessKey(ctx context.Context, k *AccessKey) error
	// CreateRootAccessKey stores k as the root user's access key if it
	// has none, and returns ErrExists if it has one.
	CreateRootAccessKey(ctx context.Context, k *AccessKey) error

	UserStore
	GroupStore
	RoleStore
	PolicyStore
	TagStore
}
