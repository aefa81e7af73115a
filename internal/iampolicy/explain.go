package iampolicy

import (
	"sort"
	"strings"
)

// Explanation says, for every statement of every policy that took part in a
// decision, why it matched or not, and which condition keys the request
// lacked. It feeds deny messages, the policy simulator and the console.
type Explanation struct {
	Statements []StatementExplanation
	// MissingKeys lists the condition keys, as written in the policies, that
	// statements matching the action and resource tested but the request
	// context did not contain.
	MissingKeys []string
}

// StatementExplanation is the verdict on one statement.
type StatementExplanation struct {
	StatementRef
	Effect  Effect
	Matched bool // the statement applies to the request
	// Action and Resource report whether the Action/NotAction and
	// Resource/NotResource elements matched.
	Action, Resource bool
	// PrincipalChecked is true for resource policies and RCPs, whose
	// Principal element is matched against the caller (StatementRef.Principal
	// holds the result).
	PrincipalChecked bool
	Conditions       []ConditionExplanation
	// UnresolvedVariables lists policy variables that had no value.
	UnresolvedVariables []string
}

// ConditionExplanation is the verdict on one condition key of a statement.
type ConditionExplanation struct {
	Operator        string
	Key             string
	PolicyValues    []string // after variable substitution
	RequestValues   []string // nil when Missing
	Missing         bool     // the key is not in the request context
	Matched         bool
	Unresolved      string // a policy variable without a value, if any
	UnknownOperator bool
}

// explainer collects explanations during one evaluation.
type explainer struct {
	stmts []StatementExplanation
}

// add appends a statement explanation and returns it for filling.
func (e *explainer) add(l *layerIndex, ref *stmtRef, layer Layer, level string) *StatementExplanation {
	eff := EffectAllow
	if ref.stmt.deny {
		eff = EffectDeny
	}
	e.stmts = append(e.stmts, StatementExplanation{StatementRef: l.ref(ref, layer, level), Effect: eff})
	return &e.stmts[len(e.stmts)-1]
}

