package iampolicy

import (
	"strings"
	"testing"
)

const (
	allowInvoke      = `{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}`
	allowInvokeOnFn  = `{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnARN + `"}`
	allowS3Only      = `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`
	denyInvoke       = `{"Effect":"Deny","Action":"lambda:InvokeFunctionUrl","Resource":"*"}`
	rpPrincipalInvok = `{"Sid":"RP","Effect":"Allow","Principal":%s,"Action":"lambda:InvokeFunctionUrl","Resource":"` + fnARN + `"%s}`
)

func rpStatement(principal, condition string) string {
	s := strings.Replace(rpPrincipalInvok, "%s", principal, 1)
	return strings.Replace(s, "%s", condition, 1)
}

// TestBoundaryTruthTable transcribes the real-AWS measurements of
// benkehoe/permissions-boundary-test (reference §3.2): a role session with a
// permissions boundary, a role (identity) policy and a resource policy, each
// allowing or not; the resource policy names the principal in four ways.
func TestBoundaryTruthTable(t *testing.T) {
	principals := []struct {
		name      string
		principal string
		condition string
	}{
		{"role ARN", `{"AWS":"` + roleARN + `"}`, ""},
		{"session ARN", `{"AWS":"` + sessARN + `"}`, ""},
		{"account + aws:PrincipalArn", `{"AWS":"` + acct + `"}`, `,"Condition":{"ArnEquals":{"aws:PrincipalArn":"` + roleARN + `"}}`},
		{"* + aws:PrincipalArn", `"*"`, `,"Condition":{"ArnEquals":{"aws:PrincipalArn":"` + roleARN + `"}}`},
	}
	columns := []string{"--A", "-AA", "AA-", "A-A", "AAA", "A--", "-A-"}
	want := map[string]string{
		"role ARN":                   "DDAAADD",
		"session ARN":                "AAAAADD",
		"account + aws:PrincipalArn": "DDADADD",
		"* + aws:PrincipalArn":       "AAAAADD",
	}
	rows := 0
	for _, pr := range principals {
		for i, col := range columns {
			name := pr.name + "/" + col
			t.Run(name, func(t *testing.T) {
				set := &PolicySet{}
				if col[0] == 'A' {
					set.PermissionsBoundary = namedPtr("boundary", pol(t, allowInvoke))
				} else {
					set.PermissionsBoundary = namedPtr("boundary", pol(t, allowS3Only))
				}
				if col[1] == 'A' {
					set.Identity = []NamedPolicy{named("role-policy", pol(t, allowInvoke))}
				}
				if col[2] == 'A' {
					set.Resource = namedPtr("function-policy", pol(t, rpStatement(pr.principal, pr.condition)))
				}
				req := &Request{Principal: mustPrincipal(t, sessARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
				got := Evaluate(req, set)
				wantAllow := want[pr.name][i] == 'A'
				if got.Allowed() != wantAllow {
					t.Errorf("Evaluate(%s) = %v, want allowed=%v", name, got, wantAllow)
				}
				if !wantAllow && got.Result != ImplicitDeny {
					t.Errorf("Evaluate(%s).Result = %v, want ImplicitDeny", name, got.Result)
				}
			})
			rows++
		}
	}
	if rows != 28 {
		t.Fatalf("truth table has %d rows, want 28", rows)
	}
}

func TestEvaluate(t *testing.T) {
	user := func() Principal { return mustPrincipal(t, userARN) }
	session := func() Principal { return mustPrincipal(t, sessARN) }
	other := func() Principal {
		return mustPrincipal(t, "arn:aws:iam::"+otherAcct+":user/bob")
	}
	federated := func() Principal {
		p := mustPrincipal(t, "arn:aws:sts::"+acct+":federated-user/alice")
		p.IssuerARN = userARN // alice federated as "alice"
		return p
	}
	tests := []struct {
		name      string
		principal Principal
		action    string
		resource  string
		set       func(t *testing.T) *PolicySet
		want      Result
		blocked   Layers
		cross     bool
	}{
		{
			name: "no policies: implicit deny", principal: user(),
			set:  func(t *testing.T) *PolicySet { return &PolicySet{} },
			want: ImplicitDeny, blocked: Layers(LayerIdentity),
		},
		{
			name: "identity allow, same account", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Identity: []NamedPolicy{named("p", pol(t, allowInvoke))}}
			},
			want: Allow,
		},
		{
			name: "explicit deny in a second identity policy wins", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Identity: []NamedPolicy{named("a", pol(t, allowInvoke)), named("d", pol(t, denyInvoke))}}
			},
			want: ExplicitDeny, blocked: Layers(LayerIdentity),
		},
		{
			name: "resource policy alone allows the named user, same account", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+userARN+`"}`, "")))}
			},
			want: Allow,
		},
		{
			name: "resource policy deny beats identity allow", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Resource: namedPtr("fn", pol(t, `{"Effect":"Deny","Principal":"*","Action":"lambda:*","Resource":"*"}`)),
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "resource policy deny to the account applies to its users", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Resource: namedPtr("fn", pol(t, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"lambda:*","Resource":"*"}`)),
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "resource policy naming another principal does not apply", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"arn:aws:iam::111111111111:user/bob"}`, ""))),
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity | LayerResource),
		},
		{
			name: "cross account: identity alone is not enough", principal: other(), cross: true,
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Identity: []NamedPolicy{named("p", pol(t, allowInvoke))}}
			},
			want: ImplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "cross account: resource alone is not enough", principal: other(), cross: true,
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+otherAcct+`"}`, "")))}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity),
		},
		{
			name: "cross account: both sides allow", principal: other(), cross: true,
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+otherAcct+`"}`, ""))),
				}
			},
			want: Allow,
		},
		{
			name: "cross account: resource grant to the user ARN also needs identity", principal: other(), cross: true,
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"arn:aws:iam::`+otherAcct+`:user/bob"}`, "")))}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity),
		},
		{
			name: "cross account: boundary implicit deny is not bypassed", principal: mustPrincipal(t, "arn:aws:sts::"+otherAcct+":assumed-role/r/s"), cross: true,
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity:            []NamedPolicy{named("p", pol(t, allowInvoke))},
					PermissionsBoundary: namedPtr("pb", pol(t, allowS3Only)),
					Resource:            namedPtr("fn", pol(t, rpStatement(`{"AWS":"arn:aws:sts::`+otherAcct+`:assumed-role/r/s"}`, ""))),
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerBoundary),
		},
		{
			name: "session policy limits the role's identity policies", principal: session(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Session:  []NamedPolicy{named("session", pol(t, allowS3Only))},
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerSession),
		},
		{
			name: "inline and managed session policies combine as one", principal: session(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Session:  []NamedPolicy{named("inline", pol(t, allowS3Only)), named("arn:aws:iam::111111111111:policy/m", pol(t, allowInvoke))},
				}
			},
			want: Allow,
		},
		{
			name: "session policy does not limit a grant to the session ARN", principal: session(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Session:  []NamedPolicy{named("session", pol(t, allowS3Only))},
					Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+sessARN+`"}`, ""))),
				}
			},
			want: Allow,
		},
		{
			name: "session policy limits a grant to the role ARN", principal: session(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Session:  []NamedPolicy{named("session", pol(t, allowS3Only))},
					Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+roleARN+`"}`, ""))),
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity | LayerSession),
		},
		{
			name: "session policy explicit deny applies to resource grants", principal: session(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Session:  []NamedPolicy{named("session", pol(t, denyInvoke))},
					Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+sessARN+`"}`, ""))),
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerSession),
		},
		{
			name: "federated user without session policy has no identity permissions", principal: federated(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Identity: []NamedPolicy{named("user-policy", pol(t, allowInvoke))}}
			},
			want: ImplicitDeny, blocked: Layers(LayerSession),
		},
		{
			name: "federated user: identity ∩ session policy", principal: federated(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("user-policy", pol(t, allowInvoke))},
					Session:  []NamedPolicy{named("session", pol(t, allowInvoke))},
				}
			},
			want: Allow,
		},
		{
			name: "federated user: grant to its ARN needs no session policy", principal: federated(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"arn:aws:sts::`+acct+`:federated-user/alice"}`, "")))}
			},
			want: Allow,
		},
		{
			name: "federated user: grant to the IAM user that federated is limited by the session policy", principal: federated(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Session:  []NamedPolicy{named("session", pol(t, allowS3Only))},
					Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+userARN+`"}`, ""))),
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity | LayerSession),
		},
		{
			name: "root user needs no identity policy", principal: mustPrincipal(t, "arn:aws:iam::111111111111:root"),
			set:  func(t *testing.T) *PolicySet { return &PolicySet{} },
			want: Allow,
		},
		{
			name: "root user is still denied by a resource policy", principal: mustPrincipal(t, "arn:aws:iam::111111111111:root"),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`))}
			},
			want: ExplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "root user is limited by SCPs", principal: mustPrincipal(t, "arn:aws:iam::111111111111:root"),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{SCPs: []OrgLevel{{Target: "r-root", Policies: []NamedPolicy{named("FullAWSAccess", pol(t, `{"Effect":"Allow","Action":"*","Resource":"*"}`))}},
					{Target: acct, Policies: []NamedPolicy{named("s3-only", pol(t, allowS3Only))}}}}
			},
			want: ImplicitDeny, blocked: Layers(LayerSCP),
		},
		{
			name: "anonymous allowed by Principal *", principal: Anonymous(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`"*"`, "")))}
			},
			want: Allow,
		},
		{
			name: "anonymous allowed by AWS *", principal: Anonymous(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"*"}`, "")))}
			},
			want: Allow,
		},
		{
			name: "anonymous not allowed by an account grant", principal: Anonymous(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+acct+`"}`, "")))}
			},
			want: ImplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "anonymous ignores identity policies", principal: Anonymous(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Identity: []NamedPolicy{named("p", pol(t, allowInvoke))}}
			},
			want: ImplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "service principal allowed by its resource grant", principal: ServicePrincipal("s3.amazonaws.com"),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"Service":"s3.amazonaws.com"}`, "")))}
			},
			want: Allow,
		},
		{
			name: "service principal not named", principal: ServicePrincipal("sns.amazonaws.com"),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"Service":"s3.amazonaws.com"}`, "")))}
			},
			want: ImplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "NotPrincipal deny spares the listed principal", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Resource: namedPtr("fn", pol(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["`+userARN+`"]},"Action":"*","Resource":"*"}`)),
				}
			},
			want: Allow,
		},
		{
			name: "NotPrincipal deny hits everyone else", principal: mustPrincipal(t, "arn:aws:iam::111111111111:user/bob"),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					Resource: namedPtr("fn", pol(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["`+userARN+`"]},"Action":"*","Resource":"*"}`)),
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "NotPrincipal deny always denies principals with a boundary", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity:            []NamedPolicy{named("p", pol(t, allowInvoke))},
					PermissionsBoundary: namedPtr("pb", pol(t, allowInvoke)),
					Resource:            namedPtr("fn", pol(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["`+userARN+`"]},"Action":"*","Resource":"*"}`)),
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "GetCallerIdentity needs no permission, even under deny", principal: user(),
			action: "sts:GetCallerIdentity", resource: "*",
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Identity: []NamedPolicy{named("d", pol(t, `{"Effect":"Deny","Action":"*","Resource":"*"}`))}}
			},
			want: Allow,
		},
		{
			name: "trust policy must allow even in the same account", principal: user(),
			action: "sts:AssumeRole", resource: "arn:aws:iam::111111111111:role/target",
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity:          []NamedPolicy{named("p", pol(t, `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`))},
					Resource:          namedPtr("trust", pol(t, `{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`)),
					ResourceMustAllow: true,
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerResource),
		},
		{
			name: "trust policy naming the account delegates to identity policy", principal: user(),
			action: "sts:AssumeRole", resource: "arn:aws:iam::111111111111:role/target",
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity:          []NamedPolicy{named("p", pol(t, `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`))},
					Resource:          namedPtr("trust", pol(t, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}`)),
					ResourceMustAllow: true,
				}
			},
			want: Allow,
		},
		{
			name: "trust policy naming the account without identity policy", principal: user(),
			action: "sts:AssumeRole", resource: "arn:aws:iam::111111111111:role/target",
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Resource:          namedPtr("trust", pol(t, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}`)),
					ResourceMustAllow: true,
				}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity),
		},
		{
			name: "RCP deny applies to anonymous callers", principal: Anonymous(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Resource: namedPtr("fn", pol(t, rpStatement(`"*"`, ""))),
					RCPs: []OrgLevel{{Target: "r-root", Policies: []NamedPolicy{named("rcp", pol(t,
						`{"Effect":"Deny","Principal":"*","Action":"lambda:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalAccount":"`+acct+`"}}}`))}}},
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerRCP),
		},
		{
			name: "RCP levels always include RCPFullAWSAccess", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					RCPs: []OrgLevel{{Target: "r-root"}, {Target: acct, Policies: []NamedPolicy{named("deny-s3", pol(t,
						`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`))}}},
				}
			},
			want: Allow,
		},
		{
			name: "SCP deny", principal: user(),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Identity: []NamedPolicy{named("p", pol(t, allowInvoke))},
					SCPs: []OrgLevel{{Target: "r-root", Policies: []NamedPolicy{
						named("FullAWSAccess", pol(t, `{"Effect":"Allow","Action":"*","Resource":"*"}`)),
						named("deny-lambda", pol(t, `{"Effect":"Deny","Action":"lambda:*","Resource":"*"}`)),
					}}},
				}
			},
			want: ExplicitDeny, blocked: Layers(LayerSCP),
		},
		{
			name: "SCPs do not apply to service principals", principal: ServicePrincipal("s3.amazonaws.com"),
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{
					Resource: namedPtr("fn", pol(t, rpStatement(`{"Service":"s3.amazonaws.com"}`, ""))),
					SCPs:     []OrgLevel{{Target: "r-root", Policies: []NamedPolicy{named("deny", pol(t, `{"Effect":"Deny","Action":"*","Resource":"*"}`))}}},
				}
			},
			want: Allow,
		},
		{
			name: "resource policy grant to an unqualified function does not cover an alias", principal: user(),
			resource: fnARN + ":prod",
			set: func(t *testing.T) *PolicySet {
				return &PolicySet{Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+userARN+`"}`, "")))}
			},
			want: ImplicitDeny, blocked: Layers(LayerIdentity | LayerResource),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action, resource := tt.action, tt.resource
			if action == "" {
				action = "lambda:InvokeFunctionUrl"
			}
			if resource == "" {
				resource = fnARN
			}
			req := &Request{Principal: tt.principal, Action: action, Resource: resource}
			set := tt.set(t)
			got := Evaluate(req, set)
			if got.Result != tt.want || got.BlockedBy != tt.blocked {
				t.Errorf("Evaluate = %v (blocked by %q), want %v (blocked by %q)", got.Result, got.BlockedBy, tt.want, tt.blocked)
			}
			if got.CrossAccount != tt.cross {
				t.Errorf("Evaluate.CrossAccount = %v, want %v", got.CrossAccount, tt.cross)
			}
			// The explained evaluation must reach the same decision.
			ex := Evaluate(req, set, WithExplanation())
			if ex.Result != got.Result || ex.BlockedBy != got.BlockedBy || len(ex.Allows) != len(got.Allows) || len(ex.Denies) != len(got.Denies) {
				t.Errorf("Evaluate(WithExplanation) = %v %q allows=%d denies=%d, plain = %v %q allows=%d denies=%d",
					ex.Result, ex.BlockedBy, len(ex.Allows), len(ex.Denies), got.Result, got.BlockedBy, len(got.Allows), len(got.Denies))
			}
		})
	}
}

