package iampolicy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	docs := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Id":"default","Statement":{"Sid":"A","Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:s3:::b"]}}`,
		// Key order and string-or-list shapes are kept.
		`{"Statement":[{"Resource":["*"],"Action":["s3:*"],"Effect":"Allow","Sid":""}],"Version":"2008-10-17"}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","123456789012"],"Service":"s3.amazonaws.com"},"Action":"*","Resource":"*"}]}`,
		// Booleans and numbers in conditions stay unquoted.
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":[10,"20"]}}}]}`,
		// HTML characters are not escaped.
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/<&>"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*","Condition":{}}]}`,
	}
	for _, doc := range docs {
		p, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("Parse(%s): %v", doc, err)
		}
		got, err := p.MarshalJSON() // json.Marshal would add HTML escapes
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if string(got) != doc {
			t.Errorf("round trip:\n got %s\nwant %s", got, doc)
		}
	}
}

func TestRoundTripIndented(t *testing.T) {
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", null],
      "Resource": "*"
    }
  ]
}`
	p := MustParse(doc)
	if got, want := p.String(), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestMarshalBuiltPolicy(t *testing.T) {
	p := &Policy{Version: Version2012, Statements: []Statement{{
		Effect:    EffectAllow,
		Sid:       "Invoke",
		Condition: Condition{{Operator: "StringEquals", Entries: []ConditionEntry{{Key: "lambda:FunctionUrlAuthType", Values: One("NONE")}}}},
		Resource:  One("arn:aws:lambda:us-east-1:123456789012:function:f"),
		Action:    One("lambda:InvokeFunctionUrl"),
		Principal: &Principals{Wildcard: true},
	}, {
		Effect:   EffectDeny,
		Action:   List("s3:*", "iam:*"),
		Resource: One("*"),
	}}}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"Invoke","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}},{"Effect":"Deny","Action":["s3:*","iam:*"],"Resource":"*"}]}`
	if got := p.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	// A built policy evaluates like a parsed one.
	req := &Request{Principal: Anonymous(), Action: "lambda:InvokeFunctionUrl", Resource: "arn:aws:lambda:us-east-1:123456789012:function:f"}
	req.Context.Set("lambda:FunctionUrlAuthType", "NONE")
	if d := Evaluate(req, &PolicySet{Resource: &NamedPolicy{Name: "fn", Policy: p}}); !d.Allowed() {
		t.Errorf("Evaluate(built policy) = %v, want Allow", d)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		doc, want string
	}{
		{`nope`, msgSyntax},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, msgSyntax},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`, msgLegacy},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:*","Resource":"*"}]}`, msgSyntax},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::123456789012:root","Action":"s3:*","Resource":"*"}]}`, msgSyntax},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"x":1}}}}]}`, msgSyntax},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), msgSyntax},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.doc))
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Message != tt.want {
			t.Errorf("Parse(%s) error = %v, want %q", tt.doc, err, tt.want)
		}
	}
	// Parse is lenient where meaning is clear.
	for _, doc := range []string{
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"k":5}}}]}`,
		`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"has spaces","Effect":"Allow","Action":"s3","Resource":"bucket"}]}`,
	} {
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("Parse(%s) = %v, want success", doc, err)
		}
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var v struct {
		Policy *Policy `json:"policy"`
	}
	if err := json.Unmarshal([]byte(`{"policy":{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}}`), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Policy.Statements) != 1 || v.Policy.Statements[0].Action.Values[0] != "s3:*" {
		t.Errorf("Unmarshal = %+v", v.Policy)
	}
	req := &Request{Principal: mustPrincipal(t, userARN), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	if d := Evaluate(req, &PolicySet{Identity: []NamedPolicy{{Name: "p", Policy: v.Policy}}}); !d.Allowed() {
		t.Errorf("Evaluate(unmarshalled policy) = %v, want Allow", d)
	}
	if err := json.Unmarshal([]byte(`{"policy":{"Statement":1}}`), &v); err == nil {
		t.Errorf("Unmarshal of a bad policy succeeded")
	}
}

func TestSizeAndCharacters(t *testing.T) {
	doc := []byte("{\n  \"Version\": \"2012-10-17\"\n}")
	if got, want := Size(doc), len(`{"Version":"2012-10-17"}`); got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
	if !ValidCharacters([]byte("{\"Sid\":\"caf\u00e9\"}\t\r\n")) || ValidCharacters([]byte("{\"Sid\":\"\u2603\"}")) || ValidCharacters([]byte{0x01}) {
		t.Errorf("ValidCharacters is wrong")
	}
}