func (e *explainer) finish(d *Decision) {
	missing := map[string]string{}
	for i := range e.stmts {
		s := &e.stmts[i]
		if s.PrincipalChecked {
			s.StatementRef.Principal = s.Principal
		}
		if !s.Action || !s.Resource {
			continue
		}
		for _, c := range s.Conditions {
			if c.Missing {
				lk := strings.ToLower(c.Key)
				if _, ok := missing[lk]; !ok {
					missing[lk] = c.Key
				}
			}
		}
	}
	keys := make([]string, 0, len(missing))
	for _, k := range missing {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	d.Explanation = &Explanation{Statements: e.stmts, MissingKeys: keys}
}

// ref builds the StatementRef of a statement.
func (l *layerIndex) ref(ref *stmtRef, layer Layer, level string) StatementRef {
	np := l.policies[ref.policy]
	return StatementRef{Layer: layer, Policy: np.Name, Source: np.Source, Level: level, Sid: ref.stmt.sid, Index: ref.stmt.index}
}

// resolvedValues returns the policy values after variable substitution.
func (c *ccond) resolvedValues(ev *evalState) []string {
	if c.tmpls == nil && c.arns == nil {
		return c.values
	}
	out := make([]string, len(c.values))
	for i := range c.values {
		switch {
		case c.tmpls != nil:
			out[i] = c.tmpls[i].resolved(ev)
		case c.bad[i]:
			out[i] = c.values[i]
		default:
			parts := make([]string, 6)
			parts[0] = c.values[i][:strings.IndexByte(c.values[i], ':')]
			for j := 1; j < 6; j++ {
				parts[j] = c.arns[i][j].resolved(ev)
			}
			out[i] = strings.Join(parts, ":")
		}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// String summarises the decision in one line.
func (d Decision) String() string {
	var b strings.Builder
	switch d.Result {
	case Allow:
		b.WriteString("allowed: " + d.Action + " on " + d.Resource)
		if d.NoPermissionRequired {
			b.WriteString(" (no permission required)")
		} else if len(d.Allows) > 0 {
			b.WriteString(" by " + describeRef(d.Allows[0]))
		}
	case ExplicitDeny:
		b.WriteString("explicitly denied: " + d.Action + " on " + d.Resource)
		if len(d.Denies) > 0 {
			b.WriteString(" by " + describeRef(d.Denies[0]))
		}
	default:
		b.WriteString("implicitly denied: " + d.Action + " on " + d.Resource)
		if d.BlockedBy != 0 {
			b.WriteString(" (no Allow from " + d.BlockedBy.String() + ")")
		}
	}
	return b.String()
}

// Explain returns text for an operator saying why the decision came out as it
// did: "no identity-based policy allows lambda:InvokeFunctionUrl on arn:…;
// resource policy statement FunctionURLAllowPublicAccess requires
// lambda:FunctionUrlAuthType = NONE, request has AWS_IAM". Statement-level
// reasons appear when Evaluate was called WithExplanation.
func (d Decision) Explain() string {
	var parts []string
	switch d.Result {
	case Allow:
		return d.String()
	case ExplicitDeny:
		for _, r := range d.Denies {
			parts = append(parts, d.Action+" on "+d.Resource+" is explicitly denied by "+describeRef(r))
		}
		if len(parts) == 0 {
			parts = append(parts, d.String())
		}
		return strings.Join(parts, "; ")
	}
	for _, l := range d.BlockedBy.List() {
		parts = append(parts, d.blockedPhrase(l))
	}
	if len(parts) == 0 {
		parts = append(parts, d.String())
	}
	if d.Explanation != nil {
		for _, s := range d.Explanation.Statements {
			// Allow statements of the blocking layers (and of the resource
			// policy, which could have allowed on its own) that cover the
			// action: say what else they needed.
			relevant := d.BlockedBy.Has(s.Layer) || s.Layer == LayerResource
			if s.Matched || s.Effect != EffectAllow || !s.Action || !relevant {
				continue
			}
			if why := s.why(); why != "" {
				parts = append(parts, describeRef(s.StatementRef)+" "+why)
			}
		}
		if len(d.Explanation.MissingKeys) > 0 {
			parts = append(parts, "request context lacks "+strings.Join(d.Explanation.MissingKeys, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func (d Decision) blockedPhrase(l Layer) string {
	on := d.Action + " on " + d.Resource
	switch l {
	case LayerIdentity:
		return "no identity-based policy allows " + on
	case LayerBoundary:
		return "the permissions boundary does not allow " + on
	case LayerSession:
		return "the session policy does not allow " + on
	case LayerResource:
		if d.CrossAccount {
			return "the resource policy does not allow " + on + " for this cross-account caller"
		}
		return "the resource policy does not allow " + on
	case LayerSCP:
		return "a service control policy does not allow " + on
	case LayerRCP:
		return "a resource control policy does not allow " + on
	}
	return on + " is not allowed"
}

// why says what stopped a statement from matching, or "" if it matched.
func (s StatementExplanation) why() string {
	if s.Matched {
		return ""
	}
	var reasons []string
	if s.PrincipalChecked && s.Principal == PrincipalNoMatch {
		reasons = append(reasons, "does not name this principal")
	}
	if !s.Action {
		reasons = append(reasons, "does not cover the action")
	}
	if !s.Resource {
		if len(s.UnresolvedVariables) > 0 {
			reasons = append(reasons, "does not cover the resource (no value for ${"+s.UnresolvedVariables[0]+"})")
		} else {
			reasons = append(reasons, "does not cover the resource")
		}
	}
	for _, c := range s.Conditions {
		if c.Matched {
			continue
		}
		reasons = append(reasons, c.describe())
	}
	return strings.Join(reasons, ", ")
}

func (c ConditionExplanation) describe() string {
	if c.UnknownOperator {
		return "uses unknown condition operator " + c.Operator
	}
	req := "request has " + strings.Join(c.RequestValues, ", ")
	if c.Missing {
		req = "request has no " + c.Key
	} else if len(c.RequestValues) == 0 {
		req = "request has an empty " + c.Key
	}
	s := "requires " + c.Key + " " + opPhrase(c.Operator) + " " + strings.Join(c.PolicyValues, " or ") + ", " + req
	if c.Unresolved != "" {
		s += " (no value for ${" + c.Unresolved + "})"
	}
	return s
}

// opPhrase renders an operator for humans, e.g. "=" for StringEquals.
func opPhrase(name string) string {
	op, ok := parseOperator(name, false)
	if !ok {
		return name
	}
	var s string
	switch op.family {
	case fString, fBool, fBinary:
		s = "="
	case fStringIgnoreCase:
		s = "= (ignoring case)"
	case fStringLike, fARN:
		s = "like"
	case fIP:
		s = "in"
	case fNull:
		return "Null ="
	case fNumeric, fDate:
		s = [...]string{"=", "<", "<=", ">", ">="}[op.cmp]
	}
	if op.negated {
		switch s {
		case "=":
			s = "≠"
		default:
			s = "not " + s
		}
	}
	switch op.set {
	case setForAll:
		s = "(all values) " + s
	case setForAny:
		s = "(any value) " + s
	}
	if op.ifExists {
		s += " (if present)"
	}
	return s
}

func describeRef(r StatementRef) string {
	var b strings.Builder
	switch r.Layer {
	case LayerIdentity:
		b.WriteString("identity policy")
	case LayerSCP:
		b.WriteString("SCP")
	case LayerRCP:
		b.WriteString("RCP")
	default:
		b.WriteString(r.Layer.String())
	}
	if r.Policy != "" {
		b.WriteString(" " + r.Policy)
	}
	if r.Level != "" {
		b.WriteString(" at " + r.Level)
	}
	b.WriteString(" statement " + r.Label())
	return b.String()
}
