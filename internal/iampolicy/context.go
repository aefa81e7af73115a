package iampolicy

import (
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
	m map[string]ctxEntry
}

type ctxEntry struct {
	name   string // as first set, for display
	single string
	multi  []string
	isMult bool
}

// Set sets a single-valued key, replacing any previous value.
func (c *Context) Set(key, value string) {
	if c.m == nil {
		c.m = make(map[string]ctxEntry)
	}
	c.m[strings.ToLower(key)] = ctxEntry{name: key, single: value}
}

// SetMulti sets a multivalued key. An empty (or nil) values list is a present
// key with no values: ForAllValues then matches and ForAnyValue does not.
func (c *Context) SetMulti(key string, values ...string) {
	if c.m == nil {
		c.m = make(map[string]ctxEntry)
	}
	if values == nil {
		values = []string{}
	}
	c.m[strings.ToLower(key)] = ctxEntry{name: key, multi: values, isMult: true}
}

// Delete removes key.
func (c *Context) Delete(key string) { delete(c.m, strings.ToLower(key)) }

// Get returns the values of key, whether it is multivalued, and whether it is
// present.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	e, ok := c.m[strings.ToLower(key)]
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
	keys := make([]string, 0, len(c.m))
	for _, e := range c.m {
		keys = append(keys, e.name)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	return keys
}

// Len returns the number of keys.
func (c *Context) Len() int { return len(c.m) }

// Clone returns an independent copy of c.
func (c *Context) Clone() Context {
	n := Context{m: make(map[string]ctxEntry, len(c.m))}
	for k, e := range c.m {
		if e.isMult {
			e.multi = append([]string{}, e.multi...)
		}
		n.m[k] = e
	}
	return n
}

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
	if e, ok := ev.req.Context.m[lkey]; ok {
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
