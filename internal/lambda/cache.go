package lambda

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/fnurl/fnurl/internal/readcache"
)

// CacheReads makes the Service keep the reads of the invoke path in memory
// (function and version configurations, aliases, URL configurations by
// url-id and resource policies), so that a warm invocation does not read
// the store for them. Every write through the Service empties the cache,
// before and after it reaches the store, so the request after a write sees
// it, as without the cache.
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
const maxCached = 4096

// cachingStore is a Store that remembers some reads (see package
// readcache). It implements every method of Store itself (no embedding),
// so that a method added to Store must be classified here as a read or a
// write before it compiles.
type cachingStore struct {
	s     Store
	cache *readcache.Cache[cacheKey]
}

// cacheKey names one read: the method and its arguments.
type cacheKey struct {
	method          string
	name, qualifier string
	version         int
}

// policyEntry is a function's resource policy, or that it has none.
type policyEntry struct {
	doc, revision string
	found         bool
}

var _ Store = (*cachingStore)(nil)

func newCachingStore(s Store) *cachingStore {
	return &cachingStore{s: s, cache: readcache.New[cacheKey](maxCached)}
}

func (c *cachingStore) write(f func() error) error { return c.cache.Write(f) }

func cloneFunction(f *Function) *Function {
	if f == nil {
		return nil
	}
	c := *f
	c.Environment = maps.Clone(f.Environment)
	c.Tags = maps.Clone(f.Tags)
	c.Architectures = slices.Clone(f.Architectures)
	if f.ReservedConcurrency != nil {
		n := *f.ReservedConcurrency
		c.ReservedConcurrency = &n
	}
	return &c
}

func cloneURL(u *URLConfig) *URLConfig {
	if u == nil {
		return nil
	}
	c := *u
	if u.Cors != nil {
		cors := *u.Cors
		cors.AllowHeaders = slices.Clone(u.Cors.AllowHeaders)
		cors.AllowMethods = slices.Clone(u.Cors.AllowMethods)
		cors.AllowOrigins = slices.Clone(u.Cors.AllowOrigins)
		cors.ExposeHeaders = slices.Clone(u.Cors.ExposeHeaders)
		c.Cors = &cors
	}
	return &c
}

// Cached reads.

func (c *cachingStore) Function(ctx context.Context, name string) (*Function, error) {
	return readcache.Get(c.cache, cacheKey{method: "Function", name: name}, cloneFunction, func() (*Function, error) {
		return c.s.Function(ctx, name)
	})
}

func (c *cachingStore) Version(ctx context.Context, name string, version int) (*Function, error) {
	return readcache.Get(c.cache, cacheKey{method: "Version", name: name, version: version}, cloneFunction, func() (*Function, error) {
		return c.s.Version(ctx, name, version)
	})
}

func (c *cachingStore) Alias(ctx context.Context, name, alias string) (*Alias, error) {
	return readcache.Get(c.cache, cacheKey{method: "Alias", name: name, qualifier: alias}, readcache.Ptr[Alias], func() (*Alias, error) {
		return c.s.Alias(ctx, name, alias)
	})
}

// URLByID keeps only URLs that exist: unknown url-ids, which anyone can
// send, do not fill the cache.
func (c *cachingStore) URLByID(ctx context.Context, id string) (*URLConfig, error) {
	return readcache.Get(c.cache, cacheKey{method: "URLByID", name: id}, cloneURL, func() (*URLConfig, error) {
		return c.s.URLByID(ctx, id)
	})
}

// FunctionPolicy also keeps that a function has no policy, as most have
// none; only existing functions are asked about (by name and qualifier),
// so this stays small.
func (c *cachingStore) FunctionPolicy(ctx context.Context, name, qualifier string) (string, string, error) {
	p, err := readcache.Get(c.cache, cacheKey{method: "FunctionPolicy", name: name, qualifier: qualifier},
		func(p policyEntry) policyEntry { return p }, func() (policyEntry, error) {
			doc, rev, err := c.s.FunctionPolicy(ctx, name, qualifier)
			if errors.Is(err, ErrNotFound) {
				return policyEntry{}, nil
			}
			return policyEntry{doc: doc, revision: rev, found: err == nil}, err
		})
	if err != nil {
		return "", "", err
	}
	if !p.found {
		return "", "", ErrNotFound
	}
	return p.doc, p.revision, nil
}

// Reads that are not cached.

func (c *cachingStore) Code(ctx context.Context, key string) ([]byte, error) {
	return c.s.Code(ctx, key)
}

func (c *cachingStore) ListFunctions(ctx context.Context, after string, limit int) ([]*Function, error) {
	return c.s.ListFunctions(ctx, after, limit)
}

func (c *cachingStore) URL(ctx context.Context, name, qualifier string) (*URLConfig, error) {
	return c.s.URL(ctx, name, qualifier)
}

func (c *cachingStore) ListURLs(ctx context.Context, name string) ([]*URLConfig, error) {
	return c.s.ListURLs(ctx, name)
}

func (c *cachingStore) ListVersions(ctx context.Context, name string) ([]*Function, error) {
	return c.s.ListVersions(ctx, name)
}

func (c *cachingStore) ListAliases(ctx context.Context, name string) ([]*Alias, error) {
	return c.s.ListAliases(ctx, name)
}

// Writes: each one empties the cache.

func (c *cachingStore) PutCode(ctx context.Context, key string, zip []byte) error {
	return c.write(func() error { return c.s.PutCode(ctx, key, zip) })
}

func (c *cachingStore) CreateFunction(ctx context.Context, f *Function) error {
	return c.write(func() error { return c.s.CreateFunction(ctx, f) })
}

func (c *cachingStore) UpdateFunction(ctx context.Context, f *Function, prevRevision string) error {
	return c.write(func() error { return c.s.UpdateFunction(ctx, f, prevRevision) })
}

func (c *cachingStore) DeleteFunction(ctx context.Context, name string) error {
	return c.write(func() error { return c.s.DeleteFunction(ctx, name) })
}

func (c *cachingStore) PutFunctionPolicy(ctx context.Context, name, qualifier, doc, revision, prevRevision string) error {
	return c.write(func() error { return c.s.PutFunctionPolicy(ctx, name, qualifier, doc, revision, prevRevision) })
}

func (c *cachingStore) CreateURL(ctx context.Context, u *URLConfig) error {
	return c.write(func() error { return c.s.CreateURL(ctx, u) })
}

func (c *cachingStore) UpdateURL(ctx context.Context, u *URLConfig) error {
	return c.write(func() error { return c.s.UpdateURL(ctx, u) })
}

func (c *cachingStore) DeleteURL(ctx context.Context, name, qualifier string) error {
	return c.write(func() error { return c.s.DeleteURL(ctx, name, qualifier) })
}

func (c *cachingStore) PublishVersion(ctx context.Context, f *Function) (*Function, error) {
	var v *Function
	err := c.write(func() error {
		var err error
		v, err = c.s.PublishVersion(ctx, f)
		return err
	})
	return v, err
}

func (c *cachingStore) CreateAlias(ctx context.Context, a *Alias) error {
	return c.write(func() error { return c.s.CreateAlias(ctx, a) })
}

func (c *cachingStore) UpdateAlias(ctx context.Context, a *Alias) error {
	return c.write(func() error { return c.s.UpdateAlias(ctx, a) })
}

func (c *cachingStore) DeleteAlias(ctx context.Context, name, alias string) error {
	return c.write(func() error { return c.s.DeleteAlias(ctx, name, alias) })
}
