package lambda

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
)

// CacheReads makes the Service keep the reads of the invoke path in memory
// (function and version configurations, aliases, URL configurations by
// url-id and resource policies), so that a warm invocation does not read
// the store for them. Every write through the Service empties the cache,
// before and after it reaches the store, so the request after a write sees
// it, as without the cache.
//
// Call it only when this Service is the only writer of the store: with the
// embedded SQLite store, which one server owns. Servers sharing a
// PostgreSQL store must not call it: another node's writes would not reach
// this cache. It must be called before the Service is used.
func (s *Service) CacheReads() {
	if _, ok := s.store.(*cachingStore); !ok {
		s.store = newCachingStore(s.store)
	}
}

// maxCached bounds each map of the cache; a full map is emptied.
const maxCached = 4096

// cachingStore is a Store that remembers some reads. It implements every
// method of Store itself (no embedding), so that a method added to Store
// must be classified here as a read or a write before it compiles.
//
// Invalidation uses a generation number: a read result is stored only if
// no write started or ended while it was read, so a read that raced a write
// is never cached. Results are copied in and out: callers may change what
// they get.
type cachingStore struct {
	s Store

	mu       sync.Mutex
	gen      uint64
	fns      map[string]*Function
	versions map[versionKey]*Function
	aliases  map[aliasKey]*Alias
	urls     map[string]*URLConfig
	policies map[aliasKey]policyEntry // by function name and qualifier
}

type versionKey struct {
	name    string
	version int
}

type aliasKey struct{ name, qualifier string }

type policyEntry struct {
	doc, revision string
	found         bool
}

var _ Store = (*cachingStore)(nil)

func newCachingStore(s Store) *cachingStore {
	c := &cachingStore{s: s}
	c.clearLocked()
	return c
}

func (c *cachingStore) clearLocked() {
	c.fns = map[string]*Function{}
	c.versions = map[versionKey]*Function{}
	c.aliases = map[aliasKey]*Alias{}
	c.urls = map[string]*URLConfig{}
	c.policies = map[aliasKey]policyEntry{}
}

// invalidate starts a new generation and forgets everything.
func (c *cachingStore) invalidate() {
	c.mu.Lock()
	c.gen++
	c.clearLocked()
	c.mu.Unlock()
}

// write runs a store write between two invalidations.
func (c *cachingStore) write(f func() error) error {
	c.invalidate()
	defer c.invalidate()
	return f()
}

func (c *cachingStore) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// lookup returns m[k] under the lock.
func lookup[K comparable, V any](c *cachingStore, m func() map[K]V, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m()[k]
	return v, ok
}

// remember stores v as m[k] if the generation is still gen.
func remember[K comparable, V any](c *cachingStore, gen uint64, m func() map[K]V, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	mm := m()
	if len(mm) >= maxCached {
		clear(mm)
	}
	mm[k] = v
}

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

func cloneAlias(a *Alias) *Alias {
	if a == nil {
		return nil
	}
	c := *a
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
	if f, ok := lookup(c, func() map[string]*Function { return c.fns }, name); ok {
		return cloneFunction(f), nil
	}
	gen := c.generation()
	f, err := c.s.Function(ctx, name)
	if err == nil {
		remember(c, gen, func() map[string]*Function { return c.fns }, name, cloneFunction(f))
	}
	return f, err
}

func (c *cachingStore) Version(ctx context.Context, name string, version int) (*Function, error) {
	k := versionKey{name, version}
	if f, ok := lookup(c, func() map[versionKey]*Function { return c.versions }, k); ok {
		return cloneFunction(f), nil
	}
	gen := c.generation()
	f, err := c.s.Version(ctx, name, version)
	if err == nil {
		remember(c, gen, func() map[versionKey]*Function { return c.versions }, k, cloneFunction(f))
	}
	return f, err
}

func (c *cachingStore) Alias(ctx context.Context, name, alias string) (*Alias, error) {
	k := aliasKey{name, alias}
	if a, ok := lookup(c, func() map[aliasKey]*Alias { return c.aliases }, k); ok {
		return cloneAlias(a), nil
	}
	gen := c.generation()
	a, err := c.s.Alias(ctx, name, alias)
	if err == nil {
		remember(c, gen, func() map[aliasKey]*Alias { return c.aliases }, k, cloneAlias(a))
	}
	return a, err
}

func (c *cachingStore) URLByID(ctx context.Context, id string) (*URLConfig, error) {
	if u, ok := lookup(c, func() map[string]*URLConfig { return c.urls }, id); ok {
		return cloneURL(u), nil
	}
	gen := c.generation()
	u, err := c.s.URLByID(ctx, id)
	if err == nil {
		// Only URLs that exist: unknown url-ids, which anyone can send,
		// do not fill the cache.
		remember(c, gen, func() map[string]*URLConfig { return c.urls }, id, cloneURL(u))
	}
	return u, err
}

func (c *cachingStore) FunctionPolicy(ctx context.Context, name, qualifier string) (string, string, error) {
	k := aliasKey{name, qualifier}
	if p, ok := lookup(c, func() map[aliasKey]policyEntry { return c.policies }, k); ok {
		if !p.found {
			return "", "", ErrNotFound
		}
		return p.doc, p.revision, nil
	}
	gen := c.generation()
	doc, rev, err := c.s.FunctionPolicy(ctx, name, qualifier)
	switch {
	case err == nil:
		remember(c, gen, func() map[aliasKey]policyEntry { return c.policies }, k, policyEntry{doc: doc, revision: rev, found: true})
	case errors.Is(err, ErrNotFound):
		// Most functions have no policy. Only existing functions are
		// asked about (by name and qualifier), so this stays small.
		remember(c, gen, func() map[aliasKey]policyEntry { return c.policies }, k, policyEntry{})
	}
	return doc, rev, err
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
