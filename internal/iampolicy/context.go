package iampolicy

import (
	"slices"
	"sort"
	"strings"
)

// Context holds the condition keys of a request ("the request context"). Key
// names are case-insensitive, as in AWS (aws:SourceIp = AWS:sourceip).
// Values are strings as on the wire; each operator parses them (numbers,
// dates, IP addresses, booleans). A key is single-valued (Set) or
// multivalued (SetMulti, e.g. aws:TagKeys): plain operators never match a
// multivalued key, set operators (ForAllValues:, ForAnyValue:) treat a
// single-valued key as a one-element set.
//
// The zero Context is empty and ready to use. Evaluate also derives the
// principal keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
// aws:userid, aws:username, aws:PrincipalServiceName) and aws:ResourceAccount
// from the Request when the Context does not set them; see Request.
type Context struct {
	// The keys set here: in small (lower-cased key, entry) while there are
	// few, as there are in a request's context, and in m beyond that.
	small []ctxEntry
	m     map[string]ctxEntry
	// parent, when set, holds the keys this Context does not (see Over).
	parent *Context
}

type ctxEntry struct {
	lkey    string // lower-cased
	name    string // as first set, for display
	single  string
	multi   []string
	isMult  bool
	deleted bool // hides the parent's key
}

// maxSmallContext is the number of keys a Context keeps in a slice before
// it uses a map.
const maxSmallContext = 16

// Over returns an empty Context layered over c: it has c's keys until it
// sets or deletes its own, and changing it leaves c as it is. It copies
// nothing, so c must not change while the new Context is in use. A
// request's decision uses it to add its own keys to the keys every
// decision of the request shares.
func (c *Context) Over() Context { return Context{parent: c} }

// own finds a lower-cased key set in c itself.
func (c *Context) own(lkey string) (ctxEntry, bool) {
	if c.m != nil {
		e, ok := c.m[lkey]
		return e, ok
	}
	for _, e := range c.small {
		if e.lkey == lkey {
			return e, true
		}
	}
	return ctxEntry{}, false
}

// put sets e in c itself.
func (c *Context) put(e ctxEntry) {
	if c.m != nil {
		c.m[e.lkey] = e
		return
	}
	for i := range c.small {
		if c.small[i].lkey == e.lkey {
			c.small[i] = e
			return
		}
	}
	if len(c.small) < maxSmallContext {
		if c.small == nil {
			n := 8 // a request's global keys
			if c.parent != nil {
				n = 2 // a decision's own keys
			}
			c.small = make([]ctxEntry, 0, n)
		}
		c.small = append(c.small, e)
		return
	}
	c.m = make(map[string]ctxEntry, 2*maxSmallContext)
	for _, x := range c.small {
		c.m[x.lkey] = x
	}
	c.m[e.lkey] = e
	c.small = nil
}

// entry finds a lower-cased key here or in the parents.
func (c *Context) entry(lkey string) (ctxEntry, bool) {
	for ; c != nil; c = c.parent {
		if e, ok := c.own(lkey); ok {
			return e, !e.deleted
		}
	}
	return ctxEntry{}, false
}

// flat returns every present key, lower-cased, with its entry.
func (c *Context) flat() map[string]ctxEntry {
	var m map[string]ctxEntry
	if c.parent != nil {
		m = c.parent.flat()
	} else {
		m = make(map[string]ctxEntry, len(c.small)+len(c.m))
	}
	add := func(e ctxEntry) {
		if e.deleted {
			delete(m, e.lkey)
		} else {
			m[e.lkey] = e
		}
	}
	for _, e := range c.small {
		add(e)
	}
	for _, e := range c.m {
		add(e)
	}
	return m
}

// Set sets a single-valued key, replacing any previous value.
func (c *Context) Set(key, value string) {
	c.put(ctxEntry{lkey: lowerKey(key), name: key, single: value})
}

// SetMulti sets a multivalued key. An empty (or nil) values list is a present
// key with no values: ForAllValues then matches and ForAnyValue does not.
func (c *Context) SetMulti(key string, values ...string) {
	if values == nil {
		values = []string{}
	}
	c.put(ctxEntry{lkey: lowerKey(key), name: key, multi: values, isMult: true})
}

// Delete removes key.
func (c *Context) Delete(key string) {
	lkey := lowerKey(key)
	if _, ok := c.parent.entry(lkey); ok {
		c.put(ctxEntry{lkey: lkey, name: key, deleted: true})
		return
	}
	if c.m != nil {
		delete(c.m, lkey)
		return
	}
	c.small = slices.DeleteFunc(c.small, func(e ctxEntry) bool { return e.lkey == lkey })
}

