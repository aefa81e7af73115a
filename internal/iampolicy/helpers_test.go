package iampolicy

import (
	"strings"
	"testing"
)

const (
	acct      = "111111111111"
	otherAcct = "222222222222"
	fnARN     = "arn:aws:lambda:us-east-1:111111111111:function:f"
	roleARN   = "arn:aws:iam::111111111111:role/caller"
	sessARN   = "arn:aws:sts::111111111111:assumed-role/caller/s1"
	userARN   = "arn:aws:iam::111111111111:user/alice"
)

// mustPrincipal builds a principal from an ARN.
func mustPrincipal(tb testing.TB, s string) Principal {
	tb.Helper()
	p, err := PrincipalFromARN(s)
	if err != nil {
		tb.Fatalf("PrincipalFromARN(%q): %v", s, err)
	}
	return p
}

// pol parses a policy given as its statements (JSON), wrapping them in a
// Version 2012-10-17 document.
func pol(tb testing.TB, statements ...string) *Policy {
	tb.Helper()
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	p, err := Parse([]byte(doc))
	if err != nil {
		tb.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func named(name string, p *Policy) NamedPolicy { return NamedPolicy{Name: name, Policy: p} }

func namedPtr(name string, p *Policy) *NamedPolicy { return &NamedPolicy{Name: name, Policy: p} }

// ctx builds a context from key, value pairs.
func ctx(kv ...string) Context {
	var c Context
	for i := 0; i+1 < len(kv); i += 2 {
		c.Set(kv[i], kv[i+1])
	}
	return c
}
