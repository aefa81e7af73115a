package iampolicy

import (
	"sort"
	"strings"

	"github.com/fnurl/fnurl/internal/arn"
)

// cstmt is a compiled statement.
type cstmt struct {
	index int // position in the policy's Statement list
	sid   string
	deny  bool

	actions   []actionPat
	notAction bool
	noAction  bool // neither Action nor NotAction: matches nothing

	resources   []resourcePat
	notResource bool
	anyResource bool // neither Resource nor NotResource (trust policies)

	principals   []pentry
	notPrincipal bool
	noPrincipal  bool // neither Principal nor NotPrincipal

	conds []ccond
}

// actionPat is one Action/NotAction value, lower-cased.
type actionPat struct {
	raw     string
	all     bool   // "*"
	service string // lower case, "" if the value has no colon
	name    string // lower case
	wild    bool   // name (or service) has wildcards
	svcWild bool
	invalid bool // empty name or whitespace: matches nothing
}

func compileAction(a string) actionPat {
	p := actionPat{raw: a}
	if a == "*" {
		p.all = true
		return p
	}
	i := strings.IndexByte(a, ':')
	if i < 0 || strings.IndexByte(a[i+1:], ':') >= 0 {
		p.invalid = true
		return p
	}
	p.service, p.name = strings.ToLower(a[:i]), strings.ToLower(a[i+1:])
	if p.name == "" || strings.ContainsAny(p.name, " \t\r\n") {
		p.invalid = true
	}
	p.svcWild = strings.ContainsAny(p.service, "*?")
	p.wild = p.svcWild || strings.ContainsAny(p.name, "*?")
	return p
}

// match reports whether action (service:name, any case) matches.
func (p *actionPat) match(service, name string) bool {
	switch {
	case p.all:
		return true
	case p.invalid:
		return false
	case p.svcWild:
		return arn.GlobFold(p.service, service) && arn.GlobFold(p.name, name)
	case !equalFoldASCII(p.service, service):
		return false
	case p.wild:
		return arn.GlobFold(p.name, name)
	}
	return equalFoldASCII(p.name, name)
}

// MatchAction reports whether action (e.g. "lambda:InvokeFunctionUrl")
// matches an Action pattern (e.g. "lambda:Invoke*", "*"): service and name
// compare case-insensitively, '*' and '?' are wildcards in the name.
func MatchAction(pattern, action string) bool {
	p := compileAction(pattern)
	svc, name := splitAction(action)
	return p.match(svc, name)
}

func splitAction(action string) (service, name string) {
	if i := strings.IndexByte(action, ':'); i >= 0 {
		return action[:i], action[i+1:]
	}
	return action, ""
}

// resourcePat is one Resource/NotResource value.
type resourcePat struct {
	raw     string
	all     bool // "*"
	invalid bool // not six parts: matches nothing
	service string
	parts   [6]tmpl // partition, region, account and resource (1, 3, 4, 5)
}

// compileResource compiles a Resource value. Variables are substituted only
// in the resource part, after the fifth colon ("IAM JSON policy elements:
// Variables and tags"); the service part takes no wildcards.
func compileResource(r string, vars bool) resourcePat {
	p := resourcePat{raw: r}
	if r == "*" {
		p.all = true
		return p
	}
	parts, ok := arn.Split(r)
	if !ok {
		p.invalid = true
		return p
	}
	p.service = parts[2]
	p.parts[1] = compileTmpl(parts[1], true, false)
	p.parts[3] = compileTmpl(parts[3], true, false)
	p.parts[4] = compileTmpl(parts[4], true, false)
	p.parts[5] = compileTmpl(parts[5], true, vars)
	return p
}

// match reports whether the request resource matches. reqParts holds the
// request ARN split in six (ok false if it is not an ARN, e.g. "*").
func (p *resourcePat) match(reqParts *[6]string, ok bool, r *evalState) (bool, string) {
	if p.all {
		return true, ""
	}
	if p.invalid || !ok || p.service != reqParts[2] {
		return false, ""
	}
	for _, i := range [...]int{1, 3, 4} {
		if m, _ := p.parts[i].match(reqParts[i], nil, false); !m {
			return false, ""
		}
	}
	return p.parts[5].match(reqParts[5], r, false)
}

