package lambda

import (
	"testing"

	"github.com/fnurl/fnurl/internal/awserr"
)

func TestParseName(t *testing.T) {
	s := &Service{account: "123456789012", region: "us-east-1"}
	tests := []struct {
		in, wantName, wantQ, wantCode string
	}{
		{"hello", "hello", "", ""},
		{"hello:live", "hello", "live", ""},
		{"hello:$LATEST", "hello", "$LATEST", ""},
		{"hello:3", "hello", "3", ""},
		{"123456789012:function:hello", "hello", "", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello", "hello", "", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:hello:live", "hello", "live", ""},
		{"arn:aws:lambda:eu-west-1:123456789012:function:hello", "", "", "ResourceNotFoundException"},
		{"arn:aws:lambda:us-east-1:999999999999:function:hello", "", "", "ResourceNotFoundException"},
		{"bad name", "", "", "ValidationException"},
		{"", "", "", "ValidationException"},
		{"a:b:c", "", "", "ValidationException"},
	}
	for _, tt := range tests {
		name, q, err := s.ParseName(tt.in)
		if code := awserr.CodeOf(err); code != tt.wantCode || name != tt.wantName || q != tt.wantQ {
			t.Errorf("ParseName(%q) = %q, %q, %v; want %q, %q, %s", tt.in, name, q, err, tt.wantName, tt.wantQ, tt.wantCode)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"hello", "arn:aws:lambda:us-east-1:123456789012:function:hello:live", "1:function:x", "::::"} {
		f.Add(s)
	}
	s := &Service{account: "123456789012", region: "us-east-1"}
	f.Fuzz(func(t *testing.T, in string) {
		name, _, err := s.ParseName(in)
		if err == nil && !nameRE.MatchString(name) {
			t.Fatalf("ParseName(%q) accepted name %q", in, name)
		}
		if err != nil && awserr.As(err).Internal() {
			t.Fatalf("internal error for input %q", in)
		}
	})
}

func TestStatementJSON(t *testing.T) {
	got, err := statementJSON(PermissionInput{StatementID: "s", Action: "lambda:InvokeFunctionUrl", Principal: "111111111111",
		SourceAccount: "111111111111", FunctionURLAuthType: "NONE", PrincipalOrgID: "o-1234567890", SourceArn: "arn:aws:s3:::bucket"},
		"arn:aws:lambda:us-east-1:123456789012:function:f")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"s","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",` +
		`"Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111","lambda:FunctionUrlAuthType":"NONE","aws:PrincipalOrgID":"o-1234567890"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}`
	if got != want {
		t.Errorf("statementJSON =\n%s\nwant\n%s", got, want)
	}
	for p, want := range map[string]string{
		"*":                                    `"*"`,
		"s3.amazonaws.com":                     `{"Service":"s3.amazonaws.com"}`,
		"arn:aws:iam::123456789012:user/alice": `{"AWS":"arn:aws:iam::123456789012:user/alice"}`,
	} {
		if got, err := principalJSON(p); err != nil || got != want {
			t.Errorf("principalJSON(%q) = %s, %v; want %s", p, got, err, want)
		}
	}
	if _, err := principalJSON("alice"); awserr.CodeOf(err) != CodeInvalidParameterValue {
		t.Errorf("principalJSON(alice) = %v", err)
	}
}
