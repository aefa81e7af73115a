package authz

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/audit"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/iampolicy"
)

func TestReason(t *testing.T) {
	layers := func(ls ...iampolicy.Layer) iampolicy.Layers {
		var out iampolicy.Layers
		for _, l := range ls {
			out |= iampolicy.Layers(l)
		}
		return out
	}
	tests := []struct {
		result  iampolicy.Result
		blocked iampolicy.Layers
		want    string
	}{
		{iampolicy.ImplicitDeny, layers(iampolicy.LayerIdentity), "because no identity-based policy allows the iam:CreateUser action"},
		{iampolicy.ImplicitDeny, layers(iampolicy.LayerIdentity, iampolicy.LayerResource), "because no identity-based policy allows the iam:CreateUser action"},
		{iampolicy.ImplicitDeny, layers(iampolicy.LayerBoundary), "because no permissions boundary allows the iam:CreateUser action"},
		{iampolicy.ImplicitDeny, layers(iampolicy.LayerSession), "because no session policy allows the iam:CreateUser action"},
		{iampolicy.ExplicitDeny, layers(iampolicy.LayerIdentity), "with an explicit deny in an identity-based policy"},
		{iampolicy.ExplicitDeny, layers(iampolicy.LayerResource), "with an explicit deny in a resource-based policy"},
		{iampolicy.ExplicitDeny, layers(iampolicy.LayerBoundary), "with an explicit deny in a permissions boundary"},
	}
	for _, tt := range tests {
		d := iampolicy.Decision{Result: tt.result, BlockedBy: tt.blocked, Action: "iam:CreateUser", Resource: "arn:aws:iam::111122223333:user/bob"}
		if got := Reason(d); got != tt.want {
			t.Errorf("Reason(%v %v) = %q, want %q", tt.result, tt.blocked, got, tt.want)
		}
	}
}

func TestDeniedCarriesDecision(t *testing.T) {
	d := iampolicy.Decision{Result: iampolicy.ImplicitDeny, BlockedBy: iampolicy.Layers(iampolicy.LayerIdentity),
		Action: "lambda:GetFunction", Resource: "arn:aws:lambda:us-east-1:111122223333:function:f"}
	p := &iam.Principal{ARN: "arn:aws:iam::111122223333:user/bob"}
	err := Denied(p, d)
	e := awserr.As(err)
	want := "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:f because no identity-based policy allows the lambda:GetFunction action"
	if e.Code != "AccessDenied" || e.HTTPStatus() != 403 || e.Message != want {
		t.Errorf("Denied = %s %d %q", e.Code, e.HTTPStatus(), e.Message)
	}
	if got, ok := Decision(err); !ok || got.Action != d.Action {
		t.Errorf("Decision(err) = %v, %v", got, ok)
	}
}

// fakePolicies serves fixed policies and tags and counts reads.
type fakePolicies struct {
	identity []iam.StoredPolicy
	boundary *iam.StoredPolicy
	tags     []iam.Tag

	identityReads, boundaryReads, tagReads int
}

func (f *fakePolicies) IdentityPolicies(context.Context, *iam.Principal) ([]iam.StoredPolicy, error) {
	f.identityReads++
	return f.identity, nil
}

func (f *fakePolicies) SessionPolicies(context.Context, *iam.Principal) ([]iam.StoredPolicy, error) {
	return nil, nil
}

func (f *fakePolicies) Boundary(context.Context, *iam.Principal) (*iam.StoredPolicy, error) {
	f.boundaryReads++
	return f.boundary, nil
}

func (f *fakePolicies) PrincipalTags(context.Context, *iam.Principal) ([]iam.Tag, error) {
	f.tagReads++
	return f.tags, nil
}