// compile compiles the policy's statements once.
func (p *Policy) compile() []*cstmt {
	p.once.Do(func() {
		vars := p.Version == Version2012
		p.compiled = make([]*cstmt, len(p.Statements))
		p.contextFree = true
		for i := range p.Statements {
			p.compiled[i] = compileStatement(&p.Statements[i], i, vars)
			p.contextFree = p.contextFree && p.compiled[i].contextFree()
		}
	})
	return p.compiled
}

// ContextFree reports whether no statement of p has a condition or a policy
// variable: what p says of a request then depends only on its principal,
// action and resource, never on its context keys.
func (p *Policy) ContextFree() bool {
	p.compile()
	return p.contextFree
}

// ContextFree reports whether every policy of the set is context-free
// (Policy.ContextFree): a decision on the set then depends only on the
// request's principal, action and resource (and ResourceAccount).
func (s *PolicySet) ContextFree() bool {
	free := func(nps []NamedPolicy) bool {
		for i := range nps {
			if nps[i].Policy != nil && !nps[i].Policy.ContextFree() {
				return false
			}
		}
		return true
	}
	if !free(s.Identity) || !free(s.Session) {
		return false
	}
	for _, np := range []*NamedPolicy{s.PermissionsBoundary, s.Resource} {
		if np != nil && np.Policy != nil && !np.Policy.ContextFree() {
			return false
		}
	}
	for _, levels := range [][]OrgLevel{s.SCPs, s.RCPs} {
		for _, l := range levels {
			if !free(l.Policies) {
				return false
			}
		}
	}
	return true
}

// contextFree reports whether c has no condition and no policy variable in
// its resources (the only places a statement reads the request's context).
func (c *cstmt) contextFree() bool {
	if len(c.conds) > 0 {
		return false
	}
	for i := range c.resources {
		for j := range c.resources[i].parts {
			if c.resources[i].parts[j].vars {
				return false
			}
		}
	}
	return true
}

func compileStatement(s *Statement, index int, vars bool) *cstmt {
	c := &cstmt{index: index, sid: s.Sid, deny: s.Effect == EffectDeny}
	switch {
	case s.Action.IsSet():
		for _, a := range s.Action.Values {
			c.actions = append(c.actions, compileAction(a))
		}
	case s.NotAction.IsSet():
		c.notAction = true
		for _, a := range s.NotAction.Values {
			c.actions = append(c.actions, compileAction(a))
		}
	default:
		c.noAction = true
	}
	switch {
	case s.Resource.IsSet():
		for _, r := range s.Resource.Values {
			c.resources = append(c.resources, compileResource(r, vars))
		}
	case s.NotResource.IsSet():
		c.notResource = true
		for _, r := range s.NotResource.Values {
			c.resources = append(c.resources, compileResource(r, vars))
		}
	default:
		c.anyResource = true
	}
	switch {
	case s.Principal != nil:
		c.principals = compilePrincipals(s.Principal)
	case s.NotPrincipal != nil:
		c.notPrincipal = true
		c.principals = compilePrincipals(s.NotPrincipal)
	default:
		c.noPrincipal = true
	}
	for _, blk := range s.Condition {
		for _, e := range blk.Entries {
			c.conds = append(c.conds, compileCondition(blk.Operator, e.Key, e.Values.Values, vars))
		}
	}
	return c
}

// matchAction applies Action or NotAction. NotAction matches every action not
// listed, including other services' ("IAM JSON policy elements: NotAction").
func (c *cstmt) matchAction(service, name string) bool {
	if c.noAction {
		return false
	}
	any := false
	for i := range c.actions {
		if c.actions[i].match(service, name) {
			any = true
			break
		}
	}
	return any != c.notAction
}

