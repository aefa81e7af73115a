package readcache

import (
	"errors"
	"testing"
)

func TestCache(t *testing.T) {
	c := New[string](2)
	reads := 0
	read := func(v int, err error) func() (int, error) {
		return func() (int, error) { reads++; return v, err }
	}
	id := func(v int) int { return v }

	if v, err := Get(c, "a", id, read(1, nil)); v != 1 || err != nil {
		t.Fatalf("first read = %d, %v", v, err)
	}
	if v, _ := Get(c, "a", id, read(2, nil)); v != 1 || reads != 1 || c.Hits() != 1 {
		t.Errorf("second read = %d after %d store reads, %d hits; want the cached 1 after 1 read", v, reads, c.Hits())
	}
	// A failed read is not kept.
	errNo := errors.New("no")
	if _, err := Get(c, "b", id, read(0, errNo)); err != errNo {
		t.Errorf("failed read returned %v", err)
	}
	if v, _ := Get(c, "b", id, read(5, nil)); v != 5 {
		t.Errorf("read after a failure = %d, want 5", v)
	}
	// A write forgets everything.
	if err := c.Write(func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if v, _ := Get(c, "a", id, read(3, nil)); v != 3 {
		t.Errorf("read after a write = %d, want 3", v)
	}
	// A read that raced a write is not kept.
	Get(c, "r", id, func() (int, error) {
		c.Write(func() error { return nil })
		return 7, nil
	})
	if v, _ := Get(c, "r", id, read(8, nil)); v != 8 {
		t.Errorf("read after a racing one = %d, want 8", v)
	}
	// Bounded: the third key empties the full cache.
	c.Invalidate()
	Get(c, "x", id, read(1, nil))
	Get(c, "y", id, read(1, nil))
	Get(c, "z", id, read(1, nil))
	if n := len(c.m); n > 2 {
		t.Errorf("%d results kept, bound 2", n)
	}
	// Results are copied in and out.
	pc := New[int](4)
	p, _ := Get(pc, 1, Ptr[struct{ N int }], func() (*struct{ N int }, error) { return &struct{ N int }{1}, nil })
	p.N = 99
	if q, _ := Get(pc, 1, Ptr[struct{ N int }], nil); q.N != 1 {
		t.Errorf("a caller's change reached the cache: %d", q.N)
	}
}

// TestCacheDisabled checks that a disabled cache keeps nothing and forgets
// what it had, and that it caches again once enabled.
func TestCacheDisabled(t *testing.T) {
	c := New[string](8)
	reads := 0
	read := func() (int, error) { reads++; return reads, nil }
	id := func(v int) int { return v }
	Get(c, "a", id, read) // kept
	c.SetEnabled(false)
	for i := range 3 {
		if v, _ := Get(c, "a", id, read); v != 2+i {
			t.Fatalf("read %d while disabled = %d, want %d (from the store)", i, v, 2+i)
		}
	}
	c.SetEnabled(true)
	first, _ := Get(c, "a", id, read)
	if v, _ := Get(c, "a", id, read); v != first || first != 5 {
		t.Errorf("reads after enabling = %d then %d, want 5 twice", first, v)
	}
	// Invalidate, as for another writer's change.
	c.Invalidate()
	if v, _ := Get(c, "a", id, read); v != 6 {
		t.Errorf("read after Invalidate = %d, want 6", v)
	}
}
