package iampolicy

import "testing"

// TestEvaluationLogicExamples follows the scenarios of the IAM User Guide's
// "Policy evaluation logic" and "Cross-account policy evaluation logic"
// pages, restated with our own names: a user whose identity policy and a
// bucket's policy each grant part of what the user asks for.
func TestEvaluationLogicExamples(t *testing.T) {
	const bucketAcct = "444455556666"
	carlos := "arn:aws:iam::111111111111:user/carlos"
	identity := pol(t,
		`{"Sid":"BucketWork","Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::team-bucket","arn:aws:s3:::team-bucket/*"]}`,
		`{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::team-bucket/secret/*"}`,
		`{"Sid":"Queues","Effect":"Allow","Action":"sqs:*","Resource":"*"}`)
	bucket := pol(t,
		`{"Sid":"CarlosWrites","Effect":"Allow","Principal":{"AWS":"`+carlos+`"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::team-bucket/*"}`,
		`{"Sid":"Uploads","Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::team-bucket/uploads/*"}`)
	tests := []struct {
		name, action, resource, owner string
		want                          Result
	}{
		// Same account: identity or resource policy.
		{"identity policy allows", "s3:GetObject", "arn:aws:s3:::team-bucket/report", "111111111111", Allow},
		{"bucket policy allows the user", "s3:PutObject", "arn:aws:s3:::team-bucket/report", "111111111111", Allow},
		{"explicit deny in identity policy beats both", "s3:GetObject", "arn:aws:s3:::team-bucket/secret/x", "111111111111", ExplicitDeny},
		{"explicit deny also stops the bucket's grant", "s3:PutObject", "arn:aws:s3:::team-bucket/secret/x", "111111111111", ExplicitDeny},
		{"neither allows", "s3:DeleteObject", "arn:aws:s3:::team-bucket/report", "111111111111", ImplicitDeny},
		{"unrelated service", "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q", "111111111111", Allow},
		// The bucket in another account: both sides needed.
		{"cross account: identity only", "s3:GetObject", "arn:aws:s3:::team-bucket/report", bucketAcct, ImplicitDeny},
		{"cross account: resource only", "s3:PutObject", "arn:aws:s3:::team-bucket/report", bucketAcct, ImplicitDeny},
		{"cross account: both (account grant)", "s3:GetObject", "arn:aws:s3:::team-bucket/uploads/a", bucketAcct, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &PolicySet{Identity: []NamedPolicy{named("carlos", identity)}, Resource: namedPtr("team-bucket", bucket)}
			req := &Request{Principal: mustPrincipal(t, carlos), Action: tt.action, Resource: tt.resource, ResourceAccount: tt.owner}
			if got := Evaluate(req, set); got.Result != tt.want {
				t.Errorf("Evaluate(%s on %s, owner %s) = %v, want %v", tt.action, tt.resource, tt.owner, got, tt.want)
			}
		})
	}
}

// TestNotElementExamples follows "IAM JSON policy elements: NotAction",
// "NotResource" and "NotPrincipal".
func TestNotElementExamples(t *testing.T) {
	user := mustPrincipal(t, userARN)
	bob := mustPrincipal(t, "arn:aws:iam::111111111111:user/bob")
	tests := []struct {
		name     string
		identity []string
		resource string
		who      Principal
		action   string
		res      string
		want     Result
	}{
		{"allow everything except IAM: S3", []string{`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`}, "", user, "s3:GetObject", "arn:aws:s3:::b/k", Allow},
		{"allow everything except IAM: IAM", []string{`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`}, "", user, "iam:CreateUser", "arn:aws:iam::111111111111:user/x", ImplicitDeny},
		{"deny everything outside S3 (MFA-style guard)", []string{`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","NotAction":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`}, "", user, "lambda:InvokeFunctionUrl", fnARN, ExplicitDeny},
		{"NotResource: deny all but one bucket", []string{`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::allowed","arn:aws:s3:::allowed/*"]}`}, "", user, "s3:GetObject", "arn:aws:s3:::other/k", ExplicitDeny},
		{"NotResource: the listed bucket", []string{`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::allowed","arn:aws:s3:::allowed/*"]}`}, "", user, "s3:GetObject", "arn:aws:s3:::allowed/k", Allow},
		{"NotPrincipal deny spares the listed user", []string{`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`},
			`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:root","` + userARN + `"]},"Action":"s3:*","Resource":"*"}`, user, "s3:GetObject", "arn:aws:s3:::b/k", Allow},
		// A principal is spared when any listed value names it, by its own
		// ARN or its account (iam-simulate's model; AWS warns that services
		// "might" check the account first, so the docs list both).
		{"NotPrincipal deny hits an unlisted user", []string{`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`},
			`{"Effect":"Deny","NotPrincipal":{"AWS":["` + userARN + `"]},"Action":"s3:*","Resource":"*"}`, bob, "s3:GetObject", "arn:aws:s3:::b/k", ExplicitDeny},
		{"NotPrincipal listing the account spares its users", []string{`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`},
			`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:root"]},"Action":"s3:*","Resource":"*"}`, bob, "s3:GetObject", "arn:aws:s3:::b/k", Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &PolicySet{Identity: []NamedPolicy{named("p", pol(t, tt.identity...))}}
			if tt.resource != "" {
				set.Resource = namedPtr("r", pol(t, tt.resource))
			}
			req := &Request{Principal: tt.who, Action: tt.action, Resource: tt.res}
			if got := Evaluate(req, set); got.Result != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}
