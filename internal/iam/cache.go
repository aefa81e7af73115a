package iam

import (
	"context"
	"slices"
	"time"

	"github.com/fnurl/fnurl/internal/readcache"
)

// CacheReads makes the Service keep the reads that every signed request
// makes in memory: access keys by ID, users and roles by ID and by name, the
// identity-based policies of users and roles, managed policies and their
// versions (for permissions boundaries and session policies) and tags. A
// signed request with warm caches then reads nothing from the store. Every
// write through the Service empties the cache, before and after it reaches
// the store, so the request after a write sees it, as without the cache.
//
// Call it when this Service is the only writer of the store (the embedded
// SQLite store, which one server owns), or when the caller learns of every
// other writer's changes and reports them through the returned Control:
// servers sharing a PostgreSQL store hear of each other's writes through
// its notifications (package postgres), and turn the cache off while they
// cannot. It must be called before the Service is used.
func (s *Service) CacheReads() readcache.Control {
	c, ok := s.store.(*cachingStore)
	if !ok {
		c = newCachingStore(s.store)
		s.store = c
	}
	return c.cache
}

// maxCached bounds the cache; a full cache is emptied.
const maxCached = 8192

// cachingStore is a Store that remembers some reads (see package
// readcache). It implements every method of Store itself (no embedding),
// so that a method added to Store must be classified here as a read or a
// write before it compiles. Only successful reads are kept: unknown access
// key IDs, which anyone can send, do not fill the cache.
type cachingStore struct {
	s     Store
	cache *readcache.Cache[cacheKey]
}

// cacheKey names one read: the method and its arguments.
type cacheKey struct {
	method string
	kind   EntityKind
	a, b   string
}

var _ Store = (*cachingStore)(nil)

func newCachingStore(s Store) *cachingStore {
	return &cachingStore{s: s, cache: readcache.New[cacheKey](maxCached)}
}

func (c *cachingStore) write(f func() error) error { return c.cache.Write(f) }

func cloneAccessKey(k *AccessKey) *AccessKey {
	c := readcache.Ptr(k)
	if c != nil {
		c.SealedSecret = slices.Clone(k.SealedSecret)
	}
	return c
}

// Cached reads.

func (c *cachingStore) AccessKey(ctx context.Context, id string) (*AccessKey, error) {
	return readcache.Get(c.cache, cacheKey{method: "AccessKey", a: id}, cloneAccessKey, func() (*AccessKey, error) { return c.s.AccessKey(ctx, id) })
}

func (c *cachingStore) UserByID(ctx context.Context, id string) (*User, error) {
	return readcache.Get(c.cache, cacheKey{method: "UserByID", a: id}, readcache.Ptr[User], func() (*User, error) { return c.s.UserByID(ctx, id) })
}

// User and Role are read by name for IAM's Get and STS's AssumeRole; a
// name is cached as it was asked (names are case-insensitive), and only
// when found.
func (c *cachingStore) User(ctx context.Context, name string) (*User, error) {
	return readcache.Get(c.cache, cacheKey{method: "User", a: name}, readcache.Ptr[User], func() (*User, error) { return c.s.User(ctx, name) })
}

func (c *cachingStore) Role(ctx context.Context, name string) (*Role, error) {
	return readcache.Get(c.cache, cacheKey{method: "Role", a: name}, readcache.Ptr[Role], func() (*Role, error) { return c.s.Role(ctx, name) })
}

func (c *cachingStore) RoleByID(ctx context.Context, id string) (*Role, error) {
	return readcache.Get(c.cache, cacheKey{method: "RoleByID", a: id}, readcache.Ptr[Role], func() (*Role, error) { return c.s.RoleByID(ctx, id) })
}

func (c *cachingStore) Policy(ctx context.Context, name string) (*ManagedPolicy, error) {
	return readcache.Get(c.cache, cacheKey{method: "Policy", a: name}, readcache.Ptr[ManagedPolicy], func() (*ManagedPolicy, error) { return c.s.Policy(ctx, name) })
}

func (c *cachingStore) PolicyVersion(ctx context.Context, policyID, versionID string) (*PolicyVersion, error) {
	return readcache.Get(c.cache, cacheKey{method: "PolicyVersion", a: policyID, b: versionID}, readcache.Ptr[PolicyVersion], func() (*PolicyVersion, error) {
		return c.s.PolicyVersion(ctx, policyID, versionID)
	})
}

func (c *cachingStore) IdentityPolicies(ctx context.Context, e Entity) ([]StoredPolicy, error) {
	return readcache.Get(c.cache, cacheKey{method: "IdentityPolicies", kind: e.Kind, a: e.ID, b: e.Path + e.Name}, slices.Clone[[]StoredPolicy], func() ([]StoredPolicy, error) {
		return c.s.IdentityPolicies(ctx, e)
	})
}

func (c *cachingStore) Tags(ctx context.Context, e Entity) ([]Tag, error) {
	return readcache.Get(c.cache, cacheKey{method: "Tags", kind: e.Kind, a: e.ID, b: e.Path + e.Name}, slices.Clone[[]Tag], func() ([]Tag, error) {
		return c.s.Tags(ctx, e)
	})
}

// Reads that are not cached.

func (c *cachingStore) Setting(ctx context.Context, name string) (string, error) {
	return c.s.Setting(ctx, name)
}

func (c *cachingStore) RootAccessKey(ctx context.Context) (*AccessKey, error) {
	return c.s.RootAccessKey(ctx)
}

func (c *cachingStore) ListUsers(ctx context.Context, pathPrefix, after string, limit int) ([]*User, error) {
	return c.s.ListUsers(ctx, pathPrefix, after, limit)
}

func (c *cachingStore) ListAccessKeys(ctx context.Context, userID string) ([]*AccessKey, error) {
	return c.s.ListAccessKeys(ctx, userID)
}

func (c *cachingStore) Group(ctx context.Context, name string) (*Group, error) {
	return c.s.Group(ctx, name)
}

func (c *cachingStore) ListGroups(ctx context.Context, pathPrefix, after string, limit int) ([]*Group, error) {
	return c.s.ListGroups(ctx, pathPrefix, after, limit)
}

func (c *cachingStore) GroupMembers(ctx context.Context, groupID string) ([]*User, error) {
	return c.s.GroupMembers(ctx, groupID)
}

func (c *cachingStore) GroupsForUser(ctx context.Context, userID string) ([]*Group, error) {
	return c.s.GroupsForUser(ctx, userID)
}

func (c *cachingStore) ListRoles(ctx context.Context, pathPrefix, after string, limit int) ([]*Role, error) {
	return c.s.ListRoles(ctx, pathPrefix, after, limit)
}

func (c *cachingStore) ListPolicies(ctx context.Context, pathPrefix, after string, onlyAttached bool, limit int) ([]*ManagedPolicy, error) {
	return c.s.ListPolicies(ctx, pathPrefix, after, onlyAttached, limit)
}

func (c *cachingStore) ListPolicyVersions(ctx context.Context, policyID string) ([]*PolicyVersion, error) {
	return c.s.ListPolicyVersions(ctx, policyID)
}

func (c *cachingStore) ListAttachedPolicies(ctx context.Context, e Entity) ([]*ManagedPolicy, error) {
	return c.s.ListAttachedPolicies(ctx, e)
}

func (c *cachingStore) InlinePolicy(ctx context.Context, e Entity, name string) (string, error) {
	return c.s.InlinePolicy(ctx, e, name)
}

func (c *cachingStore) ListInlinePolicies(ctx context.Context, e Entity) ([]string, error) {
	return c.s.ListInlinePolicies(ctx, e)
}

func (c *cachingStore) AccessKeyLastUsed(ctx context.Context, id string) (string, time.Time, string, string, error) {
	return c.s.AccessKeyLastUsed(ctx, id)
}

// TouchAccessKey records a key's last use, which no cached read returns:
// it leaves the cache as it is.
func (c *cachingStore) TouchAccessKey(ctx context.Context, id string, at time.Time, service, region string) error {
	return c.s.TouchAccessKey(ctx, id, at, service, region)
}

// Writes: each one empties the cache.

func (c *cachingStore) InitSetting(ctx context.Context, name, value string) (string, error) {
	var v string
	err := c.write(func() (err error) { v, err = c.s.InitSetting(ctx, name, value); return err })
	return v, err
}

func (c *cachingStore) ReplaceRootAccessKey(ctx context.Context, k *AccessKey) error {
	return c.write(func() error { return c.s.ReplaceRootAccessKey(ctx, k) })
}

func (c *cachingStore) CreateRootAccessKey(ctx context.Context, k *AccessKey) error {
	return c.write(func() error { return c.s.CreateRootAccessKey(ctx, k) })
}

func (c *cachingStore) CreateUser(ctx context.Context, u *User) error {
	return c.write(func() error { return c.s.CreateUser(ctx, u) })
}

func (c *cachingStore) DeleteUser(ctx context.Context, name string) error {
	return c.write(func() error { return c.s.DeleteUser(ctx, name) })
}

