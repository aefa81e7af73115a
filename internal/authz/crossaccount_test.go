package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/iam"
)

// fixedPolicies serves one identity-based policy to every principal.
type fixedPolicies struct{ identity string }

func (f fixedPolicies) IdentityPolicies(context.Context, *iam.Principal) ([]iam.StoredPolicy, error) {
	if f.identity == "" {
		return nil, nil
	}
	return []iam.StoredPolicy{{Name: "invoke", Source: "user carol (inline)", Document: f.identity}}, nil
}
func (fixedPolicies) SessionPolicies(context.Context, *iam.Principal) ([]iam.StoredPolicy, error) {
	return nil, nil
}
func (fixedPolicies) Boundary(context.Context, *iam.Principal) (*iam.StoredPolicy, error) {
	return nil, nil
}
func (fixedPolicies) PrincipalTags(context.Context, *iam.Principal) ([]iam.Tag, error) {
	return nil, nil
}

// TestDecideCrossAccount checks that a caller from another account needs
// both its own identity policy and the function's resource policy, and that
// a one-sided grant is recorded in the audit entry with a reason naming the
// side that is missing and the statement that did not apply.
func TestDecideCrossAccount(t *testing.T) {
	const (
		fn    = "arn:aws:lambda:us-east-1:111122223333:function:hello"
		carol = "arn:aws:iam::444455556666:user/carol"
	)
	identity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fn + `"}]}`
	grantCarol := `{"Version":"2012-10-17","Statement":[{"Sid":"carol","Effect":"Allow","Principal":{"AWS":"` + carol + `"},"Action":"lambda:InvokeFunctionUrl","Resource":"` + fn + `"}]}`
	grantSomeoneElse := `{"Version":"2012-10-17","Statement":[{"Sid":"dave","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/dave"},"Action":"lambda:InvokeFunctionUrl","Resource":"` + fn + `"}]}`
	tests := []struct {
		name             string
		identity, policy string
		allowed          bool
		reason           []string // substrings the recorded reason must contain
	}{
		{name: "identity only", identity: identity, reason: []string{"resource policy does not allow lambda:InvokeFunctionUrl on " + fn + " for this cross-account caller"}},
		{name: "resource statement for someone else", identity: identity, policy: grantSomeoneElse,
			reason: []string{"cross-account caller", "statement dave does not name this principal"}},
		{name: "resource only", policy: grantCarol, reason: []string{"no identity-based policy allows lambda:InvokeFunctionUrl on " + fn}},
		{name: "both sides", identity: identity, policy: grantCarol, allowed: true},
	}
	p := &iam.Principal{Type: iam.PrincipalUser, Account: "444455556666", ARN: carol, UserName: "carol", UserID: "AIDACAROL"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(fixedPolicies{identity: tt.identity}, nil)
			q := Query{Action: "lambda:InvokeFunctionUrl", Resource: fn}
			if tt.policy != "" {
				np, err := a.NamedPolicy("function hello", "resource-based policy of hello", tt.policy)
				if err != nil {
					t.Fatal(err)
				}
				q.ResourcePolicy = np
			}
			ctx, entry := audit.NewContext(context.Background())
			d, err := a.Decide(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed() != tt.allowed {
				t.Fatalf("allowed = %v, want %v (%s)", d.Allowed(), tt.allowed, d)
			}
			if !tt.allowed && !d.CrossAccount {
				t.Errorf("decision not marked cross-account: %s", d)
			}
			ev := entry.Event()
			wantDecision := audit.ImplicitDeny
			if tt.allowed {
				wantDecision = audit.Allowed
			}
			if ev.Decision != wantDecision {
				t.Errorf("recorded decision = %q, want %q", ev.Decision, wantDecision)
			}
			for _, s := range tt.reason {
				if !strings.Contains(ev.Reason, s) {
					t.Errorf("recorded reason %q lacks %q", ev.Reason, s)
				}
			}
		})
	}
}
