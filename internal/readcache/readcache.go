// Package readcache keeps the results of store reads in memory for a store
// with a single writer, and forgets them all whenever that writer writes.
//
// Invalidation uses a generation number: a write empties the cache and
// starts a new generation before and after it reaches the store, and a read
// result is kept only if no write started or ended while it was read, so a
// read that raced a write is never kept. Results are copied in and out, so
// callers may change what they get. The cache is bounded: when full it is
// emptied.
//
// Several servers may share a store when each learns of the others' writes
// (PostgreSQL's notifications, in package postgres): the owner then calls
// Invalidate for each such write, and turns the cache off (SetEnabled)
// while it cannot hear of them.
package readcache

import "sync"

// Cache holds read results by key.
type Cache[K comparable] struct {
	max int

	mu       sync.Mutex
	gen      uint64
	m        map[K]any
	hits     uint64
	disabled bool
}

// Control is what the owner of a cache needs when writers other than
// the one the cache wraps share the store.
type Control interface {
	// Invalidate forgets everything: another writer changed the store.
	Invalidate()
	// SetEnabled turns the cache on or off; while off, every read goes
	// to the store and nothing is kept. Turning it either way forgets
	// everything.
	SetEnabled(on bool)
}

var _ Control = (*Cache[int])(nil)

// New returns an enabled cache of at most max results.
func New[K comparable](max int) *Cache[K] {
	return &Cache[K]{max: max, m: map[K]any{}}
}

// Invalidate forgets everything and starts a new generation.
func (c *Cache[K]) Invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// SetEnabled implements Control.
func (c *Cache[K]) SetEnabled(on bool) {
	c.mu.Lock()
	c.disabled = !on
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// Write runs a store write between two invalidations.
func (c *Cache[K]) Write(f func() error) error {
	c.Invalidate()
	defer c.Invalidate()
	return f()
}

// Hits returns how many reads the cache answered.
func (c *Cache[K]) Hits() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// Get answers the read k from c, or from read, keeping its result when it
// succeeds and no write intervened. clone copies a result in and out.
func Get[K comparable, V any](c *Cache[K], k K, clone func(V) V, read func() (V, error)) (V, error) {
	c.mu.Lock()
	if v, ok := c.m[k]; ok {
		c.hits++
		c.mu.Unlock()
		return clone(v.(V)), nil
	}
	gen := c.gen
	c.mu.Unlock()
	v, err := read()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen && !c.disabled {
		if len(c.m) >= c.max {
			clear(c.m)
		}
		c.m[k] = clone(v)
	}
	c.mu.Unlock()
	return v, nil
}

// Ptr returns a shallow copy of *p, or nil: the clone of a flat struct.
func Ptr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
