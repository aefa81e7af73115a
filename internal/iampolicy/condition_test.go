package iampolicy

import (
	"errors"
	"testing"
)

type condCase struct {
	name string
	cond string // the Condition object
	ctx  func(c *Context)
	want bool
}

func set1(k, v string) func(*Context)           { return func(c *Context) { c.Set(k, v) } }
func setN(k string, v ...string) func(*Context) { return func(c *Context) { c.SetMulti(k, v...) } }
func none(*Context)                             {}

// runCondCases evaluates an identity policy whose single Allow statement
// carries the condition.
func runCondCases(t *testing.T, cases []condCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p := pol(t, `{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":`+tt.cond+`}`)
			req := &Request{Principal: mustPrincipal(t, userARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
			tt.ctx(&req.Context)
			got := Evaluate(req, &PolicySet{Identity: []NamedPolicy{named("p", p)}}).Allowed()
			if got != tt.want {
				t.Errorf("condition %s with context %v: matched = %v, want %v", tt.cond, req.Context.Keys(), got, tt.want)
			}
		})
	}
}

func TestStringOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"StringEquals match", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, set1("aws:PrincipalTag/team", "blue"), true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, set1("aws:PrincipalTag/team", "Blue"), false},
		{"StringEquals values are OR-ed", `{"StringEquals":{"aws:PrincipalTag/team":["red","blue"]}}`, set1("aws:PrincipalTag/team", "blue"), true},
		{"StringEquals wildcard is literal", `{"StringEquals":{"aws:PrincipalTag/team":"b*"}}`, set1("aws:PrincipalTag/team", "blue"), false},
		{"StringEquals missing key", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, none, false},
		// "Conditions with multiple context keys or values": NOR for negated operators.
		{"StringNotEquals NOR: listed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, set1("aws:username", "alice"), false},
		{"StringNotEquals NOR: not listed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, set1("aws:username", "carol"), true},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}`, none, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}`, set1("aws:PrincipalTag/team", "blue"), true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}`, set1("aws:PrincipalTag/team", "blue"), false},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, set1("s3:prefix", "home/alice/x"), true},
		{"StringLike question mark", `{"StringLike":{"s3:prefix":"home/?"}}`, set1("s3:prefix", "home/ab"), false},
		{"StringLike is case-sensitive", `{"StringLike":{"s3:prefix":"Home/*"}}`, set1("s3:prefix", "home/a"), false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":["home/*","tmp/*"]}}`, set1("s3:prefix", "etc/x"), true},
		{"StringNotLike listed", `{"StringNotLike":{"s3:prefix":["home/*","tmp/*"]}}`, set1("s3:prefix", "tmp/x"), false},
		{"IfExists: missing key is true", `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"blue"}}`, none, true},
		{"IfExists: present key is tested", `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"blue"}}`, set1("aws:PrincipalTag/team", "red"), false},
		{"key names are case-insensitive", `{"StringEquals":{"AWS:PRINCIPALTAG/Team":"blue"}}`, set1("aws:principaltag/team", "blue"), true},
		{"operators are AND-ed", `{"StringEquals":{"aws:PrincipalTag/team":"blue"},"StringLike":{"s3:prefix":"x*"}}`, func(c *Context) {
			c.Set("aws:PrincipalTag/team", "blue")
			c.Set("s3:prefix", "y")
		}, false},
		{"keys under one operator are AND-ed", `{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:PrincipalTag/dept":"eng"}}`, func(c *Context) {
			c.Set("aws:PrincipalTag/team", "blue")
		}, false},
		{"unknown operator never matches", `{"StringSortOf":{"aws:PrincipalTag/team":"blue"}}`, set1("aws:PrincipalTag/team", "blue"), false},
		{"operator names are case-insensitive in evaluation", `{"stringequals":{"aws:PrincipalTag/team":"blue"}}`, set1("aws:PrincipalTag/team", "blue"), true},
		{"empty string value", `{"StringEquals":{"aws:PrincipalTag/team":""}}`, set1("aws:PrincipalTag/team", ""), true},
	})
}

func TestNumericOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "5"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "10"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "10.5"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "9.99"), false},
		{"NumericEquals 1.0 = 1", `{"NumericEquals":{"s3:max-keys":"1.0"}}`, set1("s3:max-keys", "1"), true},
		{"NumericEquals negative", `{"NumericEquals":{"s3:max-keys":"-2"}}`, set1("s3:max-keys", "-2.000"), true},
		{"NumericEquals large integers are exact", `{"NumericEquals":{"s3:max-keys":"9007199254740993"}}`, set1("s3:max-keys", "9007199254740992"), false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":["1","2"]}}`, set1("s3:max-keys", "3"), true},
		{"NumericNotEquals listed", `{"NumericNotEquals":{"s3:max-keys":["1","2"]}}`, set1("s3:max-keys", "2"), false},
		{"JSON number policy value", `{"NumericLessThan":{"s3:max-keys":10}}`, set1("s3:max-keys", "5"), true},
		{"non-number request value never matches", `{"NumericLessThan":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "five"), false},
		{"non-number request value fails negated operators too", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, set1("s3:max-keys", "five"), false},
		{"non-number policy value", `{"NumericEquals":{"s3:max-keys":"ten"}}`, set1("s3:max-keys", "10"), false},
		{"missing key", `{"NumericLessThan":{"s3:max-keys":"10"}}`, none, false},
		{"missing key, negated", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, none, true},
		{"no variables in numeric values", `{"NumericEquals":{"s3:max-keys":"${aws:PrincipalTag/n}"}}`, func(c *Context) {
			c.Set("s3:max-keys", "3")
			c.Set("aws:PrincipalTag/n", "3")
		}, false},
	})
}

func TestDateOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, set1("aws:CurrentTime", "2021-06-01T12:00:00Z"), true},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, set1("aws:CurrentTime", "2021-06-01T12:00:00Z"), false},
		{"DateEquals date only", `{"DateEquals":{"aws:CurrentTime":"2020-01-01"}}`, set1("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"DateEquals with offset", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"}}`, set1("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"DateEquals fractional seconds", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00.000Z"}}`, set1("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"epoch and ISO compare with each other", `{"DateLessThanEquals":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}`, set1("aws:EpochTime", "1577836800"), true},
		{"epoch and ISO compare with each other (after)", `{"DateLessThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}`, set1("aws:EpochTime", "1577836801"), false},
		{"epoch policy value", `{"DateGreaterThanEquals":{"aws:CurrentTime":"1577836800"}}`, set1("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, set1("aws:CurrentTime", "2020-01-02T00:00:00Z"), true},
		{"invalid request date", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, set1("aws:CurrentTime", "yesterday"), false},
		{"missing TokenIssueTime", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, none, false},
		{"missing TokenIssueTime, IfExists", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, none, true},
	})
}

func TestBoolBinaryNullOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, set1("aws:SecureTransport", "true"), true},
		{"Bool is case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, set1("aws:SecureTransport", "True"), true},
		{"Bool false", `{"Bool":{"aws:SecureTransport":"false"}}`, set1("aws:SecureTransport", "true"), false},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":false}}`, set1("aws:SecureTransport", "false"), true},
		{"Bool non-boolean request value", `{"Bool":{"aws:SecureTransport":"true"}}`, set1("aws:SecureTransport", "yes"), false},
		{"Bool missing MFA key", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, none, false},
		{"BoolIfExists missing MFA key", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, none, true},
		{"BinaryEquals", `{"BinaryEquals":{"aws:PrincipalTag/key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, set1("aws:PrincipalTag/key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true},
		{"BinaryEquals different bytes", `{"BinaryEquals":{"aws:PrincipalTag/key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, set1("aws:PrincipalTag/key", "QmluYXJ5VmFsdWVJbkJhc2U2NQ=="), false},
		{"Null true, key missing", `{"Null":{"aws:TokenIssueTime":"true"}}`, none, true},
		{"Null true, key present", `{"Null":{"aws:TokenIssueTime":"true"}}`, set1("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), false},
		{"Null false, key present", `{"Null":{"aws:TokenIssueTime":"false"}}`, set1("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), true},
		{"Null false, key missing", `{"Null":{"aws:TokenIssueTime":"false"}}`, none, false},
		{"Null on an empty multivalued key: present", `{"Null":{"aws:TagKeys":"false"}}`, setN("aws:TagKeys"), true},
	})
}

func TestIPAndARNOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"IpAddress v4 CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, set1("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress v4 CIDR outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, set1("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress bare address is /32", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, set1("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress host bits in CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.9/24"}}`, set1("aws:SourceIp", "203.0.113.200"), true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, set1("aws:SourceIp", "2001:db8:1234:5678::1"), true},
		{"IpAddress v4 never matches v6", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, set1("aws:SourceIp", "2001:db8::1"), false},
		{"NotIpAddress v4 vs v6 request", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, set1("aws:SourceIp", "2001:db8::1"), true},
		{"NotIpAddress NOR", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, set1("aws:SourceIp", "192.168.1.1"), false},
		{"NotIpAddress missing key", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, none, true},
		{"IpAddress invalid request", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, set1("aws:SourceIp", "10.0.0"), false},
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}`, set1("aws:SourceArn", "arn:aws:s3:::bucket-1"), true},
		{"ArnEquals takes wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}`, set1("aws:SourceArn", "arn:aws:s3:::bucket-1"), true},
		// "Condition operators", ARN: each of the six parts is checked
		// separately, unlike StringLike.
		{"ArnLike matches per part", `{"ArnLike":{"aws:SourceArn":"arn:aws:svc:*:111122223333:finance/*"}}`, set1("aws:SourceArn", "arn:aws:svc:us-east-1:x:111122223333:finance/1"), false},
		{"StringLike crosses colons", `{"StringLike":{"aws:SourceArn":"arn:aws:svc:*:111122223333:finance/*"}}`, set1("aws:SourceArn", "arn:aws:svc:us-east-1:x:111122223333:finance/1"), true},
		{"ArnLike resource part crosses colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:*:function:*"}}`, set1("aws:SourceArn", "arn:aws:lambda:us-east-1:1:function:f:prod"), true},
		{"ArnLike is case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::Bucket"}}`, set1("aws:SourceArn", "arn:aws:s3:::bucket"), false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::a"}}`, set1("aws:SourceArn", "arn:aws:s3:::b"), true},
		{"ArnNotLike missing key", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::a"}}`, none, true},
		{"ArnLike invalid request ARN", `{"ArnLike":{"aws:SourceArn":"*"}}`, set1("aws:SourceArn", "not-an-arn"), false},
		{"ArnNotLike invalid request ARN", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::a"}}`, set1("aws:SourceArn", "not-an-arn"), false},
	})
}

// TestSetOperators follows "Multivalued context key examples" and
// "Single-valued vs. multivalued context keys" of the IAM User Guide.
func TestSetOperators(t *testing.T) {
	allValues := `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`
	anyValue := `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`
	allNot := `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["environment","cost-center"]}}`
	anyNot := `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["environment","cost-center"]}}`
	runCondCases(t, []condCase{
		{"ForAllValues subset", allValues, setN("aws:TagKeys", "environment"), true},
		{"ForAllValues all", allValues, setN("aws:TagKeys", "environment", "cost-center"), true},
		{"ForAllValues one outside", allValues, setN("aws:TagKeys", "environment", "dept"), false},
		{"ForAllValues missing key is true", allValues, none, true},
		{"ForAllValues empty set is true", allValues, setN("aws:TagKeys"), true},
		{"ForAnyValue one inside", anyValue, setN("aws:TagKeys", "environment", "dept"), true},
		{"ForAnyValue none inside", anyValue, setN("aws:TagKeys", "dept"), false},
		{"ForAnyValue missing key is false", anyValue, none, false},
		{"ForAnyValue empty set is false", anyValue, setN("aws:TagKeys"), false},
		{"ForAllValues:StringNotEquals none listed", allNot, setN("aws:TagKeys", "dept", "owner"), true},
		{"ForAllValues:StringNotEquals one listed", allNot, setN("aws:TagKeys", "dept", "environment"), false},
		{"ForAllValues:StringNotEquals missing", allNot, none, true},
		{"ForAnyValue:StringNotEquals one outside", anyNot, setN("aws:TagKeys", "environment", "dept"), true},
		{"ForAnyValue:StringNotEquals all listed", anyNot, setN("aws:TagKeys", "environment"), false},
		{"ForAnyValue:StringNotEquals missing", anyNot, none, false},
		{"plain operator on a multivalued key never matches", `{"StringEquals":{"aws:TagKeys":"environment"}}`, setN("aws:TagKeys", "environment"), false},
		{"plain negated operator on a multivalued key never matches", `{"StringNotEquals":{"aws:TagKeys":"x"}}`, setN("aws:TagKeys", "environment"), false},
		{"single-valued key under ForAnyValue is a one-element set", `{"ForAnyValue:StringEquals":{"aws:PrincipalTag/team":["a","b"]}}`, set1("aws:PrincipalTag/team", "b"), true},
		{"single-valued key under ForAllValues", `{"ForAllValues:StringLike":{"aws:PrincipalTag/team":["a*"]}}`, set1("aws:PrincipalTag/team", "bc"), false},
		{"ForAnyValue ignores IfExists for a missing key", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"environment"}}`, none, false},
		{"ForAllValues:StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["env*","cost*"]}}`, setN("aws:TagKeys", "environment", "costcenter"), true},
		{"ForAnyValue:NumericGreaterThan", `{"ForAnyValue:NumericGreaterThan":{"aws:TagKeys":"5"}}`, setN("aws:TagKeys", "1", "7"), true},
	})
}

func TestVariables(t *testing.T) {
	runCondCases(t, []condCase{
		{"username", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, set1("s3:prefix", "home/alice/docs"), true},
		{"username (other user's home)", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, set1("s3:prefix", "home/bob/docs"), false},
		{"variable names are case-insensitive", `{"StringEquals":{"s3:prefix":"${AWS:UserName}"}}`, set1("s3:prefix", "alice"), true},
		{"${*} is a literal star", `{"StringLike":{"s3:prefix":"a${*}"}}`, set1("s3:prefix", "a*"), true},
		{"${*} does not act as a wildcard", `{"StringLike":{"s3:prefix":"a${*}"}}`, set1("s3:prefix", "abc"), false},
		{"${?} is a literal question mark", `{"StringLike":{"s3:prefix":"a${?}"}}`, set1("s3:prefix", "ab"), false},
		{"${$} is a literal dollar", `{"StringEquals":{"s3:prefix":"${$}{x}"}}`, set1("s3:prefix", "${x}"), true},
		{"default value when the key is missing", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'company-wide'}"}}`, set1("s3:prefix", "company-wide"), true},
		{"value wins over default", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'company-wide'}"}}`, func(c *Context) {
			c.Set("s3:prefix", "blue")
			c.Set("aws:PrincipalTag/team", "blue")
		}, true},
		{"substituted text is literal", `{"StringLike":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, func(c *Context) {
			c.Set("s3:prefix", "anything")
			c.Set("aws:PrincipalTag/team", "*")
		}, false},
		{"no value: positive operator fails", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, set1("s3:prefix", ""), false},
		{"no value: negated operator holds", `{"StringNotEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, set1("s3:prefix", "x"), true},
		{"multivalued keys are not variables", `{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, func(c *Context) {
			c.Set("s3:prefix", "a")
			c.SetMulti("aws:TagKeys", "a")
		}, false},
		{"ARN operator variables", `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}}`, set1("aws:SourceArn", userARN), true},
		{"unterminated variable is literal", `{"StringEquals":{"s3:prefix":"${aws:username"}}`, set1("s3:prefix", "${aws:username"), true},
	})
}

func TestVersion2008HasNoVariables(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111111111111:function:${aws:username}"}}`
	for _, version := range []string{"2008-10-17", ""} {
		d := doc
		if version == "" {
			d = `{"Statement":{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111111111111:function:${aws:username}"}}`
		}
		p := MustParse(d)
		set := &PolicySet{Identity: []NamedPolicy{named("p", p)}}
		req := &Request{Principal: mustPrincipal(t, userARN), Action: "lambda:InvokeFunctionUrl", Resource: "arn:aws:lambda:us-east-1:111111111111:function:alice"}
		if Evaluate(req, set).Allowed() {
			t.Errorf("Version %q substituted ${aws:username}", version)
		}
		req.Resource = "arn:aws:lambda:us-east-1:111111111111:function:${aws:username}"
		if !Evaluate(req, set).Allowed() {
			t.Errorf("Version %q: literal ${aws:username} did not match itself", version)
		}
	}
}

func TestResourceVariables(t *testing.T) {
	p := pol(t, `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/*"}`)
	set := &PolicySet{Identity: []NamedPolicy{named("p", p)}}
	tests := []struct {
		user, resource string
		want           bool
	}{
		{"alice", "arn:aws:s3:::bucket/alice/x", true},
		{"alice", "arn:aws:s3:::bucket/bob/x", false},
		{"a*", "arn:aws:s3:::bucket/abc/x", false}, // substituted text is literal
		{"a*", "arn:aws:s3:::bucket/a*/x", true},
	}
	for _, tt := range tests {
		pr := mustPrincipal(t, "arn:aws:iam::111111111111:user/"+tt.user)
		req := &Request{Principal: pr, Action: "s3:GetObject", Resource: tt.resource}
		if got := Evaluate(req, set).Allowed(); got != tt.want {
			t.Errorf("user %q on %q: allowed = %v, want %v", tt.user, tt.resource, got, tt.want)
		}
	}
	// A role session has no aws:username: the entry matches nothing.
	req := &Request{Principal: mustPrincipal(t, sessARN), Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/${aws:username}/x"}
	if d := Evaluate(req, set, WithExplanation()); d.Allowed() {
		t.Errorf("session without aws:username allowed: %v", d)
	} else if s := d.Explanation.Statements[0]; len(s.UnresolvedVariables) != 1 || s.UnresolvedVariables[0] != "aws:username" {
		t.Errorf("UnresolvedVariables = %v, want [aws:username]", s.UnresolvedVariables)
	}
	// Variables are substituted only in the resource part of an ARN.
	p2 := pol(t, `{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:function:*"}`)
	req2 := &Request{Principal: mustPrincipal(t, userARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
	if Evaluate(req2, &PolicySet{Identity: []NamedPolicy{named("p", p2)}}).Allowed() {
		t.Errorf("variable in the account part of a Resource was substituted")
	}
}

func TestActionAndResourceMatching(t *testing.T) {
	tests := []struct {
		name      string
		statement string
		action    string
		resource  string
		want      bool
	}{
		{"action case-insensitive", `{"Effect":"Allow","Action":"LAMBDA:invokefunctionurl","Resource":"*"}`, "lambda:InvokeFunctionUrl", fnARN, true},
		{"action wildcard", `{"Effect":"Allow","Action":"lambda:Invoke*","Resource":"*"}`, "lambda:InvokeFunctionUrl", fnARN, true},
		{"action ? wildcard", `{"Effect":"Allow","Action":"iam:?etUser","Resource":"*"}`, "iam:GetUser", "arn:aws:iam::111111111111:user/x", true},
		{"action star", `{"Effect":"Allow","Action":"*","Resource":"*"}`, "sts:AssumeRole", "arn:aws:iam::111111111111:role/r", true},
		{"other service", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, "lambda:InvokeFunctionUrl", fnARN, false},
		{"service prefix is not a wildcard", `{"Effect":"Allow","Action":"lambda:Invoke","Resource":"*"}`, "lambda:InvokeFunctionUrl", fnARN, false},
		{"NotAction matches other services", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "lambda:InvokeFunctionUrl", fnARN, true},
		{"NotAction excludes listed", `{"Effect":"Allow","NotAction":["iam:*","lambda:Invoke*"],"Resource":"*"}`, "lambda:InvokeFunctionUrl", fnARN, false},
		{"resource exact", `{"Effect":"Allow","Action":"lambda:*","Resource":"` + fnARN + `"}`, "lambda:InvokeFunctionUrl", fnARN, true},
		{"resource case-sensitive", `{"Effect":"Allow","Action":"lambda:*","Resource":"arn:aws:lambda:us-east-1:111111111111:function:F"}`, "lambda:InvokeFunctionUrl", fnARN, false},
		{"resource per-part wildcard", `{"Effect":"Allow","Action":"lambda:*","Resource":"arn:aws:lambda:*:111111111111:function:*"}`, "lambda:InvokeFunctionUrl", fnARN + ":prod", true},
		{"NotResource", `{"Effect":"Allow","Action":"lambda:*","NotResource":"arn:aws:lambda:*:*:function:secret*"}`, "lambda:InvokeFunctionUrl", fnARN, true},
		{"NotResource excludes", `{"Effect":"Allow","Action":"lambda:*","NotResource":["arn:aws:lambda:*:*:function:f"]}`, "lambda:InvokeFunctionUrl", fnARN, false},
		{"resource * matches non-ARN resources", `{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}`, "s3:ListAllMyBuckets", "*", true},
		{"ARN pattern does not match resource *", `{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}`, "s3:ListAllMyBuckets", "*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &PolicySet{Identity: []NamedPolicy{named("p", pol(t, tt.statement))}}
			req := &Request{Principal: mustPrincipal(t, userARN), Action: tt.action, Resource: tt.resource}
			if got := Evaluate(req, set).Allowed(); got != tt.want {
				t.Errorf("Evaluate(%s, %s on %s) allowed = %v, want %v", tt.statement, tt.action, tt.resource, got, tt.want)
			}
		})
	}
	// Deny with NotAction denies everything else.
	set := &PolicySet{Identity: []NamedPolicy{named("p", pol(t,
		`{"Effect":"Allow","Action":"*","Resource":"*"}`,
		`{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}`))}}
	req := &Request{Principal: mustPrincipal(t, userARN), Action: "lambda:InvokeFunctionUrl", Resource: fnARN}
	if d := Evaluate(req, set); d.Result != ExplicitDeny {
		t.Errorf("Deny NotAction s3:* on lambda = %v, want ExplicitDeny", d)
	}
	req.Action, req.Resource = "s3:GetObject", "arn:aws:s3:::b/k"
	if d := Evaluate(req, set); !d.Allowed() {
		t.Errorf("Deny NotAction s3:* on s3 = %v, want Allow", d)
	}
	if !MatchAction("lambda:Invoke*", "Lambda:InvokeFunction") || MatchAction("lambda:Get*", "lambda:InvokeFunction") {
		t.Errorf("MatchAction is wrong")
	}
}

func TestPrincipalFromARN(t *testing.T) {
	tests := []struct {
		in   string
		want Principal
	}{
		{"arn:aws:iam::111111111111:root", Principal{Type: TypeRoot, Account: acct, ARN: "arn:aws:iam::111111111111:root", UserID: acct}},
		{"arn:aws:iam::111111111111:user/dev/alice", Principal{Type: TypeUser, Account: acct, ARN: "arn:aws:iam::111111111111:user/dev/alice", UserName: "alice"}},
		{sessARN, Principal{Type: TypeAssumedRole, Account: acct, ARN: sessARN, IssuerARN: roleARN}},
		{"arn:aws:sts::111111111111:federated-user/bob", Principal{Type: TypeFederatedUser, Account: acct, ARN: "arn:aws:sts::111111111111:federated-user/bob", UserID: "111111111111:bob"}},
	}
	for _, tt := range tests {
		got, err := PrincipalFromARN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("PrincipalFromARN(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "*", "arn:aws:iam::111111111111:role/r", "arn:aws:sts::111111111111:assumed-role/r", "arn:aws:s3:::b"} {
		if _, err := PrincipalFromARN(bad); err == nil {
			t.Errorf("PrincipalFromARN(%q) succeeded, want an error", bad)
		}
	}
}

func TestSubstituteVariables(t *testing.T) {
	req := &Request{Principal: mustPrincipal(t, userARN), Resource: fnARN}
	req.Context.Set("aws:PrincipalTag/team", "blue")
	tests := []struct {
		in, want, missing string
	}{
		{"home/${aws:username}/*", "home/alice/*", ""},
		{"${AWS:PrincipalTag/Team}-${aws:ResourceAccount}", "blue-" + acct, ""},
		{"${aws:PrincipalTag/dept, 'eng'}", "eng", ""},
		{"a${*}b${?}c${$}", "a*b?c$", ""},
		{"${aws:TokenIssueTime}", "", "aws:TokenIssueTime"},
		{"no variables", "no variables", ""},
	}
	for _, tt := range tests {
		got, err := SubstituteVariables(tt.in, req)
		var ue *UnresolvedVariableError
		if tt.missing != "" {
			if !errors.As(err, &ue) || ue.Name != tt.missing {
				t.Errorf("SubstituteVariables(%q) error = %v, want unresolved %s", tt.in, err, tt.missing)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SubstituteVariables(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}