func TestMatchedStatements(t *testing.T) {
	set := &PolicySet{
		Identity: []NamedPolicy{
			{Name: "a", Source: "user alice", Policy: pol(t, `{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Sid":"Invoke","Effect":"Allow","Action":"lambda:Invoke*","Resource":"*"}`)},
			{Name: "b", Source: "group devs", Policy: pol(t, `{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"`+fnARN+`"}`)},
		},
		Resource: namedPtr("fn", pol(t, rpStatement(`{"AWS":"`+acct+`"}`, ""))),
	}
	req := &Request{Principal: mustPrincipal(t, userARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
	d := Evaluate(req, set)
	want := []StatementRef{
		{Layer: LayerIdentity, Policy: "a", Source: "user alice", Sid: "Invoke", Index: 1},
		{Layer: LayerIdentity, Policy: "b", Source: "group devs", Index: 0},
		{Layer: LayerResource, Policy: "fn", Sid: "RP", Index: 0, Principal: PrincipalAccountMatch},
	}
	if len(d.Allows) != len(want) {
		t.Fatalf("Evaluate().Allows = %+v, want %+v", d.Allows, want)
	}
	for i := range want {
		if d.Allows[i] != want[i] {
			t.Errorf("Evaluate().Allows[%d] = %+v, want %+v", i, d.Allows[i], want[i])
		}
	}
}

func TestExplain(t *testing.T) {
	set := &PolicySet{
		Identity: []NamedPolicy{named("alice-s3", pol(t, allowS3Only))},
		Resource: namedPtr("fn", pol(t,
			`{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"`+fnARN+`","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`,
			`{"Sid":"OfficeOnly","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"`+fnARN+`","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)),
	}
	req := &Request{Principal: mustPrincipal(t, userARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN,
		Context: ctx("lambda:FunctionUrlAuthType", "AWS_IAM")}
	d := Evaluate(req, set, WithExplanation())
	if d.Result != ImplicitDeny {
		t.Fatalf("Evaluate = %v, want ImplicitDeny", d)
	}
	text := d.Explain()
	for _, want := range []string{
		"no identity-based policy allows lambda:InvokeFunctionUrl on " + fnARN,
		"resource policy fn statement FunctionURLAllowPublicAccess requires lambda:FunctionUrlAuthType = NONE, request has AWS_IAM",
		"statement OfficeOnly requires aws:SourceIp in 10.0.0.0/8, request has no aws:SourceIp",
		"request context lacks aws:SourceIp",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Explain() = %q, want it to contain %q", text, want)
		}
	}
	ex := d.Explanation
	if got, want := len(ex.Statements), 3; got != want {
		t.Fatalf("len(Explanation.Statements) = %d, want %d", got, want)
	}
	s3 := ex.Statements[0]
	if s3.Layer != LayerIdentity || s3.Action || !s3.Resource || s3.Matched {
		t.Errorf("identity statement explanation = %+v, want action mismatch only", s3)
	}
	pub := ex.Statements[1]
	if !pub.Action || !pub.Resource || pub.Principal != PrincipalFullMatch || pub.Matched || len(pub.Conditions) != 1 {
		t.Fatalf("public statement explanation = %+v", pub)
	}
	c := pub.Conditions[0]
	if c.Matched || c.Missing || c.Key != "lambda:FunctionUrlAuthType" || c.PolicyValues[0] != "NONE" || c.RequestValues[0] != "AWS_IAM" {
		t.Errorf("condition explanation = %+v", c)
	}
	if got := ex.MissingKeys; len(got) != 1 || got[0] != "aws:SourceIp" {
		t.Errorf("MissingKeys = %v, want [aws:SourceIp]", got)
	}

	// Explicit denies name the statement.
	set.Identity = append(set.Identity, named("guard", pol(t, `{"Sid":"NoLambda","Effect":"Deny","Action":"lambda:*","Resource":"*"}`)))
	set2 := &PolicySet{Identity: set.Identity, Resource: set.Resource}
	d = Evaluate(req, set2)
	if want := "explicitly denied by identity policy guard statement NoLambda"; !strings.Contains(d.Explain(), want) {
		t.Errorf("Explain() = %q, want it to contain %q", d.Explain(), want)
	}
}

func TestRequestResourceAccount(t *testing.T) {
	// S3 bucket ARNs carry no account: the resource is in the caller's
	// account unless ResourceAccount says otherwise.
	set := &PolicySet{Identity: []NamedPolicy{named("p", pol(t, `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`))}}
	req := &Request{Principal: mustPrincipal(t, userARN), Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"}
	if d := Evaluate(req, set); !d.Allowed() || d.CrossAccount {
		t.Errorf("Evaluate(same-account bucket) = %v cross=%v, want allowed, same account", d, d.CrossAccount)
	}
	req.ResourceAccount = otherAcct
	if d := Evaluate(req, set); d.Allowed() || !d.CrossAccount {
		t.Errorf("Evaluate(bucket in %s) = %v cross=%v, want denied cross-account", otherAcct, d, d.CrossAccount)
	}
}

func TestDerivedContextKeys(t *testing.T) {
	p := mustPrincipal(t, sessARN)
	p.UserID = "AROAEXAMPLE:s1"
	tests := []struct {
		key  string
		want string
		ok   bool
	}{
		{"aws:PrincipalArn", roleARN, true},
		{"AWS:principalarn", roleARN, true},
		{"aws:PrincipalAccount", acct, true},
		{"aws:PrincipalType", "AssumedRole", true},
		{"aws:userid", "AROAEXAMPLE:s1", true},
		{"aws:username", "", false},
		{"aws:ResourceAccount", acct, true},
	}
	req := &Request{Principal: p, Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
	ev := evalState{req: req, resourceAccount: acct}
	for _, tt := range tests {
		got, ok := ev.resolve(strings.ToLower(tt.key))
		if got != tt.want || ok != tt.ok {
			t.Errorf("resolve(%q) = %q, %v, want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	// The request context overrides derived keys.
	req.Context.Set("aws:PrincipalType", "Custom")
	if got, _ := ev.resolve("aws:principaltype"); got != "Custom" {
		t.Errorf("resolve(aws:principaltype) with an explicit value = %q, want Custom", got)
	}
	anon := evalState{req: &Request{Principal: Anonymous()}}
	for key, want := range map[string]string{"aws:principaltype": "Anonymous", "aws:userid": "anonymous", "aws:principalaccount": "anonymous"} {
		if got, ok := anon.resolve(key); !ok || got != want {
			t.Errorf("anonymous resolve(%q) = %q, %v, want %q", key, got, ok, want)
		}
	}
}