var bob = &iam.Principal{Type: iam.PrincipalUser, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/bob", UserID: "AIDABOB", UserName: "bob"}

const (
	fnARN       = "arn:aws:lambda:us-east-1:111122223333:function:f"
	allowInvoke = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`
	// denyOtherTeams denies unless the caller's team tag is "blue".
	denyOtherTeams = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}}]}`
)

// TestSubjectReadsOnce checks that the decisions of one request read the
// principal's policies once, and its tags only when a policy may test them.
func TestSubjectReadsOnce(t *testing.T) {
	ctx := context.Background()
	fp := &fakePolicies{identity: []iam.StoredPolicy{{Name: "invoke", Document: allowInvoke}}, tags: []iam.Tag{{Key: "team", Value: "red"}}}
	a := New(fp, nil)
	subj, err := a.Subject(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "lambda:InvokeFunctionUrl"} {
		if _, err := subj.Decide(ctx, Query{Action: action, Resource: fnARN}); err != nil {
			t.Fatal(err)
		}
	}
	if fp.identityReads != 1 || fp.boundaryReads != 1 {
		t.Errorf("policy reads = %d identity, %d boundary; want 1 each", fp.identityReads, fp.boundaryReads)
	}
	if fp.tagReads != 0 {
		t.Errorf("tags read %d times though no policy tests them", fp.tagReads)
	}
	// A resource policy that tests tags makes the subject read them, once.
	rp, err := a.NamedPolicy("function policy", "function f", strings.Replace(denyOtherTeams, `"Effect":"Deny",`, `"Effect":"Deny","Principal":"*",`, 1))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		d, err := subj.Decide(ctx, Query{Action: "lambda:InvokeFunctionUrl", Resource: fnARN, ResourcePolicy: rp})
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed() {
			t.Error("team red allowed past a deny for other teams than blue")
		}
	}
	if fp.tagReads != 1 {
		t.Errorf("tags read %d times, want 1", fp.tagReads)
	}
}

