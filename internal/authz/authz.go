// Package authz decides whether a principal may perform an action on a
// resource, for every API fnurl serves, with the iampolicy engine.
//
// The policies that apply are read from the IAM domain at every request, so
// a changed, attached or detached policy takes effect on the next request.
// Only what follows from documents alone is cached: a parsed document by
// its text, and a compiled policy set (with its action index) by the
// documents, names and sources in it. A Subject holds one request's reading
// for the several decisions the request makes. A principal's tags are read
// only when one of the policies involved may test aws:PrincipalTag.
//
// A denial is AWS's AccessDenied, whose message names the caller, the action
// and the resource and says which kind of policy stood in the way, exactly
// as AWS words it; the full explanation is kept for the operator.
package authz

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iampolicy"
)

// Policies returns the identity-based policies that apply to a principal.
type Policies interface {
	IdentityPolicies(ctx context.Context, p *iam.Principal) ([]iam.StoredPolicy, error)
	SessionPolicies(ctx context.Context, p *iam.Principal) ([]iam.StoredPolicy, error)
	Boundary(ctx context.Context, p *iam.Principal) (*iam.StoredPolicy, error)
	PrincipalTags(ctx context.Context, p *iam.Principal) ([]iam.Tag, error)
}

// Authorizer makes authorization decisions.
type Authorizer struct {
	policies Policies
	now      func() time.Time
	cache    docCache
	clock    atomic.Pointer[clockText] // the current second, formatted

	decisions decisionCache
}

// decisionCache keeps decisions made on context-free policy sets
// (iampolicy.PolicySet.ContextFree), which depend on nothing but the set,
// the principal, the action and the resource. The key holds the set itself:
// a set is the compiled form of its documents, names and sources
// (docCache.policySet), so a changed, attached or detached policy makes
// another set, and the decisions made on the old one are never found
// again; holding the set keeps its address from being reused.
type decisionCache struct {
	mu sync.Mutex
	m  map[decisionKey]iampolicy.Decision
}

type decisionKey struct {
	set              *iampolicy.PolicySet
	principal        iampolicy.Principal
	action, resource string
}

// maxCachedDecisions bounds the decision cache; a full cache is emptied.
const maxCachedDecisions = 8192

func (c *decisionCache) get(k decisionKey) (iampolicy.Decision, bool) {
	c.mu.Lock()
	d, ok := c.m[k]
	c.mu.Unlock()
	return d, ok
}

func (c *decisionCache) put(k decisionKey, d iampolicy.Decision) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedDecisions {
		c.m = make(map[decisionKey]iampolicy.Decision)
	}
	c.m[k] = d
	c.mu.Unlock()
}

// clockText is one second as aws:CurrentTime and aws:EpochTime spell it.
type clockText struct {
	unix           int64
	current, epoch string
}

// clockText returns now's second formatted, formatting it once per second.
func (a *Authorizer) clockText(now time.Time) *clockText {
	sec := now.Unix()
	if t := a.clock.Load(); t != nil && t.unix == sec {
		return t
	}
	t := &clockText{unix: sec, current: now.Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	a.clock.Store(t)
	return t
}

// New returns an Authorizer reading policies from p. now may be nil.
func New(p Policies, now func() time.Time) *Authorizer {
	if now == nil {
		now = time.Now
	}
	return &Authorizer{policies: p, now: now}
}

// RequestInfo is what the HTTP layer knows about a request that policies can
// test: the global condition keys that do not come from the principal.
type RequestInfo struct {
	SourceIP        string
	SecureTransport bool
	UserAgent       string
	Region          string
}

type infoKey struct{}

// WithRequestInfo returns a context carrying the request's info.
func WithRequestInfo(ctx context.Context, ri *RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, ri)
}

func requestInfo(ctx context.Context) *RequestInfo {
	ri, _ := ctx.Value(infoKey{}).(*RequestInfo)
	if ri == nil {
		return &RequestInfo{}
	}
	return ri
}

// Principal converts an authenticated principal to the engine's form.
func Principal(p *iam.Principal) iampolicy.Principal {
	if p == nil {
		return iampolicy.Anonymous()
	}
	return iampolicy.Principal{Type: iampolicy.PrincipalType(p.Type), Account: p.Account, ARN: p.ARN,
		IssuerARN: p.RoleARN, UserID: p.UserID, UserName: p.UserName}
}

// Context builds the request context of global condition keys for p.
func (a *Authorizer) Context(ctx context.Context, p *iam.Principal) iampolicy.Context {
	var c iampolicy.Context
	ri := requestInfo(ctx)
	t := a.clockText(a.now().UTC())
	c.Set("aws:CurrentTime", t.current)
	c.Set("aws:EpochTime", t.epoch)
	c.Set("aws:SecureTransport", strconv.FormatBool(ri.SecureTransport))
	if ri.SourceIP != "" {
		c.Set("aws:SourceIp", ri.SourceIP)
	}
	if ri.UserAgent != "" {
		c.Set("aws:UserAgent", ri.UserAgent)
	}
	if ri.Region != "" {
		c.Set("aws:RequestedRegion", ri.Region)
	}
	if p != nil && p.Temporary {
		c.Set("aws:TokenIssueTime", p.TokenIssued.UTC().Format(time.RFC3339))
		c.Set("aws:MultiFactorAuthPresent", strconv.FormatBool(p.MFA))
	}
	return c
}

// PolicySet loads the identity-based and session policies of p.
func (a *Authorizer) PolicySet(ctx context.Context, p *iam.Principal) (*iampolicy.PolicySet, error) {
	s, err := a.Subject(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.policySet(nil, false), nil
}

// Subject is a principal with the policies that apply to it, loaded once
// for the several decisions of one request: a function URL decides
// lambda:InvokeFunctionUrl and lambda:InvokeFunction, and explains a
// denial with a third evaluation. It sees the policies as they were when
// it was loaded, so it must not outlive the request; every request loads
// its own, and a changed policy takes effect on the next request.
//
// A Subject is not safe for concurrent use.
type Subject struct {
	a        *Authorizer
	p        *iam.Principal
	identity []iampolicy.NamedPolicy
	session  []iampolicy.NamedPolicy
	boundary *iampolicy.NamedPolicy
	// tagsNeeded is set when one of the principal's policies may test
	// aws:PrincipalTag; otherwise the tags are read only for a resource
	// policy that may.
	tagsNeeded bool
	tagsLoaded bool
	tags       []iam.Tag

	last     *iampolicy.PolicySet // the set built for the last query
	lastRP   *iampolicy.NamedPolicy
	lastMust bool
	lastFree bool // last is cached and context-free: its decisions may be kept

	// base holds the global condition keys (and the tags, once read),
	// built at the first decision; each decision adds its own keys over
	// it (iampolicy.Context.Over).
	base     iampolicy.Context
	haveBase bool
	baseTags bool // base has the tags
}

// Subject loads the identity-based, session and boundary policies of p.
func (a *Authorizer) Subject(ctx context.Context, p *iam.Principal) (*Subject, error) {
	s := &Subject{a: a, p: p}
	var err error
	if s.identity, err = a.load(ctx, p, a.policies.IdentityPolicies, &s.tagsNeeded); err != nil {
		return nil, err
	}
	if s.session, err = a.load(ctx, p, a.policies.SessionPolicies, &s.tagsNeeded); err != nil {
		return nil, err
	}
	b, err := a.policies.Boundary(ctx, p)
	if err != nil {
		return nil, err
	}
	if b != nil {
		pol, tags, err := a.cache.parseTags(b.Document)
		if err != nil {
			return nil, err
		}
		s.tagsNeeded = s.tagsNeeded || tags
		s.boundary = &iampolicy.NamedPolicy{Name: b.Name, Source: b.Source, Policy: pol}
	}
	return s, nil
}

// policySet returns the policy set for a resource policy, reusing the one
// built for the previous query when the resource policy is the same (its
// action index is then built once).
func (s *Subject) policySet(rp *iampolicy.NamedPolicy, mustAllow bool) *iampolicy.PolicySet {
	if s.last != nil && s.lastRP == rp && s.lastMust == mustAllow {
		return s.last
	}
	set, keep := s.a.cache.policySet(s.identity, s.session, s.boundary, rp, mustAllow)
	s.last, s.lastRP, s.lastMust, s.lastFree = set, rp, mustAllow, keep
	return set
}

func (a *Authorizer) load(ctx context.Context, p *iam.Principal, get func(context.Context, *iam.Principal) ([]iam.StoredPolicy, error),
	tagsNeeded *bool) ([]iampolicy.NamedPolicy, error) {
	stored, err := get(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []iampolicy.NamedPolicy
	for _, sp := range stored {
		pol, tags, err := a.cache.parseTags(sp.Document)
		if err != nil {
			return nil, err
		}
		*tagsNeeded = *tagsNeeded || tags
		out = append(out, iampolicy.NamedPolicy{Name: sp.Name, Source: sp.Source, Policy: pol})
	}
	return out, nil
}

// mayTestPrincipalTags reports whether a policy document may refer to
// aws:PrincipalTag, as a condition key or a policy variable. Key names are
// compared in lower case, as the engine compares them, and JSON may spell
// any character as a \u escape, so a document with an escape counts as
// referring to it.
func mayTestPrincipalTags(doc string) bool {
	return strings.Contains(doc, `\u`) || strings.Contains(strings.ToLower(doc), "principaltag")
}

// Query is one authorization question beyond the principal.
type Query struct {
	Action   string
	Resource string
	// ResourcePolicy is the resource's own policy, if it has one.
	ResourcePolicy *iampolicy.NamedPolicy
	// ResourceMustAllow makes the resource policy necessary even in the
	// same account, as for role trust policies.
	ResourceMustAllow bool
	// Extra adds service-specific condition keys.
	Extra func(*iampolicy.Context)
	// Advisory decisions are not recorded in the request's audit entry:
	// the caller uses them for a note, not to decide.
	Advisory bool
}

// Decide evaluates q for p with the identity-based and session policies of
// p and the resource's policy.
func (a *Authorizer) Decide(ctx context.Context, p *iam.Principal, q Query, opts ...iampolicy.Option) (iampolicy.Decision, error) {
	s, err := a.Subject(ctx, p)
	if err != nil {
		return iampolicy.Decision{}, err
	}
	return s.Decide(ctx, q, opts...)
}

// Decide evaluates q for the subject, as Authorizer.Decide does, without
// reading its policies again. A decision on policies without conditions or
// policy variables is kept (decisionCache) and served again to the same
// principal for the same action and resource while the policies are the
// same.
func (s *Subject) Decide(ctx context.Context, q Query, opts ...iampolicy.Option) (iampolicy.Decision, error) {
	set := s.policySet(q.ResourcePolicy, q.ResourceMustAllow)
	var key decisionKey
	keep := s.lastFree && len(opts) == 0
	var d iampolicy.Decision
	var req *iampolicy.Request
	found := false
	if keep {
		key = decisionKey{set: set, principal: Principal(s.p), action: q.Action, resource: q.Resource}
		d, found = s.a.decisions.get(key)
	}
	if !found {
		var err error
		if req, err = s.request(ctx, q); err != nil {
			return iampolicy.Decision{}, err
		}
		d = iampolicy.Evaluate(req, set, opts...)
		if keep {
			s.a.decisions.put(key, d)
		}
	}
	if !q.Advisory {
		if e := audit.FromContext(ctx); e != nil {
			switch {
			case d.Allowed():
				e.Decide(q.Action, q.Resource, audit.Allowed, "")
			default:
				var reason string
				if d.Explanation == nil {
					// Explain the denial for the operator: evaluating again
					// with explanations costs only on this path.
					if req == nil {
						var err error
						if req, err = s.request(ctx, q); err != nil {
							return iampolicy.Decision{}, err
						}
					}
					x := iampolicy.Evaluate(req, set, iampolicy.WithExplanation())
					reason = x.Explain()
				} else {
					reason = d.Explain()
				}
				result := audit.ImplicitDeny
				if d.Result == iampolicy.ExplicitDeny {
					result = audit.ExplicitDeny
				}
				e.Decide(q.Action, q.Resource, result, reason)
			}
		}
	}
	return d, nil
}

// request builds the engine's request for q: the principal, its tags when
// a policy involved may test them, the global condition keys and q's own.
func (s *Subject) request(ctx context.Context, q Query) (*iampolicy.Request, error) {
	a, p := s.a, s.p
	if !s.tagsLoaded && (s.tagsNeeded || q.ResourcePolicy != nil && a.cache.mayTestPrincipalTags(q.ResourcePolicy.Policy)) {
		tags, err := a.policies.PrincipalTags(ctx, p)
		if err != nil {
			return nil, err
		}
		s.tags, s.tagsLoaded = tags, true
	}
	if !s.haveBase {
		s.base, s.haveBase = a.Context(ctx, p), true
	}
	if s.tagsLoaded && !s.baseTags {
		for _, t := range s.tags {
			s.base.Set("aws:PrincipalTag/"+t.Key, t.Value)
		}
		s.baseTags = true
	}
	req := &iampolicy.Request{Principal: Principal(p), Action: q.Action, Resource: q.Resource, Context: s.base.Over()}
	if q.Extra != nil {
		q.Extra(&req.Context)
	}
	return req, nil
}

// NamedPolicy parses a stored resource-based policy (a function's policy,
// a role's trust policy) for a Query, through the cache; an empty document
// is no policy.
func (a *Authorizer) NamedPolicy(name, source, doc string) (*iampolicy.NamedPolicy, error) {
	if doc == "" {
		return nil, nil
	}
	pol, err := a.cache.parse(doc)
	if err != nil {
		return nil, err
	}
	return &iampolicy.NamedPolicy{Name: name, Source: source, Policy: pol}, nil
}

// ParsePolicy parses a stored document, through the cache.
func (a *Authorizer) ParsePolicy(doc string) (*iampolicy.Policy, error) { return a.cache.parse(doc) }

// Authorize returns nil if p may perform action on resource by its
// identity-based policies, and AWS's AccessDenied error otherwise.
func (a *Authorizer) Authorize(ctx context.Context, p *iam.Principal, action, resource string) error {
	d, err := a.Decide(ctx, p, Query{Action: action, Resource: resource})
	if err != nil {
		return err
	}
	if d.Allowed() {
		return nil
	}
	return Denied(p, d)
}

// Denied returns the AccessDenied error AWS sends for decision d.
func Denied(p *iam.Principal, d iampolicy.Decision) error {
	arn := "anonymous"
	if p != nil {
		arn = p.ARN
	}
	return awserr.AccessDenied(arn, d.Action, d.Resource, Reason(d)).Wrap(&decisionError{d})
}

// Reason words why d denied, as AWS's AccessDenied messages end.
func Reason(d iampolicy.Decision) string {
	if d.Result == iampolicy.ExplicitDeny {
		switch {
		case d.BlockedBy.Has(iampolicy.LayerIdentity):
			return "with an explicit deny in an identity-based policy"
		case d.BlockedBy.Has(iampolicy.LayerResource):
			return "with an explicit deny in a resource-based policy"
		case d.BlockedBy.Has(iampolicy.LayerBoundary):
			return "with an explicit deny in a permissions boundary"
		case d.BlockedBy.Has(iampolicy.LayerSession):
			return "with an explicit deny in a session policy"
		case d.BlockedBy.Has(iampolicy.LayerSCP):
			return "with an explicit deny in a service control policy"
		}
		return "with an explicit deny"
	}
	switch {
	case d.BlockedBy.Has(iampolicy.LayerBoundary):
		return "because no permissions boundary allows the " + d.Action + " action"
	case d.BlockedBy.Has(iampolicy.LayerSession):
		return "because no session policy allows the " + d.Action + " action"
	case d.BlockedBy.Has(iampolicy.LayerSCP):
		return "because no service control policy allows the " + d.Action + " action"
	}
	return "because no identity-based policy allows the " + d.Action + " action"
}

// decisionError carries a decision as the logged cause of an AccessDenied.
type decisionError struct{ d iampolicy.Decision }

func (e *decisionError) Error() string { return e.d.String() }

// Decision returns the decision behind an AccessDenied error made by
// Denied, for explanations.
func Decision(err error) (iampolicy.Decision, bool) {
	e := awserr.As(err)
	if de, ok := e.Err.(*decisionError); ok {
		return de.d, true
	}
	return iampolicy.Decision{}, false
}

// docCache keeps parsed policy documents by their text. Documents are
// immutable values, so an entry never goes stale; the cache is emptied when
// it grows past its bound.
type docCache struct {
	mu   sync.Mutex
	m    map[string]docEntry
	info map[*iampolicy.Policy]docEntry
	next uint64 // the id of the next parsed document

	sets map[string]cachedSet // compiled sets, by setKey
}

// cachedSet is a compiled set and whether it is context-free
// (iampolicy.PolicySet.ContextFree), found out once when it is built.
type cachedSet struct {
	set  *iampolicy.PolicySet
	free bool
}

// docEntry is a parsed document, with an id no other parsed document
// shares, and whether it may test aws:PrincipalTag.
type docEntry struct {
	pol  *iampolicy.Policy
	id   uint64
	tags bool
}

const (
	maxCachedDocs = 4096
	maxCachedSets = 4096
)

func (c *docCache) parse(doc string) (*iampolicy.Policy, error) {
	p, _, err := c.parseTags(doc)
	return p, err
}

// parseTags parses doc and reports whether it may test aws:PrincipalTag.
func (c *docCache) parseTags(doc string) (*iampolicy.Policy, bool, error) {
	c.mu.Lock()
	e, ok := c.m[doc]
	c.mu.Unlock()
	if ok {
		return e.pol, e.tags, nil
	}
	p, err := iampolicy.Parse([]byte(doc))
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedDocs {
		c.m = make(map[string]docEntry)
		c.info = make(map[*iampolicy.Policy]docEntry)
	}
	c.next++
	e = docEntry{pol: p, id: c.next, tags: mayTestPrincipalTags(doc)}
	c.m[doc] = e
	c.info[p] = e
	return p, e.tags, nil
}

// appendSetKey appends what identifies np in a compiled set to key: the
// id of its document, its name and its source. ok is false for a policy
// the cache does not know.
func (c *docCache) appendSetKey(key []byte, np *iampolicy.NamedPolicy) ([]byte, bool) {
	if np == nil {
		return append(key, 0), true
	}
	e, ok := c.info[np.Policy]
	if !ok {
		return key, false
	}
	key = append(key, 1)
	key = binary.LittleEndian.AppendUint64(key, e.id)
	key = append(key, np.Name...)
	key = append(key, 0)
	key = append(key, np.Source...)
	return append(key, 0), true
}

// policySet returns the compiled set of these policies: the same set for
// the same documents (by id: ids are never reused), names and sources, so
// that its action index is built once, not on every request.
//
// keep reports that the set is cached and context-free: decisions on it may
// be kept (decisionCache).
func (c *docCache) policySet(identity, session []iampolicy.NamedPolicy, boundary, resource *iampolicy.NamedPolicy, mustAllow bool) (set *iampolicy.PolicySet, keep bool) {
	var buf [256]byte
	key, ok := buf[:0], true
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range identity {
		if key, ok = c.appendSetKey(key, &identity[i]); !ok {
			break
		}
	}
	key = append(key, 2)
	for i := 0; ok && i < len(session); i++ {
		key, ok = c.appendSetKey(key, &session[i])
	}
	key = append(key, 2)
	if ok {
		key, ok = c.appendSetKey(key, boundary)
	}
	if ok {
		key, ok = c.appendSetKey(key, resource)
	}
	if mustAllow {
		key = append(key, 3)
	}
	if ok {
		if cs, found := c.sets[string(key)]; found {
			return cs.set, cs.free
		}
	}
	set = &iampolicy.PolicySet{Identity: identity, Session: session, PermissionsBoundary: boundary,
		Resource: resource, ResourceMustAllow: mustAllow}
	if !ok {
		return set, false
	}
	if c.sets == nil || len(c.sets) >= maxCachedSets {
		c.sets = make(map[string]cachedSet)
	}
	cs := cachedSet{set: set, free: set.ContextFree()}
	c.sets[string(key)] = cs
	return set, cs.free
}

// mayTestPrincipalTags reports whether a policy parsed through the cache
// may test aws:PrincipalTag; a policy the cache does not know (or no longer
// knows) may.
func (c *docCache) mayTestPrincipalTags(p *iampolicy.Policy) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.info[p]
	return e.tags || !ok
}
