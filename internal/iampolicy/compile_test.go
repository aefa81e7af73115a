package iampolicy

import "testing"

func TestContextFree(t *testing.T) {
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*"},{"Effect":"Deny","NotAction":"s3:*","NotResource":"arn:aws:s3:::b/*"}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`, false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/${aws:userid}"}]}`, false},
		// Before 2012-10-17 "${…}" is literal text.
		{`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}]}`, true},
	}
	for _, tt := range tests {
		p, err := Parse([]byte(tt.doc))
		if err != nil {
			t.Fatalf("%s: %v", tt.doc, err)
		}
		if got := p.ContextFree(); got != tt.want {
			t.Errorf("ContextFree(%s) = %v, want %v", tt.doc, got, tt.want)
		}
		set := &PolicySet{Identity: []NamedPolicy{{Name: "free"}},
			Resource: &NamedPolicy{Name: "p", Policy: p}}
		free, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		set.Identity[0].Policy = free
		if got := set.ContextFree(); got != tt.want {
			t.Errorf("a set with it as its resource policy: ContextFree = %v, want %v", got, tt.want)
		}
	}
}
