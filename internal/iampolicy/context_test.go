package iampolicy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestContextOver checks a Context layered over another: it sees the
// parent's keys, its own keys win, Delete hides a parent's key, and
// nothing done to it changes the parent.
func TestContextOver(t *testing.T) {
	var base Context
	base.Set("aws:SourceIp", "192.0.2.1")
	base.Set("aws:UserAgent", "curl")
	base.SetMulti("aws:TagKeys", "a", "b")

	over := base.Over()
	over.Set("AWS:SOURCEIP", "198.51.100.7") // keys are case-insensitive
	over.Delete("aws:useragent")
	over.Set("lambda:FunctionUrlAuthType", "AWS_IAM")

	get := func(c *Context, key string) string {
		v, multi, ok := c.Get(key)
		if !ok {
			return "<absent>"
		}
		if multi {
			return "[" + strings.Join(v, " ") + "]"
		}
		return v[0]
	}
	for _, tc := range []struct {
		c         *Context
		key, want string
	}{
		{&over, "aws:SourceIp", "198.51.100.7"},
		{&over, "aws:UserAgent", "<absent>"},
		{&over, "aws:tagkeys", "[a b]"},
		{&over, "lambda:functionurlauthtype", "AWS_IAM"},
		{&base, "aws:SourceIp", "192.0.2.1"},
		{&base, "aws:UserAgent", "curl"},
		{&base, "lambda:FunctionUrlAuthType", "<absent>"},
	} {
		if got := get(tc.c, tc.key); got != tc.want {
			t.Errorf("Get(%q) = %s, want %s", tc.key, got, tc.want)
		}
	}
	if got, want := over.Keys(), []string{"AWS:SOURCEIP", "aws:TagKeys", "lambda:FunctionUrlAuthType"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
	if over.Len() != 3 || base.Len() != 3 {
		t.Errorf("Len() = %d over, %d base; want 3 and 3", over.Len(), base.Len())
	}

	// A clone is flat and independent of both.
	cl := over.Clone()
	base.Set("aws:UserAgent", "changed")
	over.Set("aws:SourceIp", "changed")
	if got := get(&cl, "aws:SourceIp"); got != "198.51.100.7" {
		t.Errorf("clone's aws:SourceIp = %s", got)
	}
	if got := get(&cl, "aws:UserAgent"); got != "<absent>" {
		t.Errorf("clone's aws:UserAgent = %s", got)
	}
	// Deleting an own key that the parent lacks removes it.
	over.Delete("lambda:FunctionUrlAuthType")
	if _, _, ok := over.Get("lambda:FunctionUrlAuthType"); ok {
		t.Error("deleted key still present")
	}
}

// TestContextManyKeys crosses the point where a Context moves its keys
// from a slice to a map, with replacements and deletions on both sides.
func TestContextManyKeys(t *testing.T) {
	for _, n := range []int{1, maxSmallContext - 1, maxSmallContext, maxSmallContext + 1, 5 * maxSmallContext} {
		var c Context
		for i := range n {
			c.Set(fmt.Sprintf("Key%d", i), "first")
		}
		for i := range n {
			c.Set(fmt.Sprintf("key%d", i), fmt.Sprint(i)) // replaces, whatever the case
		}
		c.Delete("KEY0")
		if got, want := c.Len(), n-1; got != want {
			t.Fatalf("n=%d: Len() = %d, want %d", n, got, want)
		}
		for i := 1; i < n; i++ {
			v, _, ok := c.Get(fmt.Sprintf("KEY%d", i))
			if !ok || v[0] != fmt.Sprint(i) {
				t.Fatalf("n=%d: key%d = %q %v", n, i, v, ok)
			}
		}
		if _, _, ok := c.Get("key0"); ok {
			t.Fatalf("n=%d: deleted key0 present", n)
		}
	}
}
