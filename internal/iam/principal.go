package iam

import (
	"log/slog"
	"time"
)

// PrincipalType is the value of the aws:PrincipalType condition key.
type PrincipalType string

// Principal types, as AWS names them in aws:PrincipalType.
const (
	PrincipalAccount       PrincipalType = "Account" // the account's root user
	PrincipalUser          PrincipalType = "User"
	PrincipalAssumedRole   PrincipalType = "AssumedRole"
	PrincipalFederatedUser PrincipalType = "FederatedUser"
	PrincipalAnonymous     PrincipalType = "Anonymous"
)

// Principal is who signed a request, as authentication established it.
type Principal struct {
	Type        PrincipalType
	Account     string // 12-digit account ID
	ARN         string // caller ARN: arn:aws:iam::ACCT:root, ...:user/NAME, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
	UserID      string // aws:userid: account ID for root, AIDA... for users, AROA...:session for role sessions
	UserName    string // IAM user name; "" unless Type is User
	AccessKeyID string // the key that signed the request
	Temporary   bool   // signed with STS temporary credentials

	// For role sessions only:
	RoleID      string // AROA...
	RoleARN     string // arn:aws:iam::ACCT:role/PATH/NAME (aws:PrincipalArn)
	SessionName string
	// Session policies passed to AssumeRole: an inline document and
	// managed policy ARNs, which together limit the session.
	SessionPolicy     string
	SessionPolicyARNs []string

	// For temporary credentials only:
	TokenIssued   time.Time // aws:TokenIssueTime
	SessionSource string    // the STS action that issued them, e.g. "GetSessionToken"
	MFA           bool      // aws:MultiFactorAuthPresent
}

// LogValue keeps log lines to what identifies the caller; it never includes
// secrets (a Principal holds none, but this makes the rule explicit).
func (p *Principal) LogValue() slog.Value {
	if p == nil {
		return slog.StringValue("anonymous")
	}
	return slog.GroupValue(slog.String("arn", p.ARN), slog.String("access_key_id", p.AccessKeyID))
}

// RootARN returns the ARN of the account's root user.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }
