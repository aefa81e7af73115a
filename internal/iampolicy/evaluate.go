package iampolicy

import (
	"strings"
	"sync"

	"github.com/fnurl/fnurl/internal/arn"
)

// NamedPolicy is a policy with the labels explanations show.
type NamedPolicy struct {
	Name   string // e.g. "AllowInvoke" or a managed policy ARN
	Source string // where it comes from, e.g. "user alice (inline)", "group devs", "role r (managed)"
	Policy *Policy
}

// OrgLevel holds the organization policies (SCPs or RCPs) attached at one
// level of the hierarchy: the root, an OU, or the account.
type OrgLevel struct {
	Target   string // e.g. "r-root", "ou-abcd-12345678", "111122223333"
	Policies []NamedPolicy
}

// PolicySet is everything that decides a request besides the request itself.
// Build it once per principal and resource and reuse it: its action index is
// built on first use. A PolicySet must not be modified after its first use.
type PolicySet struct {
	// Identity holds the caller's identity-based policies: inline and managed
	// policies of the user and its groups, or of the role. Root and
	// anonymous callers have none.
	Identity []NamedPolicy
	// PermissionsBoundary is the boundary of the user or role, if any.
	PermissionsBoundary *NamedPolicy
	// Session holds the session policies passed to AssumeRole* or
	// GetFederationToken (the inline policy and the managed policy ARNs,
	// which combine as one policy). Empty means none was passed: a role
	// session then keeps its role's permissions, and a federated-user session
	// has none except what resource policies grant its ARN.
	Session []NamedPolicy
	// Resource is the resource-based policy of the resource (the function's
	// policy, a role's trust policy, ...), if any.
	Resource *NamedPolicy
	// ResourceMustAllow makes the resource policy necessary even for callers
	// in the resource's account: role trust policies and KMS key policies
	// work this way. It is implied for sts:AssumeRole* actions when Resource
	// is set (the role's trust policy).
	ResourceMustAllow bool
	// SCPs are the service control policies on the path from the
	// organization root to the caller's account; every level must allow.
	// Leave empty outside an organization and for the management account.
	SCPs []OrgLevel
	// RCPs are the resource control policies on the path to the resource's
	// account. AWS attaches RCPFullAWSAccess (allow everything) at every
	// level and it cannot be detached, so RCPs act only through their Deny
	// statements; list the other policies here.
	RCPs []OrgLevel

	once sync.Once
	idx  *setIndex
}

type setIndex struct {
	identity, boundary, session, resource *layerIndex
	scps, rcps                            []*layerIndex
}

func (s *PolicySet) index() *setIndex {
	s.once.Do(func() {
		x := &setIndex{}
		x.identity = buildLayer(ptrs(s.Identity))
		if s.PermissionsBoundary != nil {
			x.boundary = buildLayer([]*NamedPolicy{s.PermissionsBoundary})
		}
		if len(s.Session) > 0 {
			x.session = buildLayer(ptrs(s.Session))
		}
		if s.Resource != nil {
			x.resource = buildLayer([]*NamedPolicy{s.Resource})
		}
		for i := range s.SCPs {
			x.scps = append(x.scps, buildLayer(ptrs(s.SCPs[i].Policies)))
		}
		for i := range s.RCPs {
			x.rcps = append(x.rcps, buildLayer(ptrs(s.RCPs[i].Policies)))
		}
		s.idx = x
	})
	return s.idx
}

func ptrs(ps []NamedPolicy) []*NamedPolicy {
	out := make([]*NamedPolicy, len(ps))
	for i := range ps {
		out[i] = &ps[i]
	}
	return out
}

// Request is one authorization question: may Principal perform Action on
// Resource, given Context?
type Request struct {
	Principal Principal
	Action    string // "service:Name", e.g. "lambda:InvokeFunctionUrl"
	Resource  string // the resource ARN, or "*" for actions without resources
	// ResourceAccount is the account that owns the resource. When empty it is
	// taken from the resource ARN, and failing that (S3 buckets) the resource
	// is treated as being in the caller's account.
	ResourceAccount string
	// Context holds the condition keys of the request. Evaluate adds the
	// principal keys and aws:ResourceAccount when they are not set here.
	Context Context
}

