package iampolicy

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/${aws:username}/*"}}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::111111111111:role/caller"]},"Action":"lambda:*","Resource":"arn:aws:lambda:*:*:function:*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"NumericLessThanEquals":{"k":"1.5"},"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${aws:username}*"},"Null":{"x":"true"},"Bool":{"aws:SecureTransport":true},"BinaryEquals":{"b":"QQ=="}}}]}`,
	`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":"*:*","Resource":"*"}]}`,
	`{"Statement":[{"Effect":"Allow","Action":"s3:*a*a*a*a*a*a*a*a*b","Resource":"arn:aws:s3:::*?*?*?*?*?*?*?*?*?*x"}]}`,
}

// FuzzParse: Parse and Validate never panic; whatever parses marshals to a
// document that parses again to the same JSON.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, k := range []Kind{Identity, Resource, Trust} {
			_ = Validate(doc, k)
		}
		p, err := Parse(doc)
		if err != nil {
			return
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(MarshalJSON(Parse(%q))) = %v\n%s", doc, err, out)
		}
		if again := q.String(); again != string(out) {
			t.Fatalf("round trip not stable:\n%s\n%s", out, again)
		}
		if Validate(doc, Identity) == nil && Validate(out, Identity) != nil {
			t.Fatalf("a valid document marshals to an invalid one: %s -> %s", doc, out)
		}
	})
}

// FuzzEvaluate: evaluation of arbitrary policies and requests terminates,
// never panics, and the explained evaluation reaches the same decision.
func FuzzEvaluate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "lambda:InvokeFunctionUrl", "arn:aws:lambda:us-east-1:111111111111:function:f", "aws:TagKeys", "a,b", "arn:aws:sts::111111111111:assumed-role/caller/s1")
	}
	f.Add([]byte(fuzzSeeds[4]), "s3:"+strings.Repeat("a", 300), "arn:aws:s3:::"+strings.Repeat("?", 300), "aws:username", "x", "arn:aws:iam::111111111111:user/x")
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, key, val, principal string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		pr, err := PrincipalFromARN(principal)
		if err != nil {
			pr = Anonymous()
		}
		req := &Request{Principal: pr, Action: action, Resource: resource}
		if strings.Contains(val, ",") {
			req.Context.SetMulti(key, strings.Split(val, ",")...)
		} else {
			req.Context.Set(key, val)
		}
		named := NamedPolicy{Name: "p", Policy: p}
		set := &PolicySet{
			Identity:            []NamedPolicy{named},
			PermissionsBoundary: &named,
			Session:             []NamedPolicy{named},
			Resource:            &named,
			SCPs:                []OrgLevel{{Target: "r", Policies: []NamedPolicy{named}}},
			RCPs:                []OrgLevel{{Target: "r", Policies: []NamedPolicy{named}}},
		}
		d := Evaluate(req, set)
		ex := Evaluate(req, set, WithExplanation())
		if d.Result != ex.Result || d.BlockedBy != ex.BlockedBy || len(d.Allows) != len(ex.Allows) || len(d.Denies) != len(ex.Denies) {
			t.Fatalf("plain %v %q, explained %v %q", d.Result, d.BlockedBy, ex.Result, ex.BlockedBy)
		}
		_ = ex.Explain()
		// The marshalled policy means the same.
		q, err := Parse([]byte(p.String()))
		if err != nil {
			t.Fatal(err)
		}
		qn := NamedPolicy{Name: "p", Policy: q}
		set2 := &PolicySet{Identity: []NamedPolicy{qn}, PermissionsBoundary: &qn, Session: []NamedPolicy{qn}, Resource: &qn,
			SCPs: []OrgLevel{{Target: "r", Policies: []NamedPolicy{qn}}}, RCPs: []OrgLevel{{Target: "r", Policies: []NamedPolicy{qn}}}}
		if d2 := Evaluate(req, set2); d2.Result != d.Result {
			t.Fatalf("re-parsed policy decides %v, original %v", d2.Result, d.Result)
		}
	})
}