// Get returns the values of key, whether it is multivalued, and whether it is
// present.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	e, ok := c.entry(lowerKey(key))
	if !ok {
		return nil, false, false
	}
	if e.isMult {
		return e.multi, true, true
	}
	return []string{e.single}, false, true
}

// Keys returns the key names as they were set, sorted case-insensitively.
func (c *Context) Keys() []string {
	m := c.flat()
	keys := make([]string, 0, len(m))
	for _, e := range m {
		keys = append(keys, e.name)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	return keys
}

// Len returns the number of keys.
func (c *Context) Len() int { return len(c.flat()) }

// Clone returns an independent copy of c.
func (c *Context) Clone() Context {
	var n Context
	for _, e := range c.flat() {
		if e.isMult {
			e.multi = append([]string{}, e.multi...)
		}
		n.put(e)
	}
	return n
}

// lowerKey returns key in lower case, without allocating for the global
// condition keys fnurl sets on every request.
func lowerKey(key string) string {
	if l, ok := lowerKeys[key]; ok {
		return l
	}
	return strings.ToLower(key)
}

// lowerKeys holds the lower-case names of the keys every request's context
// has or may have (read-only after init).
var lowerKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"aws:CurrentTime", "aws:EpochTime", "aws:SecureTransport", "aws:SourceIp", "aws:UserAgent",
		"aws:RequestedRegion", "aws:TokenIssueTime", "aws:MultiFactorAuthPresent", "aws:PrincipalArn", "aws:PrincipalAccount",
		"aws:PrincipalType", "aws:userid", "aws:username", "aws:ResourceAccount",
		"lambda:FunctionUrlAuthType", "lambda:InvokedViaFunctionUrl", "lambda:FunctionArn"} {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// value is one looked-up context key.
type value struct {
	ok     bool
	multi  bool
	single string
	vals   []string
}

// each calls f for every value (one for single-valued keys).
func (v value) count() int {
	if v.multi {
		return len(v.vals)
	}
	return 1
}

func (v value) at(i int) string {
	if v.multi {
		return v.vals[i]
	}
	return v.single
}

func (v value) list() []string {
	if !v.ok {
		return nil
	}
	if v.multi {
		return v.vals
	}
	return []string{v.single}
}

// lookup finds a lower-cased key in the request context, falling back to the
// keys derived from the principal and resource.
func (ev *evalState) lookup(lkey string) value {
	if e, ok := ev.req.Context.entry(lkey); ok {
		if e.isMult {
			return value{ok: true, multi: true, vals: e.multi}
		}
		return value{ok: true, single: e.single}
	}
	if s, ok := ev.derived(lkey); ok {
		return value{ok: true, single: s}
	}
	return value{}
}

// derived returns the global condition keys AWS computes from the caller
// (aws-behavior.md §6.1) and the resource owner.
func (ev *evalState) derived(lkey string) (string, bool) {
	p := &ev.req.Principal
	switch lkey {
	case "aws:resourceaccount":
		if ev.resourceAccount != "" {
			return ev.resourceAccount, true
		}
		return "", false
	case "aws:principaltype":
		switch p.Type {
		case TypeRoot, TypeUser, TypeAssumedRole, TypeFederatedUser, TypeAnonymous:
			return string(p.Type), true
		}
		return "", false
	case "aws:principalaccount":
		switch p.Type {
		case TypeAnonymous:
			return "anonymous", true
		case TypeService, TypeWebIdentity:
			return "", false
		}
		return p.Account, p.Account != ""
	case "aws:principalarn":
		switch p.Type {
		case TypeAssumedRole:
			r := p.roleARN()
			return r, r != ""
		case TypeRoot, TypeUser, TypeFederatedUser:
			return p.ARN, p.ARN != ""
		}
		return "", false
	case "aws:userid":
		switch p.Type {
		case TypeAnonymous:
			return "anonymous", true
		case TypeRoot:
			if p.UserID == "" {
				return p.Account, p.Account != ""
			}
		case TypeService, TypeWebIdentity:
			return "", false
		}
		return p.UserID, p.UserID != ""
	case "aws:username":
		if p.Type == TypeUser && p.UserName != "" {
			return p.UserName, true
		}
		return "", false
	case "aws:principalservicename":
		if p.Type == TypeService {
			return p.ARN, p.ARN != ""
		}
		return "", false
	}
	return "", false
}