func (c *cachingStore) CreateAccessKey(ctx context.Context, k *AccessKey, max int) error {
	return c.write(func() error { return c.s.CreateAccessKey(ctx, k, max) })
}

func (c *cachingStore) SetAccessKeyStatus(ctx context.Context, userID, keyID, status string) error {
	return c.write(func() error { return c.s.SetAccessKeyStatus(ctx, userID, keyID, status) })
}

func (c *cachingStore) DeleteAccessKey(ctx context.Context, userID, keyID string) error {
	return c.write(func() error { return c.s.DeleteAccessKey(ctx, userID, keyID) })
}

func (c *cachingStore) CreateGroup(ctx context.Context, g *Group) error {
	return c.write(func() error { return c.s.CreateGroup(ctx, g) })
}

func (c *cachingStore) DeleteGroup(ctx context.Context, name string) error {
	return c.write(func() error { return c.s.DeleteGroup(ctx, name) })
}

func (c *cachingStore) AddUserToGroup(ctx context.Context, groupID, userID string) error {
	return c.write(func() error { return c.s.AddUserToGroup(ctx, groupID, userID) })
}

func (c *cachingStore) RemoveUserFromGroup(ctx context.Context, groupID, userID string) error {
	return c.write(func() error { return c.s.RemoveUserFromGroup(ctx, groupID, userID) })
}

func (c *cachingStore) CreateRole(ctx context.Context, r *Role) error {
	return c.write(func() error { return c.s.CreateRole(ctx, r) })
}

func (c *cachingStore) DeleteRole(ctx context.Context, name string) error {
	return c.write(func() error { return c.s.DeleteRole(ctx, name) })
}

func (c *cachingStore) UpdateRole(ctx context.Context, r *Role) error {
	return c.write(func() error { return c.s.UpdateRole(ctx, r) })
}

func (c *cachingStore) CreatePolicy(ctx context.Context, p *ManagedPolicy, doc string) error {
	return c.write(func() error { return c.s.CreatePolicy(ctx, p, doc) })
}

func (c *cachingStore) DeletePolicy(ctx context.Context, policyID, arn string) error {
	return c.write(func() error { return c.s.DeletePolicy(ctx, policyID, arn) })
}

func (c *cachingStore) CreatePolicyVersion(ctx context.Context, policyID, doc string, setDefault bool, created time.Time, max int) (*PolicyVersion, error) {
	var v *PolicyVersion
	err := c.write(func() (err error) {
		v, err = c.s.CreatePolicyVersion(ctx, policyID, doc, setDefault, created, max)
		return err
	})
	return v, err
}

func (c *cachingStore) DeletePolicyVersion(ctx context.Context, policyID, versionID string) error {
	return c.write(func() error { return c.s.DeletePolicyVersion(ctx, policyID, versionID) })
}

func (c *cachingStore) SetDefaultPolicyVersion(ctx context.Context, policyID, versionID string, updated time.Time) error {
	return c.write(func() error { return c.s.SetDefaultPolicyVersion(ctx, policyID, versionID, updated) })
}

func (c *cachingStore) AttachPolicy(ctx context.Context, e Entity, policyID string) error {
	return c.write(func() error { return c.s.AttachPolicy(ctx, e, policyID) })
}

func (c *cachingStore) DetachPolicy(ctx context.Context, e Entity, policyID string) error {
	return c.write(func() error { return c.s.DetachPolicy(ctx, e, policyID) })
}

func (c *cachingStore) PutInlinePolicy(ctx context.Context, e Entity, name, doc string, maxSize int) error {
	return c.write(func() error { return c.s.PutInlinePolicy(ctx, e, name, doc, maxSize) })
}

func (c *cachingStore) DeleteInlinePolicy(ctx context.Context, e Entity, name string) error {
	return c.write(func() error { return c.s.DeleteInlinePolicy(ctx, e, name) })
}

func (c *cachingStore) SetPermissionsBoundary(ctx context.Context, e Entity, arn string) error {
	return c.write(func() error { return c.s.SetPermissionsBoundary(ctx, e, arn) })
}

func (c *cachingStore) TagEntity(ctx context.Context, e Entity, tags []Tag, max int) error {
	return c.write(func() error { return c.s.TagEntity(ctx, e, tags, max) })
}

func (c *cachingStore) UntagEntity(ctx context.Context, e Entity, keys []string) error {
	return c.write(func() error { return c.s.UntagEntity(ctx, e, keys) })
}