// matchResource applies Resource or NotResource, and reports a variable
// without a value if one stopped a Resource entry from matching.
func (c *cstmt) matchResource(ev *evalState) (bool, string) {
	if c.anyResource {
		return true, ""
	}
	unresolved := ""
	any := false
	for i := range c.resources {
		m, missing := c.resources[i].match(&ev.resParts, ev.resIsARN, ev)
		if missing != "" && unresolved == "" {
			unresolved = missing
		}
		if m {
			any = true
			break
		}
	}
	return any != c.notResource, unresolved
}

// matchPrincipal applies Principal or NotPrincipal for resource-based
// policies. NotPrincipal matches callers that none of its values match.
func (c *cstmt) matchPrincipal(p *Principal) PrincipalMatch {
	if c.noPrincipal {
		return PrincipalNoMatch
	}
	m := matchPrincipals(c.principals, p)
	if c.notPrincipal {
		if m == PrincipalNoMatch {
			return PrincipalFullMatch
		}
		return PrincipalNoMatch
	}
	return m
}

// matchConditions reports whether every condition holds.
func (c *cstmt) matchConditions(ev *evalState) bool {
	for i := range c.conds {
		if !c.conds[i].eval(ev).matched {
			return false
		}
	}
	return true
}

// stmtRef locates a compiled statement within a layer.
type stmtRef struct {
	policy int // index into the layer's policies
	stmt   *cstmt
}

// layerIndex finds the statements of a layer (for example all identity
// policies) that can match an action, so that evaluation cost grows with the
// statements that mention the action's service, not with all statements.
type layerIndex struct {
	policies []*NamedPolicy
	all      []stmtRef
	global   []int32 // statements that can match any service ("*", NotAction, wildcard services)
	services map[string]*serviceIndex
}

type serviceIndex struct {
	exact   map[string][]int32 // action name → candidates (exact ∪ wildcard ∪ global), sorted
	generic []int32            // wildcard ∪ global, sorted
}

func buildLayer(policies []*NamedPolicy) *layerIndex {
	l := &layerIndex{policies: policies, services: map[string]*serviceIndex{}}
	type svcBuild struct {
		exact map[string][]int32
		wild  []int32
	}
	builds := map[string]*svcBuild{}
	svc := func(s string) *svcBuild {
		b := builds[s]
		if b == nil {
			b = &svcBuild{exact: map[string][]int32{}}
			builds[s] = b
		}
		return b
	}
	for pi, np := range policies {
		if np == nil || np.Policy == nil {
			continue
		}
		for _, st := range np.Policy.compile() {
			id := int32(len(l.all))
			l.all = append(l.all, stmtRef{policy: pi, stmt: st})
			if st.noAction {
				continue
			}
			if st.notAction {
				l.global = append(l.global, id)
				continue
			}
			for _, a := range st.actions {
				switch {
				case a.invalid:
				case a.all || a.svcWild:
					l.global = append(l.global, id)
				case a.wild:
					b := svc(a.service)
					b.wild = append(b.wild, id)
				default:
					b := svc(a.service)
					b.exact[a.name] = append(b.exact[a.name], id)
				}
			}
		}
	}
	l.global = sortedUnique(l.global)
	for name, b := range builds {
		si := &serviceIndex{exact: make(map[string][]int32, len(b.exact))}
		si.generic = sortedUnique(append(append([]int32{}, b.wild...), l.global...))
		for act, ids := range b.exact {
			si.exact[act] = sortedUnique(append(append(append([]int32{}, ids...), b.wild...), l.global...))
		}
		l.services[name] = si
	}
	return l
}

// candidates returns the statements that may match the action, in policy
// order. service and name need not be lower case.
func (l *layerIndex) candidates(service, name string) []int32 {
	var buf [96]byte
	si := l.services[string(appendLower(buf[:0], service))]
	if si == nil {
		return l.global
	}
	if ids, ok := si.exact[string(appendLower(buf[:0], name))]; ok {
		return ids
	}
	return si.generic
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func sortedUnique(ids []int32) []int32 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := ids[:0]
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}
