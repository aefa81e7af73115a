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
	if subj.policySet(rp, false) == subj.a.cache.policySet(subj.identity, nil, nil, rp, false) {
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
