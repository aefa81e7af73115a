package iamapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iampolicy"
)

// members returns the values of a query-protocol list parameter:
// Name.member.1, Name.member.2, ...
func members(q *request, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := q.params[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

type statementXML struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string
}

type evaluationXML struct {
	EvalActionName       string
	EvalResourceName     string
	EvalDecision         string
	MatchedStatements    []statementXML `xml:"MatchedStatements>member"`
	MissingContextValues []string       `xml:"MissingContextValues>member"`
}

type simulateResult struct {
	EvaluationResults []evaluationXML `xml:"EvaluationResults>member"`
	IsTruncated       bool
}

// simulation is what both simulate actions evaluate.
type simulation struct {
	principal iampolicy.Principal
	set       *iampolicy.PolicySet
}

var entityARNRE = regexp.MustCompile(`^arn:aws:iam::(\d{12}):(user|group|role)(/|/[\x21-\x7e]+/)([\w+=,.@-]+)$`)

// simulatePrincipalPolicy evaluates the policies of a user (with its
// groups'), group or role, plus any PolicyInputList, for each action and
// resource.
func (h *Handler) simulatePrincipalPolicy(q *request) error {
	src, err := required(q, "PolicySourceArn", "policySourceArn")
	if err != nil {
		return err
	}
	if err := h.authorize(q, src); err != nil {
		return err
	}
	m := entityARNRE.FindStringSubmatch(src)
	if m == nil || m[1] != h.iam.AccountID() {
		return awserr.Errorf(awserr.CodeInvalidInput, http.StatusBadRequest, "Invalid ARN: %s", src)
	}
	kind := iam.EntityKind(m[2])
	e, err := h.iam.Entity(q.r.Context(), kind, m[4])
	if err != nil {
		return err
	}
	stored, err := h.iam.EntityPolicies(q.r.Context(), e)
	if err != nil {
		return err
	}
	sim := simulation{set: &iampolicy.PolicySet{}}
	for _, sp := range stored {
		pol, err := h.authz.ParsePolicy(sp.Document)
		if err != nil {
			return err
		}
		sim.set.Identity = append(sim.set.Identity, iampolicy.NamedPolicy{Name: sp.Name, Source: sp.Source, Policy: pol})
	}
	account := h.iam.AccountID()
	switch kind {
	case iam.KindUser:
		sim.principal = iampolicy.Principal{Type: iampolicy.TypeUser, Account: account, ARN: e.ARN(account), UserID: e.ID, UserName: e.Name}
	case iam.KindRole:
		sim.principal = iampolicy.Principal{Type: iampolicy.TypeAssumedRole, Account: account,
			ARN: "arn:aws:sts::" + account + ":assumed-role/" + e.Name + "/simulation", IssuerARN: e.ARN(account), UserID: e.ID + ":simulation"}
	default: // a group simulates as an anonymous member
		sim.principal = iampolicy.Principal{Type: iampolicy.TypeUser, Account: account, ARN: "arn:aws:iam::" + account + ":user/simulated-member"}
	}
	return h.simulate(q, &sim)
}

// simulateCustomPolicy evaluates the policies given in PolicyInputList.
func (h *Handler) simulateCustomPolicy(q *request) error {
	if err := h.authorize(q, "*"); err != nil {
		return err
	}
	if len(members(q, "PolicyInputList")) == 0 {
		return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	account := h.iam.AccountID()
	return h.simulate(q, &simulation{set: &iampolicy.PolicySet{}, principal: iampolicy.Principal{Type: iampolicy.TypeUser, Account: account,
		ARN: "arn:aws:iam::" + account + ":user/simulated-caller"}})
}

// parseInput parses a policy given to a simulation.
func parseInput(doc, label string) (*iampolicy.Policy, error) {
	p, err := iampolicy.Parse([]byte(doc))
	if err != nil {
		msg := "Syntax errors in policy."
		if ve, ok := err.(*iampolicy.ValidationError); ok {
			msg = ve.Message
		}
		return nil, awserr.Errorf(iam.CodeMalformedPolicyDocument, http.StatusBadRequest, "%s: %s", label, msg)
	}
	return p, nil
}

func (h *Handler) simulate(q *request, sim *simulation) error {
	actions := members(q, "ActionNames")
	if len(actions) == 0 {
		return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	resources := members(q, "ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	for i, doc := range members(q, "PolicyInputList") {
		label := fmt.Sprintf("PolicyInputList.%d", i+1)
		p, err := parseInput(doc, label)
		if err != nil {
			return err
		}
		sim.set.Identity = append(sim.set.Identity, iampolicy.NamedPolicy{Name: label, Source: "IAM Policy", Policy: p})
	}
	for i, doc := range members(q, "PermissionsBoundaryPolicyInputList") {
		label := fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1)
		p, err := parseInput(doc, label)
		if err != nil {
			return err
		}
		sim.set.PermissionsBoundary = &iampolicy.NamedPolicy{Name: label, Source: "permissions boundary", Policy: p}
	}
	if doc := q.params.Get("ResourcePolicy"); doc != "" {
		p, err := parseInput(doc, "ResourcePolicy")
		if err != nil {
			return err
		}
		sim.set.Resource = &iampolicy.NamedPolicy{Name: "ResourcePolicy", Source: "resource", Policy: p}
	}
	if caller := q.params.Get("CallerArn"); caller != "" {
		p, err := iampolicy.PrincipalFromARN(caller)
		if err != nil {
			return awserr.Errorf(awserr.CodeInvalidInput, http.StatusBadRequest, "Invalid CallerArn: %s", caller)
		}
		sim.principal = p
	}
	var ctxKeys iampolicy.Context
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("ContextEntries.member.%d.", i)
		name := q.params.Get(prefix + "ContextKeyName")
		if name == "" {
			break
		}
		values := members(q, prefix+"ContextKeyValues")
		if strings.HasSuffix(q.params.Get(prefix+"ContextKeyType"), "List") {
			ctxKeys.SetMulti(name, values...)
		} else if len(values) > 0 {
			ctxKeys.Set(name, values[0])
		}
	}
	res := simulateResult{EvaluationResults: []evaluationXML{}}
	for _, action := range actions {
		for _, resource := range resources {
			req := &iampolicy.Request{Principal: sim.principal, Action: action, Resource: resource,
				ResourceAccount: q.params.Get("ResourceOwner"), Context: ctxKeys.Clone()}
			d := iampolicy.Evaluate(req, sim.set, iampolicy.WithExplanation())
			ev := evaluationXML{EvalActionName: action, EvalResourceName: resource, EvalDecision: evalDecision(d),
				MatchedStatements: []statementXML{}, MissingContextValues: []string{}}
			for _, ref := range append(append([]iampolicy.StatementRef{}, d.Denies...), d.Allows...) {
				ev.MatchedStatements = append(ev.MatchedStatements, statementXML{SourcePolicyID: ref.Policy, SourcePolicyType: sourceType(ref)})
			}
			if d.Explanation != nil {
				ev.MissingContextValues = append(ev.MissingContextValues, d.Explanation.MissingKeys...)
			}
			res.EvaluationResults = append(res.EvaluationResults, ev)
		}
	}
	return h.write(q, res)
}

func evalDecision(d iampolicy.Decision) string {
	switch d.Result {
	case iampolicy.Allow:
		return "allowed"
	case iampolicy.ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// sourceType names a statement's policy as the simulator's
// SourcePolicyType does.
func sourceType(ref iampolicy.StatementRef) string {
	switch {
	case ref.Layer == iampolicy.LayerResource:
		return "resource"
	case ref.Layer == iampolicy.LayerBoundary:
		return "none"
	case ref.Source == "IAM Policy":
		return "IAM Policy"
	case strings.HasSuffix(ref.Source, "(managed)"):
		return "user-managed"
	case strings.HasPrefix(ref.Source, "group "):
		return "group"
	case strings.HasPrefix(ref.Source, "role "):
		return "role"
	}
	return "user"
}
