package iampolicy_test

import (
	"fmt"

	"github.com/fnurl/fnurl/internal/iampolicy"
)

const fn = "arn:aws:lambda:us-east-1:111122223333:function:my-fn"

// A function URL with AuthType NONE: anonymous callers get in through the
// statement the console adds to the function's policy.
func ExampleEvaluate_publicFunctionURL() {
	rp := iampolicy.MustParse(`{"Version":"2012-10-17","Id":"default","Statement":[{
		"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*",
		"Action":"lambda:InvokeFunctionUrl","Resource":"` + fn + `",
		"Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}]}`)
	set := &iampolicy.PolicySet{Resource: &iampolicy.NamedPolicy{Name: "my-fn", Policy: rp}}

	req := &iampolicy.Request{Principal: iampolicy.Anonymous(), Action: "lambda:InvokeFunctionUrl", Resource: fn}
	req.Context.Set("lambda:FunctionUrlAuthType", "NONE")
	fmt.Println(iampolicy.Evaluate(req, set))

	// The same policy after the URL is switched to AWS_IAM.
	req.Context.Set("lambda:FunctionUrlAuthType", "AWS_IAM")
	fmt.Println(iampolicy.Evaluate(req, set).Result)
	// Output:
	// allowed: lambda:InvokeFunctionUrl on arn:aws:lambda:us-east-1:111122223333:function:my-fn by resource policy my-fn statement FunctionURLAllowPublicAccess
	// ImplicitDeny
}

// A signed caller from the same account: its identity policy is enough,
// and an explanation says what was missing when it is not.
func ExampleEvaluate_explain() {
	alice, _ := iampolicy.PrincipalFromARN("arn:aws:iam::111122223333:user/alice")
	set := &iampolicy.PolicySet{Identity: []iampolicy.NamedPolicy{{
		Name: "invoke-from-office", Source: "user alice (inline)",
		Policy: iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"Office",
			"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:*:111122223333:function:*",
			"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`),
	}}}
	req := &iampolicy.Request{Principal: alice, Action: "lambda:InvokeFunctionUrl", Resource: fn}
	req.Context.Set("aws:SourceIp", "198.51.100.7")

	d := iampolicy.Evaluate(req, set, iampolicy.WithExplanation())
	fmt.Println(d.Result, d.BlockedBy)
	fmt.Println(d.Explain())
	// Output:
	// ImplicitDeny identity
	// no identity-based policy allows lambda:InvokeFunctionUrl on arn:aws:lambda:us-east-1:111122223333:function:my-fn; identity policy invoke-from-office statement Office requires aws:SourceIp in 203.0.113.0/24, request has 198.51.100.7
}

// Cross-account calls need both sides: the caller's identity policy and the
// function's resource policy.
func ExampleEvaluate_crossAccount() {
	bob, _ := iampolicy.PrincipalFromARN("arn:aws:sts::444455556666:assumed-role/invoker/bob")
	identity := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`)
	set := &iampolicy.PolicySet{Identity: []iampolicy.NamedPolicy{{Name: "invoker", Policy: identity}}}
	req := &iampolicy.Request{Principal: bob, Action: "lambda:InvokeFunctionUrl", Resource: fn}
	d := iampolicy.Evaluate(req, set)
	fmt.Println(d.Result, d.CrossAccount, d.BlockedBy)

	// A PolicySet is indexed on first use; build a new one to change it.
	rp := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"lambda:InvokeFunctionUrl","Resource":"` + fn + `"}]}`)
	both := &iampolicy.PolicySet{Identity: set.Identity, Resource: &iampolicy.NamedPolicy{Name: "my-fn", Policy: rp}}
	fmt.Println(iampolicy.Evaluate(req, both).Result)
	// Output:
	// ImplicitDeny true resource policy
	// Allow
}

func ExampleValidate() {
	err := iampolicy.Validate([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3","Resource":"*"}]}`), iampolicy.Identity)
	fmt.Println(err)
	err = iampolicy.Validate([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), iampolicy.Trust)
	fmt.Println(err)
	// Output:
	// MalformedPolicyDocument: Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.
	// <nil>
}

func ExampleMatchAction() {
	fmt.Println(iampolicy.MatchAction("lambda:Invoke*", "lambda:InvokeFunctionUrl"))
	fmt.Println(iampolicy.MatchAction("LAMBDA:invokefunctionurl", "lambda:InvokeFunctionUrl"))
	fmt.Println(iampolicy.MatchAction("lambda:Get*", "lambda:InvokeFunctionUrl"))
	// Output:
	// true
	// true
	// false
}
