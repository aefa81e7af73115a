package lambda

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/fnurl/fnurl/internal/awserr"
)

// Alias is a named pointer to a published version (or $LATEST).
type Alias struct {
	FunctionName    string `json:"function"`
	Name            string `json:"name"`
	FunctionVersion string `json:"version"`
	Description     string `json:"description,omitempty"`
	RevisionID      string `json:"revision"`
}

// VersionStore is the persistence of published versions and aliases.
type VersionStore interface {
	// PublishVersion stores f as the next version number and returns it.
	PublishVersion(ctx context.Context, f *Function) (*Function, error)
	// Version returns a published version, or ErrNotFound.
	Version(ctx context.Context, name string, version int) (*Function, error)
	// ListVersions returns the published versions, oldest first.
	ListVersions(ctx context.Context, name string) ([]*Function, error)
	// CreateAlias stores a, or returns ErrExists.
	CreateAlias(ctx context.Context, a *Alias) error
	// Alias returns an alias, or ErrNotFound.
	Alias(ctx context.Context, name, alias string) (*Alias, error)
	// ListAliases returns a function's aliases by name.
	ListAliases(ctx context.Context, name string) ([]*Alias, error)
	// UpdateAlias replaces an alias, or returns ErrNotFound.
	UpdateAlias(ctx context.Context, a *Alias) error
	// DeleteAlias deletes an alias with its URL configuration and policy,
	// or returns ErrNotFound.
	DeleteAlias(ctx context.Context, name, alias string) error
}

// aliasName reports whether s may name an alias: not a number, not $LATEST.
func aliasName(s string) bool {
	if s == "" || len(s) > 128 || numericRE.MatchString(s) {
		return false
	}
	return qualifierRE.MatchString(s)
}

// PublishVersion freezes the function's current code and configuration as
// a new numbered version.
func (s *Service) PublishVersion(ctx context.Context, nameOrARN, description, revision string) (*Function, error) {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	if revision != "" && revision != f.RevisionID {
		return nil, preconditionFailed()
	}
	v := *f
	if description != "" {
		v.Description = description
	}
	v.RevisionID = newRevision()
	v.LastModified = s.now().UTC()
	return s.store.PublishVersion(ctx, &v)
}

// ListVersions returns $LATEST followed by the published versions.
func (s *Service) ListVersions(ctx context.Context, nameOrARN string) ([]*Function, error) {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.ListVersions(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	return append([]*Function{f}, vs...), nil
}

// Resolve returns the configuration a qualifier names: "" or $LATEST, a
// published version number, or an alias (followed to its version).
func (s *Service) Resolve(ctx context.Context, name, qualifier string) (*Function, error) {
	f, err := s.store.Function(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(s.ARN(name))
	}
	if err != nil || qualifier == "" || qualifier == "$LATEST" {
		return f, err
	}
	version := qualifier
	if !numericRE.MatchString(qualifier) {
		a, err := s.store.Alias(ctx, name, qualifier)
		if errors.Is(err, ErrNotFound) {
			return nil, notFound(s.ARN(name) + ":" + qualifier)
		}
		if err != nil {
			return nil, err
		}
		if a.FunctionVersion == "$LATEST" {
			return f, nil
		}
		version = a.FunctionVersion
	}
	n, err := strconv.Atoi(version)
	if err != nil {
		return nil, notFound(s.ARN(name) + ":" + qualifier)
	}
	v, err := s.store.Version(ctx, name, n)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(s.ARN(name) + ":" + qualifier)
	}
	return v, err
}

func (s *Service) checkAliasTarget(ctx context.Context, name, version string) error {
	if version == "$LATEST" {
		return nil
	}
	n, err := strconv.Atoi(version)
	if err != nil {
		return validation(version, "functionVersion", `Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)`)
	}
	if _, err := s.store.Version(ctx, name, n); errors.Is(err, ErrNotFound) {
		return awserr.Errorf(CodeResourceNotFound, http.StatusNotFound, "Function not found: %s:%s", s.ARN(name), version)
	} else if err != nil {
		return err
	}
	return nil
}

// CreateAlias creates an alias of a function version.
func (s *Service) CreateAlias(ctx context.Context, nameOrARN, alias, version, description string) (*Alias, error) {
	if !aliasName(alias) {
		return nil, validation(alias, "name", `Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`)
	}
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	if err := s.checkAliasTarget(ctx, f.Name, version); err != nil {
		return nil, err
	}
	a := &Alias{FunctionName: f.Name, Name: alias, FunctionVersion: version, Description: description, RevisionID: newRevision()}
	if err := s.store.CreateAlias(ctx, a); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeResourceConflict, http.StatusConflict, "Alias already exists: %s:%s", s.ARN(f.Name), alias)
	} else if err != nil {
		return nil, err
	}
	return a, nil
}

func noAlias(arn string) error {
	return awserr.Errorf(CodeResourceNotFound, http.StatusNotFound, "Cannot find alias arn: %s", arn)
}

// Alias returns an alias.
func (s *Service) Alias(ctx context.Context, nameOrARN, alias string) (*Alias, error) {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Alias(ctx, f.Name, alias)
	if errors.Is(err, ErrNotFound) {
		return nil, noAlias(s.ARN(f.Name) + ":" + alias)
	}
	return a, err
}

// ListAliases returns a function's aliases.
func (s *Service) ListAliases(ctx context.Context, nameOrARN string) ([]*Alias, error) {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	return s.store.ListAliases(ctx, f.Name)
}

// UpdateAlias points an alias at another version or changes its description.
func (s *Service) UpdateAlias(ctx context.Context, nameOrARN, alias string, version, description *string, revision string) (*Alias, error) {
	a, err := s.Alias(ctx, nameOrARN, alias)
	if err != nil {
		return nil, err
	}
	if revision != "" && revision != a.RevisionID {
		return nil, awserr.New(CodePreconditionFailed, http.StatusPreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id")
	}
	if version != nil {
		if err := s.checkAliasTarget(ctx, a.FunctionName, *version); err != nil {
			return nil, err
		}
		a.FunctionVersion = *version
	}
	if description != nil {
		a.Description = *description
	}
	a.RevisionID = newRevision()
	if err := s.store.UpdateAlias(ctx, a); errors.Is(err, ErrNotFound) {
		return nil, noAlias(s.ARN(a.FunctionName) + ":" + alias)
	} else if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteAlias deletes an alias; its function URL and policy go with it, so
// the URL answers 403 from then on, as on AWS.
func (s *Service) DeleteAlias(ctx context.Context, nameOrARN, alias string) error {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAlias(ctx, f.Name, alias); errors.Is(err, ErrNotFound) {
		return noAlias(s.ARN(f.Name) + ":" + alias)
	} else if err != nil {
		return err
	}
	return nil
}
