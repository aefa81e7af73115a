package authz

import (
	"testing"

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
