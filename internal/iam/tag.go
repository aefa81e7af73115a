package iam

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
)

// MaxTags is IAM's limit of tags per user or role.
const MaxTags = 50

// Tag is a key-value tag of a user or role.
type Tag struct {
	Key   string
	Value string
}

// TagStore is the persistence of tags and key usage.
type TagStore interface {
	// Tags returns an entity's tags by key.
	Tags(ctx context.Context, e Entity) ([]Tag, error)
	// TagEntity adds or replaces tags unless the entity would then have more
	// than max (ErrLimit).
	TagEntity(ctx context.Context, e Entity, tags []Tag, max int) error
	// UntagEntity removes the tags with the keys.
	UntagEntity(ctx context.Context, e Entity, keys []string) error
	// TouchAccessKey records a use of a key.
	TouchAccessKey(ctx context.Context, id string, at time.Time, service, region string) error
	// AccessKeyLastUsed returns when and where a key was last used; a zero
	// time when never. ErrNotFound for an unknown key.
	AccessKeyLastUsed(ctx context.Context, id string) (userName string, at time.Time, service, region string, err error)
}

var tagKeyRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
var tagValueRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// CheckTags validates tags as IAM does.
func CheckTags(tags []Tag) error {
	if len(tags) > MaxTags {
		return awserr.Errorf(CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for TagsPerEntity: %d", MaxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || !tagKeyRE.MatchString(t.Key) {
			return validationError(t.Key, "tags.member.key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		if len(t.Value) > 256 || !tagValueRE.MatchString(t.Value) {
			return validationError(t.Value, "tags.member.value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		k := lower(t.Key)
		if seen[k] {
			return awserr.New(awserr.CodeInvalidInput, http.StatusBadRequest, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// TagEntity adds or replaces tags of a user or role.
func (s *Service) TagEntity(ctx context.Context, kind EntityKind, name string, tags []Tag) error {
	if err := CheckTags(tags); err != nil {
		return err
	}
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	if err := s.store.TagEntity(ctx, e, tags, MaxTags); errors.Is(err, ErrLimit) {
		return awserr.Errorf(CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for TagsPerEntity: %d", MaxTags)
	} else if err != nil {
		return err
	}
	return nil
}

// UntagEntity removes tags of a user or role.
func (s *Service) UntagEntity(ctx context.Context, kind EntityKind, name string, keys []string) error {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return err
	}
	return s.store.UntagEntity(ctx, e, keys)
}

// EntityTags returns the tags of a user or role.
func (s *Service) EntityTags(ctx context.Context, kind EntityKind, name string) ([]Tag, error) {
	e, err := s.Entity(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	return s.store.Tags(ctx, e)
}

// PrincipalTags returns the tags of the user or role behind p, which
// policies see as aws:PrincipalTag/<key>.
func (s *Service) PrincipalTags(ctx context.Context, p *Principal) ([]Tag, error) {
	switch {
	case p == nil:
		return nil, nil
	case p.Type == PrincipalUser:
		return s.store.Tags(ctx, Entity{Kind: KindUser, ID: p.UserID})
	case p.Type == PrincipalAssumedRole:
		return s.store.Tags(ctx, Entity{Kind: KindRole, ID: p.RoleID})
	}
	return nil, nil
}

// keyUse throttles last-used writes to one per key per minute, so that
// recording use does not put a write on every request's path.
type keyUse struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// RecordKeyUse notes that a long-term access key signed a request. Writes
// are throttled to one per key per minute; failures are returned for
// logging only.
func (s *Service) RecordKeyUse(ctx context.Context, id, service, region string) error {
	now := s.now()
	s.use.mu.Lock()
	if s.use.last == nil {
		s.use.last = map[string]time.Time{}
	}
	if t, ok := s.use.last[id]; ok && now.Sub(t) < time.Minute {
		s.use.mu.Unlock()
		return nil
	}
	if len(s.use.last) > 10000 {
		s.use.last = map[string]time.Time{}
	}
	s.use.last[id] = now
	s.use.mu.Unlock()
	return s.store.TouchAccessKey(ctx, id, now.UTC(), service, region)
}

// AccessKeyLastUsed reports when and where a key was last used; the time
// is zero when it never was. Returns NoSuchEntity for an unknown key.
func (s *Service) AccessKeyLastUsed(ctx context.Context, id string) (userName string, at time.Time, service, region string, err error) {
	userName, at, service, region, err = s.store.AccessKeyLastUsed(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", time.Time{}, "", "", noSuchKey(id)
	}
	return userName, at, service, region, err
}