// Result is the outcome of an evaluation.
type Result uint8

// Results.
const (
	ImplicitDeny Result = iota // no applicable Allow: the default
	Allow                      // allowed
	ExplicitDeny               // a matching Deny statement
)

func (r Result) String() string {
	switch r {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Layer identifies a kind of policy in a decision.
type Layer uint8

// Layers.
const (
	LayerIdentity Layer = 1 << iota
	LayerBoundary
	LayerSession
	LayerResource
	LayerSCP
	LayerRCP
)

func (l Layer) String() string {
	switch l {
	case LayerIdentity:
		return "identity"
	case LayerBoundary:
		return "permissions boundary"
	case LayerSession:
		return "session policy"
	case LayerResource:
		return "resource policy"
	case LayerSCP:
		return "service control policy"
	case LayerRCP:
		return "resource control policy"
	}
	return "none"
}

// Layers is a set of layers.
type Layers uint8

// Has reports whether l contains layer.
func (l Layers) Has(layer Layer) bool { return l&Layers(layer) != 0 }

// List returns the layers in l in evaluation order.
func (l Layers) List() []Layer {
	var out []Layer
	for b := LayerIdentity; b <= LayerRCP; b <<= 1 {
		if l.Has(b) {
			out = append(out, b)
		}
	}
	return out
}

func (l Layers) String() string {
	var names []string
	for _, x := range l.List() {
		names = append(names, x.String())
	}
	return strings.Join(names, ", ")
}

// StatementRef identifies a statement in a decision.
type StatementRef struct {
	Layer  Layer
	Policy string // NamedPolicy.Name
	Source string // NamedPolicy.Source
	Level  string // OrgLevel.Target for SCPs and RCPs
	Sid    string
	Index  int // position in the policy's Statement list, from 0
	// Principal is how the statement's Principal element matched, for
	// resource-policy statements.
	Principal PrincipalMatch
}

// Label returns "Sid" or "#index" for display.
func (r StatementRef) Label() string {
	if r.Sid != "" {
		return r.Sid
	}
	return "#" + itoa(r.Index)
}

// Decision is the answer to a Request.
type Decision struct {
	Result Result
	// BlockedBy lists, for a denied request, the layers responsible: those
	// with a matching Deny for ExplicitDeny; those that lacked a needed
	// Allow for ImplicitDeny.
	BlockedBy Layers
	// CrossAccount is true when the caller's account does not own the
	// resource, so that both sides had to allow.
	CrossAccount bool
	// NoPermissionRequired is true for actions that AWS allows to every
	// authenticated caller regardless of policies (sts:GetCallerIdentity).
	NoPermissionRequired bool
	// Allows and Denies are the statements that matched the request.
	Allows []StatementRef
	Denies []StatementRef
	// Explanation is set when Evaluate was called WithExplanation.
	Explanation *Explanation

	Action, Resource string // copied from the request, for messages
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Result == Allow }

// Option changes how Evaluate works.
type Option func(*config)

type config struct{ explain bool }

// WithExplanation makes Evaluate record, for every statement of every policy,
// why it did or did not match, and which context keys were missing. It is
// slower; the plain decision path records only the statements that matched.
func WithExplanation() Option { return func(c *config) { c.explain = true } }

// evalState carries one evaluation.
type evalState struct {
	req             *Request
	resParts        [6]string
	resIsARN        bool
	resourceAccount string
	service, name   string
}

func newEvalState(req *Request) evalState {
	ev := evalState{req: req}
	ev.resParts, ev.resIsARN = arn.Split(req.Resource)
	ev.service, ev.name = splitAction(req.Action)
	ev.resourceAccount = req.ResourceAccount
	if ev.resourceAccount == "" && ev.resIsARN {
		ev.resourceAccount = ev.resParts[4]
	}
	if ev.resourceAccount == "" && req.Principal.authenticated() {
		ev.resourceAccount = req.Principal.Account
	}
	return ev
}

func (ev *evalState) resolve(lkey string) (string, bool) {
	v := ev.lookup(lkey)
	if !v.ok || v.multi {
		return "", false
	}
	return v.single, true
}

// layerResult summarises a layer.
type layerResult struct {
	present bool
	allow   bool
	deny    bool
	// resource policies only: the strongest principal match among Allows
	allowFull, allowIssuer, allowAccount bool
}

// Evaluate decides req against set, following AWS's policy evaluation logic
// (see the package documentation for the order of steps):
//
//   - an explicit Deny in any applicable policy wins;
//   - SCPs and RCPs, when given, must allow at every level;
//   - same account: an Allow from the identity policies (limited by the
//     permissions boundary and session policies) or from the resource policy
//     suffices, where a resource-policy Allow naming the caller's account
//     delegates to the identity policies and one naming the role of a role
//     session is still limited by boundary and session policy;
//   - cross account: both the identity side and the resource policy must allow;
//   - otherwise the request is implicitly denied.
func Evaluate(req *Request, set *PolicySet, opts ...Option) Decision {
	var cfg config
	if len(opts) > 0 {
		c := new(config) // allocated only when options are given
		for _, o := range opts {
			o(c)
		}
		cfg = *c
	}
	if set == nil {
		set = &PolicySet{}
	}
	ev := newEvalState(req)
	p := &req.Principal

	d := Decision{Action: req.Action, Resource: req.Resource}
	var ex *explainer
	if cfg.explain {
		ex = &explainer{}
		d.Explanation = &Explanation{}
	}

	// sts:GetCallerIdentity needs no permission and works even when an
	// explicit Deny matches (STS API Reference, GetCallerIdentity); only
	// anonymous callers cannot make it.
	if p.Type != TypeAnonymous && equalFoldASCII(ev.service, "sts") && equalFoldASCII(ev.name, "GetCallerIdentity") {
		d.Result, d.NoPermissionRequired = Allow, true
		if ex != nil {
			ex.finish(&d)
		}
		return d
	}

	idx := set.index()
	sameAccount := p.authenticated() && p.Account == ev.resourceAccount
	d.CrossAccount = p.authenticated() && !sameAccount

	// Which layers apply to this caller.
	identityApplies := p.Type == TypeUser || p.Type == TypeAssumedRole || p.Type == TypeFederatedUser
	sessionApplies := identityApplies && idx.session != nil
	boundaryApplies := identityApplies && idx.boundary != nil
	scpApplies := p.authenticated() && len(idx.scps) > 0

	var identity, boundary, session, resource layerResult
	if identityApplies {
		identity = ev.evalLayer(idx.identity, LayerIdentity, "", false, false, &d, ex)
	}
	if boundaryApplies {
		boundary = ev.evalLayer(idx.boundary, LayerBoundary, "", false, false, &d, ex)
	}
	if sessionApplies {
		session = ev.evalLayer(idx.session, LayerSession, "", false, false, &d, ex)
	}
	if idx.resource != nil {
		resource = ev.evalLayer(idx.resource, LayerResource, "", true, boundaryApplies, &d, ex)
	}
	scpOK, scpDeny := true, false
	if scpApplies {
		for i, l := range idx.scps {
			r := ev.evalLayer(l, LayerSCP, set.SCPs[i].Target, false, false, &d, ex)
			scpDeny = scpDeny || r.deny
			scpOK = scpOK && r.allow
		}
	}
	rcpDeny := false
	if p.Type != TypeService {
		for i, l := range idx.rcps {
			r := ev.evalLayer(l, LayerRCP, set.RCPs[i].Target, true, false, &d, ex)
			rcpDeny = rcpDeny || r.deny
		}
	}

	// 1. Explicit deny anywhere wins.
	var denied Layers
	if identity.deny {
		denied |= Layers(LayerIdentity)
	}
	if boundary.deny {
		denied |= Layers(LayerBoundary)
	}
	if session.deny {
		denied |= Layers(LayerSession)
	}
	if resource.deny {
		denied |= Layers(LayerResource)
	}
	if scpDeny {
		denied |= Layers(LayerSCP)
	}
	if rcpDeny {
		denied |= Layers(LayerRCP)
	}
	if denied != 0 {
		d.Result, d.BlockedBy = ExplicitDeny, denied
		if ex != nil {
			ex.finish(&d)
		}
		return d
	}

	// 2. The core decision: identity side, resource side.
	var blocked Layers
	allowed := false
	resourceAny := resource.allowFull || resource.allowIssuer || resource.allowAccount
	switch p.Type {
	case TypeAnonymous, TypeService, TypeWebIdentity:
		// Only a resource policy can let these in.
		allowed = resource.allowFull
		if !allowed {
			blocked |= Layers(LayerResource)
		}
	default:
		// The identity side: identity policies ∩ boundary ∩ session policy.
		// The root user needs no identity policy.
		identityOK := p.Type == TypeRoot || identity.allow
		boundaryOK := !boundaryApplies || boundary.allow
		sessionOK := true
		if sessionApplies {
			sessionOK = session.allow
		} else if p.Type == TypeFederatedUser {
			sessionOK = false // GetFederationToken without a policy grants nothing
		}
		identitySide := identityOK && boundaryOK && sessionOK
		if sameAccount {
			// Table 3.2 of the reference: grants naming the caller itself (or
			// "*") stand alone; grants naming the role of a session (or the
			// user of a federated session) are limited by boundary and session
			// policy; grants naming the account delegate to identity policies.
			viaResource := resource.allowFull || (resource.allowIssuer && boundaryOK && sessionOK)
			if set.ResourceMustAllow || (idx.resource != nil && isAssumeRole(ev.service, ev.name)) {
				allowed = viaResource || (resource.allowAccount && identitySide)
			} else {
				allowed = viaResource || identitySide
			}
		} else {
			allowed = identitySide && resourceAny
		}
		if !allowed {
			if !identityOK {
				blocked |= Layers(LayerIdentity)
			}
			if !boundaryOK {
				blocked |= Layers(LayerBoundary)
			}
			if !sessionOK {
				blocked |= Layers(LayerSession)
			}
			if !resourceAny && (!sameAccount || set.ResourceMustAllow || idx.resource != nil) {
				blocked |= Layers(LayerResource)
			}
			if blocked == 0 {
				// e.g. an account-level grant without an identity Allow
				blocked |= Layers(LayerIdentity)
			}
		}
	}

	// 3. Organization guardrails.
	if scpApplies && !scpOK {
		blocked |= Layers(LayerSCP)
		allowed = false
	}
	if allowed {
		d.Result = Allow
	} else {
		d.Result, d.BlockedBy = ImplicitDeny, blocked
	}
	if ex != nil {
		ex.finish(&d)
	}
	return d
}

// evalLayer evaluates the statements of a policy layer that can match the
// action. withPrincipal applies Principal elements (resource policies and
// RCPs carry them); hasBoundary is for the NotPrincipal rule below.
func (ev *evalState) evalLayer(l *layerIndex, layer Layer, level string, withPrincipal, hasBoundary bool, d *Decision, ex *explainer) layerResult {
	r := layerResult{present: true}
	if ex != nil {
		// Explanations cover every statement, not only the candidates.
		for i := range l.all {
			ref := &l.all[i]
			x := ex.add(l, ref, layer, level)
			if ok, pm := ev.matchStatement(ref.stmt, withPrincipal, hasBoundary, x); ok {
				r.record(ref.stmt.deny, pm)
				ev.note(d, l, ref, layer, level, withPrincipal, pm)
			}
		}
		return r
	}
	for _, id := range l.candidates(ev.service, ev.name) {
		ref := &l.all[id]
		if ok, pm := ev.matchStatement(ref.stmt, withPrincipal, hasBoundary, nil); ok {
			r.record(ref.stmt.deny, pm)
			ev.note(d, l, ref, layer, level, withPrincipal, pm)
		}
	}
	return r
}

// matchStatement decides whether a statement applies to the request. With x
// non-nil it evaluates every part and records why; otherwise it stops at the
// first part that fails.
func (ev *evalState) matchStatement(st *cstmt, withPrincipal, hasBoundary bool, x *StatementExplanation) (bool, PrincipalMatch) {
	pm := PrincipalFullMatch
	if withPrincipal {
		pm = st.matchPrincipal(&ev.req.Principal)
		// "The NotPrincipal element with a Deny effect will always deny any
		// IAM principal that has a permissions boundary policy attached"
		// (IAM UG, Permissions boundaries for IAM entities).
		if st.deny && st.notPrincipal && hasBoundary {
			pm = PrincipalFullMatch
		}
	}
	if x == nil {
		if pm == PrincipalNoMatch || !st.matchAction(ev.service, ev.name) {
			return false, pm
		}
		if ok, _ := st.matchResource(ev); !ok {
			return false, pm
		}
		return st.matchConditions(ev), pm
	}
	x.PrincipalChecked = withPrincipal
	x.Principal = pm
	x.Action = st.matchAction(ev.service, ev.name)
	var unresolved string
	x.Resource, unresolved = st.matchResource(ev)
	if unresolved != "" {
		x.UnresolvedVariables = appendUnique(x.UnresolvedVariables, unresolved)
	}
	condOK := true
	for i := range st.conds {
		c := &st.conds[i]
		res := c.eval(ev)
		ce := ConditionExplanation{
			Operator: c.opName, Key: c.key, PolicyValues: c.resolvedValues(ev),
			RequestValues: ev.lookup(c.lkey).list(), Missing: res.missing, Matched: res.matched,
			Unresolved: res.unresolved, UnknownOperator: !c.known,
		}
		if res.unresolved != "" {
			x.UnresolvedVariables = appendUnique(x.UnresolvedVariables, res.unresolved)
		}
		x.Conditions = append(x.Conditions, ce)
		condOK = condOK && res.matched
	}
	x.Matched = pm != PrincipalNoMatch && x.Action && x.Resource && condOK
	return x.Matched, pm
}

func (r *layerResult) record(deny bool, pm PrincipalMatch) {
	if deny {
		r.deny = true
		return
	}
	r.allow = true
	switch pm {
	case PrincipalFullMatch:
		r.allowFull = true
	case PrincipalIssuerMatch:
		r.allowIssuer = true
	case PrincipalAccountMatch:
		r.allowAccount = true
	}
}

func (ev *evalState) note(d *Decision, l *layerIndex, ref *stmtRef, layer Layer, level string, withPrincipal bool, pm PrincipalMatch) {
	sr := l.ref(ref, layer, level)
	if withPrincipal {
		sr.Principal = pm
	}
	// Start with room for a few matches: one allocation per list.
	if ref.stmt.deny {
		if d.Denies == nil {
			d.Denies = make([]StatementRef, 0, 4)
		}
		d.Denies = append(d.Denies, sr)
	} else {
		if d.Allows == nil {
			d.Allows = make([]StatementRef, 0, 4)
		}
		d.Allows = append(d.Allows, sr)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// isAssumeRole reports whether the action is one of the STS actions whose
// resource policy is a role trust policy.
func isAssumeRole(service, name string) bool {
	if !equalFoldASCII(service, "sts") {
		return false
	}
	for _, a := range []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"} {
		if equalFoldASCII(name, a) {
			return true
		}
	}
	return false
}
