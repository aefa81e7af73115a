package iampolicy

import (
	"fmt"
	"strings"
	"testing"
)

// benchPolicies builds n identity policies of five statements each, mixing
// services, wildcards and conditions; only the first has statements about
// lambda:InvokeFunctionUrl (one Allow with conditions, one Deny that does not
// match), so the number of statements that can match the action stays fixed.
func benchPolicies(tb testing.TB, n int) []NamedPolicy {
	tb.Helper()
	services := []string{"s3", "dynamodb", "sqs", "sns", "ec2", "kms", "logs", "iam", "sts", "cloudwatch"}
	var out []NamedPolicy
	for i := 0; i < n; i++ {
		svc := services[i%len(services)]
		var stmts []string
		if i == 0 {
			stmts = append(stmts,
				`{"Sid":"InvokeURL","Effect":"Allow","Action":["lambda:InvokeFunctionUrl","lambda:InvokeFunction"],"Resource":"arn:aws:lambda:us-east-1:111111111111:function:*","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"Bool":{"aws:SecureTransport":"true"}}}`,
				`{"Sid":"NoProd","Effect":"Deny","Action":"lambda:*","Resource":"arn:aws:lambda:*:*:function:prod-*"}`,
			)
		}
		for len(stmts) < 5 {
			j := len(stmts)
			stmts = append(stmts, fmt.Sprintf(
				`{"Sid":"S%d","Effect":"Allow","Action":["%s:Get%d*","%s:Put%d","%s:List*"],"Resource":"arn:aws:%s:us-east-1:111111111111:thing/%d/*","Condition":{"StringLike":{"aws:PrincipalTag/team":"t%d*"}}}`,
				j, svc, j, svc, j, svc, svc, i, j))
		}
		out = append(out, NamedPolicy{Name: fmt.Sprintf("policy-%d", i), Source: "role caller", Policy: pol(tb, stmts...)})
	}
	return out
}

func benchRequest(tb testing.TB) *Request {
	req := &Request{Principal: mustPrincipal(tb, sessARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
	req.Principal.UserID = "AROAEXAMPLE:s1"
	req.Context.Set("lambda:FunctionUrlAuthType", "AWS_IAM")
	req.Context.Set("aws:SourceIp", "10.1.2.3")
	req.Context.Set("aws:SecureTransport", "true")
	req.Context.Set("aws:PrincipalTag/team", "blue")
	req.Context.Set("aws:CurrentTime", "2026-03-01T12:00:00Z")
	return req
}

func benchResourcePolicy(tb testing.TB) *NamedPolicy {
	return &NamedPolicy{Name: "function-policy", Policy: pol(tb,
		`{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"`+fnARN+`","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`,
		`{"Sid":"Team","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"lambda:InvokeFunctionUrl","Resource":"`+fnARN+`","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/*"}}}`,
		`{"Sid":"DenyOldTLS","Effect":"Deny","Principal":"*","Action":"lambda:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)}
}

// BenchmarkEvaluate10Policies: one decision for a role session with 10
// attached policies (50 statements) plus the function's resource policy.
func BenchmarkEvaluate10Policies(b *testing.B) {
	set := &PolicySet{Identity: benchPolicies(b, 10), Resource: benchResourcePolicy(b)}
	req := benchRequest(b)
	if d := Evaluate(req, set); !d.Allowed() {
		b.Fatalf("Evaluate = %v, want Allow", d.Explain())
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, set)
	}
}

// BenchmarkEvaluateScale grows the number of attached policies while the
// statements that can match the action stay the same: the time per decision
// should stay flat.
func BenchmarkEvaluateScale(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			set := &PolicySet{Identity: benchPolicies(b, n), Resource: benchResourcePolicy(b)}
			req := benchRequest(b)
			Evaluate(req, set) // build the index
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(req, set)
			}
		})
	}
}

// BenchmarkEvaluateExplain is the slow path used for deny messages and the
// simulator: every statement is examined.
func BenchmarkEvaluateExplain(b *testing.B) {
	set := &PolicySet{Identity: benchPolicies(b, 10), Resource: benchResourcePolicy(b)}
	req := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, set, WithExplanation())
	}
}

// BenchmarkNewPolicySet measures building a set and its index from parsed
// policies (what a cache miss costs).
func BenchmarkNewPolicySet(b *testing.B) {
	ids := benchPolicies(b, 10)
	rp := benchResourcePolicy(b)
	req := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		set := &PolicySet{Identity: ids, Resource: rp}
		Evaluate(req, set)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(benchPolicies(b, 1)[0].Policy.String())
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPathologicalWildcards(b *testing.B) {
	p := pol(b, `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::`+strings.Repeat("*a", 40)+`*b"}`)
	set := &PolicySet{Identity: []NamedPolicy{{Name: "p", Policy: p}}}
	req := &Request{Principal: mustPrincipal(b, userARN), Action: "s3:GetObject", Resource: "arn:aws:s3:::" + strings.Repeat("a", 2000)}
	b.ReportAllocs()
	for b.Loop() {
		if Evaluate(req, set).Allowed() {
			b.Fatal("unexpected match")
		}
	}
}
