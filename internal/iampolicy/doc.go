// Package iampolicy parses, validates and evaluates AWS IAM policies, and
// explains its decisions. It is fnurl's single answer to "may this caller do
// this": function URL invocations, the Lambda, IAM and STS APIs and the
// policy simulator all ask Evaluate.
//
// # Documents
//
// Parse reads a policy document (identity, resource, trust, boundary, session,
// SCP or RCP) into a Policy, which MarshalJSON writes back with the same key
// order and string-or-list shapes. Validate applies the checks IAM makes
// before storing a policy and returns AWS's MalformedPolicyDocument texts in
// AWS's order of checks; Kind selects identity, resource or trust rules.
//
// # Requests
//
// A Request names the caller (a Principal: root user, IAM user, role session,
// federated user, anonymous, AWS service), the action, the resource ARN and
// its owning account, and a Context of condition keys. Evaluate derives the
// principal keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
// aws:userid, aws:username) and aws:ResourceAccount when the Context leaves
// them out.
//
// # Evaluation order
//
// Evaluate follows AWS's "Policy evaluation logic":
//
//  1. Explicit deny. Any applicable statement with Effect Deny — in identity
//     policies, the permissions boundary, session policies, the resource
//     policy (for principals it names, including by account), SCPs or RCPs —
//     denies the request.
//  2. Organization guardrails. When SCPs are given, every level from the root
//     to the caller's account must allow; likewise RCPs for the resource.
//  3. Resource and identity policies, same account. Either side may allow.
//     How much a resource-policy Allow counts depends on whom it names
//     (table 3.2 of the reference, measured on real AWS):
//     the caller itself (user ARN, role-session ARN, federated-user ARN) or
//     "*" — allowed on its own, even past an implicit deny in a boundary or
//     session policy; the role of a role session (or the IAM user of a
//     federated session) — allowed only if the boundary and session policy
//     also allow; the account ("111122223333" or
//     arn:aws:iam::111122223333:root) — only a delegation: the identity
//     policies must allow.
//  4. Identity side. The identity policies must allow, and so must the
//     permissions boundary if there is one, and the session policies if any
//     were passed (a federated-user session with none has no permissions).
//  5. Cross account. Both sides must allow: the identity side as in 4, and
//     the resource policy (naming the caller, its role, its account or "*").
//  6. Otherwise the request is implicitly denied.
//
// The root user needs no identity policy in its own account; anonymous
// callers and service principals can only be let in by a resource policy;
// sts:GetCallerIdentity is always allowed.
//
// # A worked example
//
// Alice (arn:aws:iam::111122223333:user/alice) calls a function URL with
// AuthType AWS_IAM on arn:aws:lambda:us-east-1:111122223333:function:f.
// Her only policy allows s3:*. The function's policy has the statement the
// console adds for public URLs:
//
//	{"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*",
//	 "Action": "lambda:InvokeFunctionUrl", "Resource": "arn:aws:lambda:us-east-1:111122223333:function:f",
//	 "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}
//
// Step 1 finds no Deny. Step 3: same account; the resource statement names
// "*" so it would stand alone, but its condition wants NONE and the request
// context has lambda:FunctionUrlAuthType = AWS_IAM. Step 4: no identity
// statement covers lambda:InvokeFunctionUrl. The result is ImplicitDeny,
// BlockedBy identity and resource, and Decision.Explain (with
// WithExplanation) says:
//
//	no identity-based policy allows lambda:InvokeFunctionUrl on arn:…:function:f;
//	the resource policy does not allow lambda:InvokeFunctionUrl on arn:…:function:f;
//	resource policy fn statement FunctionURLAllowPublicAccess requires
//	lambda:FunctionUrlAuthType = NONE, request has AWS_IAM
//
// Had Bob from account 444455556666 called with a policy allowing
// lambda:InvokeFunctionUrl, step 5 would apply: his identity side allows, but
// the resource policy must allow too.
//
// # Conditions and variables
//
// Every operator family is supported (String*, Numeric*, Date*, Bool,
// BinaryEquals, IpAddress/NotIpAddress, Arn*, Null), with ...IfExists and the
// ForAllValues:/ForAnyValue: set operators. Operators are AND-ed, keys under
// an operator AND-ed, values OR-ed — NOR-ed for negated operators. A missing
// key fails every operator except negated ones, ...IfExists, Null and
// ForAllValues. Condition key names are case-insensitive. Policy variables
// (${aws:username}, ${aws:PrincipalTag/team, 'default'}, ${*}, ${?}, ${$})
// are substituted in Resource and in String, ARN and Bool condition values of
// Version 2012-10-17 policies only; substituted text is literal, never a
// wildcard.
//
// # Cost
//
// Policies are compiled when parsed, and a PolicySet indexes its statements
// by service and action name on first use, so a decision costs time in the
// statements that can match the action, not in the size of the set. Keep a
// PolicySet per principal (and resource) and reuse it.
package iampolicy