// TestTagConditionsStillApply checks that skipping the tag read never
// changes a decision: a policy testing aws:PrincipalTag, however spelt,
// gets the tags.
func TestTagConditionsStillApply(t *testing.T) {
	ctx := context.Background()
	escaped := strings.Replace(denyOtherTeams, "PrincipalTag", `Principal\u0054ag`, 1)
	upper := strings.Replace(denyOtherTeams, "aws:PrincipalTag", "AWS:PRINCIPALTAG", 1)
	variable := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111122223333:function:${aws:PrincipalTag/team}"}]}`
	tests := []struct {
		name     string
		identity []string
		boundary string
		team     string
		want     bool
	}{
		{"deny other teams, red", []string{allowInvoke, denyOtherTeams}, "", "red", false},
		{"deny other teams, blue", []string{allowInvoke, denyOtherTeams}, "", "blue", true},
		{"escaped key, red", []string{allowInvoke, escaped}, "", "red", false},
		{"upper-case key, red", []string{allowInvoke, upper}, "", "red", false},
		{"in the boundary, red", []string{allowInvoke}, denyOtherTeams, "red", false},
		{"policy variable, team f", []string{variable}, "", "f", true},
		{"policy variable, team g", []string{variable}, "", "g", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := &fakePolicies{tags: []iam.Tag{{Key: "team", Value: tt.team}}}
			for i, doc := range tt.identity {
				fp.identity = append(fp.identity, iam.StoredPolicy{Name: fmt.Sprint("p", i), Document: doc})
			}
			if tt.boundary != "" {
				fp.boundary = &iam.StoredPolicy{Name: "boundary", Document: allowAllBut(tt.boundary)}
			}
			d, err := New(fp, nil).Decide(ctx, bob, Query{Action: "lambda:InvokeFunctionUrl", Resource: fnARN})
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Allowed(); got != tt.want {
				t.Errorf("allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

// allowAllBut turns a deny-only document into a boundary that allows
// everything else.
func allowAllBut(deny string) string {
	return strings.Replace(deny, `"Statement":[`, `"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},`, 1)
}

func TestMayTestPrincipalTags(t *testing.T) {
	for doc, want := range map[string]bool{
		allowInvoke:    false,
		denyOtherTeams: true,
		`{"Condition":{"StringEquals":{"aws:principaltag/x":"1"}}}`: true,
		`{"Resource":"arn:${aws:PrincipalTag/team}"}`:               true,
		`{"Action":"s\u0033:*"}`:                                    true,
		`{"Condition":{"StringEquals":{"aws:RequestTag/x":"1"}}}`:   false,
	} {
		if got := mayTestPrincipalTags(doc); got != want {
			t.Errorf("mayTestPrincipalTags(%s) = %v, want %v", doc, got, want)
		}
	}
}

// BenchmarkDecide measures a request's first decision (Authorizer.Decide:
// loading the caller's policies from a store that answers at once, the
// global condition keys, the evaluation of two identity policies and a
// resource policy, and the audit record); BenchmarkDecide/again measures
// a further decision of the same request, as a function URL makes
// (Subject.Decide).
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	fp := &fakePolicies{identity: []iam.StoredPolicy{{Name: "invoke", Document: allowInvoke},
		{Name: "read", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`}}}
	a := New(fp, nil)
	rp, err := a.NamedPolicy("function policy", "function f", `{"Version":"2012-10-17","Statement":[{"Sid":"public","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"`+fnARN+`","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`)
	if err != nil {
		b.Fatal(err)
	}
	ctx = WithRequestInfo(ctx, &RequestInfo{SourceIP: "127.0.0.1", UserAgent: "bench", Region: "us-east-1"})
	ctx, _ = audit.NewContext(ctx)
	q := Query{Action: "lambda:InvokeFunctionUrl", Resource: fnARN, ResourcePolicy: rp,
		Extra: func(c *iampolicy.Context) { c.Set("lambda:FunctionUrlAuthType", "AWS_IAM") }}
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, err := a.Decide(ctx, bob, q)
			if err != nil || !d.Allowed() {
				b.Fatalf("%v %v", d, err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		subj, err := a.Subject(ctx, bob)
		if err != nil {
			b.Fatal(err)
		}
		subj.Decide(ctx, q)
		b.ReportAllocs()
		for b.Loop() {
			d, err := subj.Decide(ctx, q)
			if err != nil || !d.Allowed() {
				b.Fatalf("%v %v", d, err)
			}
		}
	})
}

// TestCompiledSetsReused checks that requests with the same policies share
// one compiled set, and that a changed document gets its own.
func TestCompiledSetsReused(t *testing.T) {
	ctx := context.Background()
	fp := &fakePolicies{identity: []iam.StoredPolicy{{Name: "invoke", Source: "user bob (inline)", Document: allowInvoke}}}
	a := New(fp, nil)
	set := func() *iampolicy.PolicySet {
		t.Helper()
		subj, err := a.Subject(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		return subj.policySet(nil, false)
	}
	first := set()
	if set() != first {
		t.Error("the same policies compiled twice")
	}
	fp.identity[0].Name = "renamed"
	renamed := set()
	if renamed == first {
		t.Error("a renamed policy reused the old set, whose explanations name the old policy")
	}
	fp.identity[0].Document = strings.Replace(allowInvoke, "lambda:InvokeFunctionUrl", "lambda:GetFunction", 1)
	changed := set()
	if changed == renamed {
		t.Fatal("a changed document reused the old set")
	}
	d, err := a.Decide(ctx, bob, Query{Action: "lambda:InvokeFunctionUrl", Resource: fnARN})
	if err != nil || d.Allowed() {
		t.Errorf("after the change: %v %v, want a denial", d, err)
	}
	// A resource policy the cache did not parse is never keyed.
	foreign, err := iampolicy.Parse([]byte(allowInvoke))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := a.Subject(ctx, bob)
	rp := &iampolicy.NamedPolicy{Name: "p", Policy: foreign}
	if again, cached := subj.a.cache.policySet(subj.identity, nil, nil, rp, false); cached || subj.policySet(rp, false) == again {
		t.Error("a set with a policy unknown to the cache was cached")
	}
}

func TestContextClock(t *testing.T) {
	now := time.Date(2026, 11, 24, 1, 2, 3, 400e6, time.UTC)
	a := New(&fakePolicies{}, func() time.Time { return now })
	get := func(key string) string {
		t.Helper()
		c := a.Context(context.Background(), nil)
		v, _, ok := c.Get(key)
		if !ok || len(v) != 1 {
			t.Fatalf("%s missing", key)
		}
		return v[0]
	}
	for _, tt := range []struct {
		at                time.Time
		current, epochStr string
	}{
		{now, "2026-11-24T01:02:03Z", "1795482123"},
		{now.Add(500 * time.Millisecond), "2026-11-24T01:02:03Z", "1795482123"},
		{now.Add(time.Second), "2026-11-24T01:02:04Z", "1795482124"},
		{now.In(time.FixedZone("X", 3600)).Add(2 * time.Second), "2026-11-24T01:02:05Z", "1795482125"},
	} {
		now = tt.at
		if got := get("aws:CurrentTime"); got != tt.current {
			t.Errorf("aws:CurrentTime at %v = %s, want %s", tt.at, got, tt.current)
		}
		if got := get("aws:EpochTime"); got != tt.epochStr {
			t.Errorf("aws:EpochTime at %v = %s, want %s", tt.at, got, tt.epochStr)
		}
	}
}

// TestDecisionsKept checks that a decision on policies without conditions
// or variables is kept and served again, for that principal, action and
// resource only, and never once a policy changed; and that decisions on
// policies with conditions are made every time.
func TestDecisionsKept(t *testing.T) {
	ctx := context.Background()
	fp := &fakePolicies{identity: []iam.StoredPolicy{{Name: "invoke", Source: "user bob (inline)", Document: allowInvoke}}}
	a := New(fp, nil)
	decide := func(p *iam.Principal, q Query) iampolicy.Decision {
		t.Helper()
		d, err := a.Decide(ctx, p, q)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	kept := func() int {
		a.decisions.mu.Lock()
		defer a.decisions.mu.Unlock()
		return len(a.decisions.m)
	}
	invoke := Query{Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
	if d := decide(bob, invoke); !d.Allowed() {
		t.Fatalf("bob denied: %v", d.Result)
	}
	if kept() != 1 {
		t.Fatalf("%d decisions kept, want 1", kept())
	}
	// A kept decision is served again: tampering with it shows.
	for k, d := range a.decisions.m {
		d.Result = iampolicy.ExplicitDeny
		a.decisions.m[k] = d
	}
	if d := decide(bob, invoke); d.Result != iampolicy.ExplicitDeny {
		t.Fatalf("the kept decision was not used: %v", d.Result)
	}
	a.decisions.m = nil

	// Another action, resource or principal is decided on its own.
	if d := decide(bob, Query{Action: "lambda:GetFunction", Resource: fnARN}); d.Allowed() {
		t.Error("lambda:GetFunction allowed by a policy allowing lambda:InvokeFunctionUrl")
	}
	alice := &iam.Principal{Type: iam.PrincipalUser, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", UserID: "AIDAALICE", UserName: "alice"}
	onlyBob, err := a.NamedPolicy("function policy", "function f", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+bob.ARN+`"},"Action":"lambda:GetFunction","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	get := Query{Action: "lambda:GetFunction", Resource: fnARN, ResourcePolicy: onlyBob}
	if d := decide(bob, get); !d.Allowed() {
		t.Error("bob denied by a resource policy naming him")
	}
	if d := decide(alice, get); d.Allowed() {
		t.Error("alice allowed by bob's kept decision")
	}

	// A changed policy is a new set: the kept allow is not used.
	fp.identity[0].Document = strings.Replace(allowInvoke, `"Allow"`, `"Deny"`, 1)
	if d := decide(bob, invoke); d.Result != iampolicy.ExplicitDeny {
		t.Errorf("after the policy became a deny: %v", d.Result)
	}

	// Conditions: every decision is made anew.
	fp.identity[0].Document = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`
	a.decisions.m = nil
	for _, tt := range []struct {
		ip    string
		allow bool
	}{{"192.0.2.7", true}, {"198.51.100.7", false}, {"192.0.2.8", true}} {
		rctx := WithRequestInfo(ctx, &RequestInfo{SourceIP: tt.ip})
		d, err := a.Decide(rctx, bob, invoke)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed() != tt.allow {
			t.Errorf("from %s: allowed %v, want %v", tt.ip, d.Allowed(), tt.allow)
		}
	}
	// So do variables.
	fp.identity[0].Document = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:*:*:function:${aws:username}"}]}`
	if d := decide(bob, invoke); d.Allowed() {
		t.Error("bob allowed on function f by a policy for the function named after him")
	}
	if d := decide(bob, Query{Action: "lambda:InvokeFunctionUrl", Resource: "arn:aws:lambda:us-east-1:111122223333:function:bob"}); !d.Allowed() {
		t.Error("bob denied on his own function")
	}
	if kept() != 0 {
		t.Errorf("%d decisions kept on policies with conditions or variables", kept())
	}
}

// TestKeptDecisionsAsEvaluated compares, over principals, actions,
// resources and context-free policies, every decision Decide returns (the
// second time from the decision cache) with the engine's own evaluation.
func TestKeptDecisionsAsEvaluated(t *testing.T) {
	ctx := context.Background()
	docs := []string{
		allowInvoke,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"arn:aws:lambda:*:111122223333:function:f*"},{"Effect":"Deny","Action":"lambda:Delete*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:lambda:us-east-1:111122223333:function:secret"}]}`,
	}
	resourceDocs := []string{
		"",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"lambda:InvokeFunction","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"lambda:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`,
	}
	principals := []*iam.Principal{
		bob,
		{Type: iam.PrincipalUser, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", UserID: "AIDAALICE", UserName: "alice"},
		{Type: iam.PrincipalUser, Account: "444455556666", ARN: "arn:aws:iam::444455556666:user/carol", UserID: "AIDACAROL", UserName: "carol"},
	}
	actions := []string{"lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "lambda:DeleteFunction", "iam:GetUser"}
	resources := []string{fnARN, "arn:aws:lambda:us-east-1:111122223333:function:secret", "arn:aws:lambda:us-east-1:444455556666:function:f"}
	n := 0
	for _, doc := range docs {
		fp := &fakePolicies{identity: []iam.StoredPolicy{{Name: "p", Source: "inline", Document: doc}}}
		a := New(fp, nil)
		for _, rdoc := range resourceDocs {
			rp, err := a.NamedPolicy("resource policy", "function", rdoc)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range principals {
				for _, action := range actions {
					for _, res := range resources {
						q := Query{Action: action, Resource: res, ResourcePolicy: rp}
						subj, err := a.Subject(ctx, p)
						if err != nil {
							t.Fatal(err)
						}
						set := subj.policySet(rp, false)
						req, err := subj.request(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						want := iampolicy.Evaluate(req, set).Result
						for round := range 2 {
							d, err := a.Decide(ctx, p, q)
							if err != nil {
								t.Fatal(err)
							}
							if d.Result != want {
								t.Errorf("%s %s on %s, resource policy %q, round %d: %v, want %v", p.ARN, action, res, rdoc, round, d.Result, want)
							}
							n++
						}
					}
				}
			}
		}
		if len(a.decisions.m) == 0 {
			t.Errorf("no decision kept for %s", doc)
		}
	}
	t.Logf("%d decisions compared", n)
}
