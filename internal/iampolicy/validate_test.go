package iampolicy

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// validationCase is a policy document and the MalformedPolicyDocument message
// AWS answers ("" = valid). The corpus is our own, written in the spirit of
// moto's tests/test_iam/test_iam_policies.py (Apache-2.0). Every case is also
// run through moto's validator, which reproduces AWS's texts, unless
// awsOnly explains why moto cannot judge it.
type validationCase struct {
	name    string
	kind    Kind
	doc     string
	want    string
	awsOnly string // why moto's answer differs (moto lacks this AWS check)
}

// st wraps statements in a 2012-10-17 document.
func st(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

const okStmt = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`

var validationCases = []validationCase{
	// Valid documents.
	{name: "minimal", doc: st(okStmt)},
	{name: "statement object", doc: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`},
	{name: "Id and Sid", doc: `{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"S1","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
	{name: "NotAction NotResource", doc: st(`{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/*"}`)},
	{name: "action lists and wildcards", doc: st(`{"Effect":"Allow","Action":["s3:Get*","lambda:InvokeFunction?rl","*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`)},
	{name: "action star star", doc: st(`{"Effect":"Allow","Action":"*:*","Resource":"*"}`)},
	{name: "vendor with dash and dot", doc: st(`{"Effect":"Allow","Action":"a-b.c:Get","Resource":"*"}`)},
	{name: "conditions of every family", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
		"StringEquals":{"aws:username":"alice"},"StringNotLike":{"s3:prefix":["a*","b?"]},
		"NumericLessThan":{"s3:max-keys":"10"},"DateGreaterThan":{"aws:CurrentTime":"2019-07-16T12:00:00Z"},
		"Bool":{"aws:SecureTransport":true},"BinaryEquals":{"k":"QmluYXJ5"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]},
		"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b"},"Null":{"aws:TokenIssueTime":"true"},
		"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]},"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["b*"]},
		"StringEqualsIfExists":{"aws:PrincipalTag/team":"x"}}}`)},
	{name: "date forms", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":
		["2019-01-01","2019-01-01T10:00:00+01:00","2019-01-01T10:00:00.5Z","1556064000","2019","2019-07"]}}}`)},
	{name: "negative year", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"-5"}}}`)},
	{name: "unknown operator with empty block", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringMaybe":{}}}`)},
	{name: "empty condition", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}`)},
	{name: "empty Sids repeat", doc: st(`{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}`)},
	{name: "resource formats", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:us-east-1:123456789012:accesspoint/ap","arn:aws:iam::123456789012:role/r","arn:*:lambda:*:*:function:*","arn:aws-cn:sqs:cn-north-1:123456789012:q","arn:aws:iam::aws:policy/x"]}`)},
	{name: "empty and null resources in a list", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":["","arn:aws:s3:::b",null]}`)},
	{name: "policy variables", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"}}}`)},
	{name: "Conditions top-level element", doc: `{"Version":"2012-10-17","Conditions":{},"Statement":[` + okStmt + `]}`},
	{name: "trust policy", kind: Trust, doc: st(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`)},
	{name: "trust policy, several actions", kind: Trust, doc: st(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`)},
	{name: "trust policy, web identity", kind: Trust, doc: st(`{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`)},

	// 1. Syntax.
	{name: "not JSON", doc: `{"Version":"2012-10-17","Statement":[`, want: msgSyntax},
	{name: "trailing data", doc: st(okStmt) + ` x`, want: msgSyntax},
	{name: "top-level list", doc: `[]`, want: msgSyntax},
	{name: "unknown top-level key", doc: `{"Version":"2012-10-17","Statment":[],"Statement":[` + okStmt + `]}`, want: msgSyntax},
	{name: "unknown version", doc: `{"Version":"2013-10-17","Statement":[` + okStmt + `]}`, want: msgSyntax},
	{name: "numeric version", doc: `{"Version":2012,"Statement":[` + okStmt + `]}`, want: msgSyntax},
	{name: "missing Statement", doc: `{"Version":"2012-10-17"}`, want: msgSyntax},
	{name: "Statement string", doc: `{"Version":"2012-10-17","Statement":"x"}`, want: msgSyntax},
	{name: "Statement empty list", doc: `{"Version":"2012-10-17","Statement":[]}`, want: msgSyntax},
	{name: "Statement null", doc: `{"Version":"2012-10-17","Statement":null}`, want: msgSyntax},
	{name: "statement not an object", doc: st(okStmt, `"x"`), want: msgSyntax},
	{name: "unknown statement key", doc: st(`{"Effect":"Allow","Actions":"s3:*","Resource":"*"}`), want: msgSyntax},
	{name: "Action and NotAction", doc: st(`{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}`), want: msgSyntax},
	{name: "Resource and NotResource", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}`), want: msgSyntax},
	{name: "missing Effect", doc: st(`{"Action":"s3:*","Resource":"*"}`), want: msgSyntax},
	{name: "numeric Effect", doc: st(`{"Effect":1,"Action":"s3:*","Resource":"*"}`), want: msgSyntax},
	{name: "unknown Effect", doc: st(`{"Effect":"Permit","Action":"s3:*","Resource":"*"}`), want: msgSyntax},
	{name: "numeric Action", doc: st(`{"Effect":"Allow","Action":1,"Resource":"*"}`), want: msgSyntax},
	{name: "numeric Action element", doc: st(`{"Effect":"Allow","Action":["s3:*",2],"Resource":"*"}`), want: msgSyntax},
	{name: "object Resource", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":{"a":"b"}}`), want: msgSyntax},
	{name: "nested Resource list", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":[["*"]]}`), want: msgSyntax},
	{name: "Condition list", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]}`), want: msgSyntax},
	{name: "condition operator block is a string", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"x"}}`), want: msgSyntax},
	{name: "condition value is an object", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":"b"}}}}`), want: msgSyntax},
	{name: "condition value is a number", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericEquals":{"k":1}}}`), want: msgSyntax},
	{name: "condition value is null", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":null}}}`), want: msgSyntax},
	{name: "unknown operator", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}`), want: msgSyntax},
	{name: "lower-case operator", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"stringequals":{"k":"v"}}}`), want: msgSyntax},
	{name: "IfExists twice", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualsIfExistsIfExists":{"k":"v"}}}`), want: msgSyntax},
	{name: "set prefix twice", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:ForAllValues:StringEquals":{"k":"v"}}}`), want: msgSyntax},
	{name: "numeric Sid", doc: st(`{"Sid":1,"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: msgSyntax},
	{name: "numeric Id", doc: `{"Version":"2012-10-17","Id":1,"Statement":[` + okStmt + `]}`, want: msgSyntax},
	{name: "syntax before version", doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}]}`, want: msgSyntax},
	{name: "duplicate keys", doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, want: msgSyntax,
		awsOnly: "the IAM policy grammar forbids repeating an element; moto's JSON parser keeps the last value"},

	// 2. Version.
	{name: "missing Version", doc: `{"Statement":[` + okStmt + `]}`, want: msgVersion},
	{name: "2008 Version", doc: `{"Version":"2008-10-17","Statement":[` + okStmt + `]}`, want: msgVersion},
	{name: "2008 Version before legacy", doc: `{"Version":"2008-10-17","Statement":[{"Effect":"allow","Action":"s3","Resource":"x"}]}`, want: msgVersion},
	{name: "trust 2008 Version", kind: Trust, doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, want: msgVersion},

	// 3. Legacy parsing.
	{name: "lower-case Effect", doc: st(`{"Effect":"allow","Action":"s3:*","Resource":"*"}`), want: msgLegacy},
	{name: "upper-case Effect", doc: st(okStmt, `{"Effect":"DENY","Action":"s3:*","Resource":"*"}`), want: msgLegacy},
	{name: "date month 13", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2019-13-01T00:00:00Z"}}}`), want: msgLegacy},
	{name: "date words", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"not-a-date"}}}`), want: msgLegacy},
	{name: "date letters", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"abc"}}}`), want: msgLegacy},
	{name: "date boolean", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":true}}}`), want: msgLegacy},
	{name: "date list with a number", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":["2019-01-01",5]}}}`), want: msgLegacy},
	{name: "date IfExists", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEqualsIfExists":{"aws:CurrentTime":"2019-01-32"}}}`), want: msgLegacy},
	{name: "date under a set operator", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:DateEquals":{"aws:CurrentTime":"2019-00-01"}}}`), want: msgLegacy},
	{name: "date hour 25", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2019-01-01T25:00:00Z"}}}`), want: msgLegacy},
	{name: "date minute 61", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2019-01-01T10:61:00Z"}}}`), want: msgLegacy},
	{name: "date zone hour 25", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2019-01-01T10:00:00+25:00"}}}`), want: msgLegacy},
	{name: "date fraction too long", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2019-01-01T10:00:00.1234567890Z"}}}`), want: msgLegacy},
	{name: "date four parts", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2019-01-01-01"}}}`), want: msgLegacy},
	{name: "date minutes then Z", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2019-01-01T10:00Z"}}}`), want: msgLegacy},
	{name: "resource with :: and too few colons", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::bucket"}`), want: msgLegacy},
	{name: "resource without service", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws::us-east-1:123456789012:x"}`), want: msgLegacy},
	{name: "legacy before sid", doc: st(`{"Sid":"A","Effect":"allow","Action":"s3:*","Resource":"*"}`, `{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: msgLegacy},

	// 4. Sids.
	{name: "duplicate Sid", doc: st(`{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}`), want: msgSidUnique},
	{name: "duplicate Sid before actions", doc: st(`{"Sid":"A","Effect":"Allow","Resource":"*"}`, `{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}`), want: msgSidUnique},

	// 5. Actions present.
	{name: "no Action", doc: st(`{"Effect":"Allow","Resource":"*"}`), want: msgNoActions},
	{name: "empty Action list", doc: st(`{"Effect":"Allow","Action":[],"Resource":"*"}`), want: msgNoActions},
	{name: "empty NotAction list", doc: st(`{"Effect":"Allow","NotAction":[],"Resource":"*"}`), want: msgNoActions},
	{name: "no Action before resource format", doc: st(`{"Effect":"Allow","Resource":"bucket"}`), want: msgNoActions},

	// 6. Resource format.
	{name: "resource not an ARN", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}`), want: `Resource bucket must be in ARN format or "*".`},
	{name: "unknown partition", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws-xx:s3:::b"}`), want: `Partition "aws-xx" is not valid for resource "arn:aws-xx:s3:::b".`},
	{name: "unknown partition, short", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo"}`), want: `Partition "foo" is not valid for resource "arn:foo:*:*:*:*".`},
	{name: "unknown partition, long", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo:s3:r:a:x:y"}`), want: `Partition "foo" is not valid for resource "arn:foo:s3:r:a:x:y".`},
	{name: "no vendor", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws"}`), want: msgResourceVendor},
	{name: "s3 with region", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::bucket"}`), want: "Resource arn:aws:s3:us-east-1::bucket can not contain region information."},
	{name: "iam with region", doc: st(`{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:123456789012:user/x"}`), want: "IAM resource arn:aws:iam:us-east-1:123456789012:user/x cannot contain region information."},
	{name: "iam bad path", doc: st(`{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:bucket"}`), want: msgIAMResourcePath},
	{name: "last resource error wins", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}`, `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::b"}`), want: "Resource arn:aws:s3:us-east-1::b can not contain region information."},
	{name: "resource list checked in reverse order", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":["bucket","zzz"]}`), want: `Resource bucket must be in ARN format or "*".`},
	{name: "NotResource format", doc: st(`{"Effect":"Allow","Action":"s3:*","NotResource":"x"}`), want: `Resource x must be in ARN format or "*".`},
	{name: "resource error before action prefix", doc: st(`{"Effect":"Allow","Action":"s3","Resource":"x"}`), want: `Resource x must be in ARN format or "*".`},

	// 7. Action prefixes.
	{name: "action without vendor", doc: st(`{"Effect":"Allow","Action":"s3","Resource":"*"}`), want: msgVendorMissing},
	{name: "empty action", doc: st(`{"Effect":"Allow","Action":"","Resource":"*"}`), want: msgVendorMissing},
	{name: "action with two colons", doc: st(`{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}`), want: msgOneColon},
	{name: "vendor with a space", doc: st(`{"Effect":"Allow","Action":"s 3:GetObject","Resource":"*"}`), want: "Vendor s 3 is not valid"},
	{name: "vendor with a wildcard", doc: st(`{"Effect":"Allow","Action":"s3*:GetObject","Resource":"*"}`), want: "Vendor s3* is not valid"},
	{name: "NotAction without vendor", doc: st(`{"Effect":"Allow","NotAction":"iam","Resource":"*"}`), want: msgVendorMissing},
	{name: "Action checked before NotAction", doc: st(`{"Effect":"Allow","NotAction":"iam","Resource":"*"}`, `{"Effect":"Allow","Action":"a:b:c","Resource":"*"}`), want: msgOneColon},

	// 8. Resources present / trust rules.
	{name: "no Resource", doc: st(`{"Effect":"Allow","Action":"s3:*"}`), want: msgNoResources},
	{name: "empty Resource list", doc: st(`{"Effect":"Allow","Action":"s3:*","Resource":[]}`), want: msgNoResources},
	{name: "empty NotResource list", doc: st(`{"Effect":"Allow","Action":"s3:*","NotResource":[]}`), want: msgNoResources},
	{name: "trust with Resource", kind: Trust, doc: st(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), want: msgTrustResource},
	{name: "trust with other actions", kind: Trust, doc: st(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), want: msgTrustActions},
	{name: "trust with wildcard action", kind: Trust, doc: st(`{"Effect":"Allow","Principal":"*","Action":"sts:*"}`), want: msgTrustActions},
	{name: "trust with NotAction", kind: Trust, doc: st(`{"Effect":"Allow","Principal":"*","NotAction":"sts:AssumeRole"}`), want: msgTrustActions},
	{name: "trust actions before Resource", kind: Trust, doc: st(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), want: msgTrustActions},

	// 9. Checks moto does not make.
	{name: "identity policy with Principal", doc: st(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), want: msgPrincipalForbidden,
		awsOnly: "AWS: 'Policy document should not specify a principal.' (terraform-provider-aws#10419)"},
	{name: "identity policy with NotPrincipal", doc: st(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":"*"}`), want: msgPrincipalForbidden,
		awsOnly: "AWS: 'Policy document should not specify a principal.'"},
	{name: "trust policy without Principal", kind: Trust, doc: st(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), want: msgTrustNoPrincipal,
		awsOnly: "AWS: 'Invalid principal in policy: ...The passed in policy has a statement with no principals!' (terraform-aws-modules/terraform-aws-iam#47)"},
	{name: "Sid with a dash", doc: st(`{"Sid":"my-sid","Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: msgSidCharacters,
		awsOnly: "IAM UG 'IAM JSON policy elements: Sid': IAM Sids are ASCII letters and digits"},
}

func TestValidate(t *testing.T) {
	for _, tt := range validationCases {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate([]byte(tt.doc), tt.kind)
			got := ""
			if err != nil {
				ve, ok := err.(*ValidationError)
				if !ok {
					t.Fatalf("Validate returned %T, want *ValidationError", err)
				}
				got = ve.Message
			}
			if got != tt.want {
				t.Errorf("Validate(%s, %v) = %q, want %q", tt.doc, tt.kind, got, tt.want)
			}
		})
	}
}

func TestValidateResourcePolicies(t *testing.T) {
	tests := []struct {
		doc, want string
	}{
		{`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`, ""},
		{`{"Version":"2008-10-17","Statement":[{"Sid":"any sid, with spaces","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, ""},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, ""},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, msgResourceNoPrincipal},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, msgNoResources},
	}
	for _, tt := range tests {
		got := ""
		if err := Validate([]byte(tt.doc), Resource); err != nil {
			got = err.(*ValidationError).Message
		}
		if got != tt.want {
			t.Errorf("Validate(%s, Resource) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

// TestValidateAgainstMoto runs the corpus through moto's validator.
func TestValidateAgainstMoto(t *testing.T) {
	unavailable := func(why string) {
		msg := "python3 with moto is not available (pip install moto): " + why
		if requireTools() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		unavailable(err.Error())
	}
	type line struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Doc  string `json:"doc"`
	}
	var in strings.Builder
	enc := json.NewEncoder(&in)
	for i, c := range validationCases {
		if c.kind == Resource {
			continue
		}
		_ = enc.Encode(line{strconv.Itoa(i), c.kind.String(), c.doc})
	}
	cmd := exec.Command(python, "testdata/moto_validate.py")
	cmd.Stdin = strings.NewReader(in.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "No module named") {
			unavailable(strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("moto_validate.py: %v\n%s", err, stderr.String())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var r struct{ ID, Message string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		got[r.ID] = r.Message
	}
	compared := 0
	for i, c := range validationCases {
		if c.kind == Resource {
			continue
		}
		moto, ok := got[strconv.Itoa(i)]
		if !ok {
			t.Errorf("%s: no answer from moto", c.name)
			continue
		}
		if c.awsOnly != "" {
			if moto == c.want {
				t.Errorf("%s: moto now agrees (%q); drop awsOnly", c.name, moto)
			}
			continue
		}
		compared++
		if moto != c.want {
			t.Errorf("%s: moto says %q, corpus says %q\n%s", c.name, moto, c.want, c.doc)
		}
	}
	t.Logf("%d documents agree with moto's validator", compared)
}
