package iampolicy

import (
	"errors"
	"strings"

	"github.com/fnurl/fnurl/internal/arn"
)

// PrincipalType says what kind of caller made a request. The values of the
// first five are what AWS puts in aws:PrincipalType.
type PrincipalType string

// Principal types.
const (
	// TypeRoot is the account's root user. It is allowed everything in its
	// own account unless an explicit deny applies: no identity policy is
	// needed (callers pass none), and boundaries and session policies do not
	// apply to it. Service control policies and resource policies still do.
	TypeRoot PrincipalType = "Account"
	// TypeUser is an IAM user, with long-term keys or GetSessionToken
	// credentials.
	TypeUser PrincipalType = "User"
	// TypeAssumedRole is a role session (AssumeRole*). ARN is the session
	// ARN; IssuerARN the role ARN.
	TypeAssumedRole PrincipalType = "AssumedRole"
	// TypeFederatedUser is a GetFederationToken session. ARN is the
	// federated-user ARN; IssuerARN the IAM user that federated.
	TypeFederatedUser PrincipalType = "FederatedUser"
	// TypeAnonymous is an unauthenticated caller (function URLs with
	// AuthType NONE). Only Principal "*" matches it.
	TypeAnonymous PrincipalType = "Anonymous"
	// TypeService is an AWS service principal; ARN holds its name, e.g.
	// "lambda.amazonaws.com". Only resource policies can grant it access.
	TypeService PrincipalType = "Service"
	// TypeWebIdentity is a federated identity provider (OIDC or SAML) in role
	// trust policies; ARN holds the provider ("cognito-identity.amazonaws.com"
	// or arn:aws:iam::ACCT:saml-provider/NAME). It matches "Federated"
	// principals.
	TypeWebIdentity PrincipalType = "WebIdentity"
)

// Principal describes the caller of a request, as authentication established
// it.
type Principal struct {
	Type    PrincipalType
	Account string // 12-digit account ID of the caller; "" for anonymous and service callers
	// ARN is the caller's own ARN: arn:aws:iam::ACCT:root,
	// arn:aws:iam::ACCT:user/PATH/NAME, the session ARN
	// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION, the federated-user ARN
	// arn:aws:sts::ACCT:federated-user/NAME; the service name for
	// TypeService; the provider for TypeWebIdentity.
	ARN string
	// IssuerARN is, for TypeAssumedRole, the role ARN with its path
	// (aws:PrincipalArn; derived from the session ARN, without a path, when
	// empty), and for TypeFederatedUser the ARN of the IAM user that called
	// GetFederationToken.
	IssuerARN     string
	UserID        string // aws:userid: AIDA… for users, AROA…:session for role sessions, ACCT:name for federated users
	UserName      string // aws:username: IAM user name, users only
	CanonicalUser string // optional S3 canonical user ID, matched by "CanonicalUser" principals
}

// Anonymous returns the unauthenticated principal.
func Anonymous() Principal { return Principal{Type: TypeAnonymous} }

// ServicePrincipal returns the principal for an AWS service such as
// "lambda.amazonaws.com".
func ServicePrincipal(name string) Principal { return Principal{Type: TypeService, ARN: name} }

// ErrUnknownPrincipalARN is returned by PrincipalFromARN for ARNs that name
// no caller.
var ErrUnknownPrincipalARN = errors.New("iampolicy: not a root, user, assumed-role or federated-user ARN")

// PrincipalFromARN builds a Principal from a caller ARN: the root user, an
// IAM user, a role session or a federated user. UserID is left empty (except
// for root and federated users, where it follows from the ARN); for a role
// session IssuerARN is the role ARN without a path, and for a federated user
// it is left empty because the ARN does not name the IAM user that called
// GetFederationToken — set it to let grants to that user apply.
func PrincipalFromARN(s string) (Principal, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return Principal{}, ErrUnknownPrincipalARN
	}
	p := Principal{Account: a.AccountID, ARN: s}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p.Type = TypeRoot
		p.UserID = a.AccountID
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "user/"):
		p.Type = TypeUser
		p.UserName = a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		rest := a.Resource[len("assumed-role/"):]
		i := strings.IndexByte(rest, '/')
		if i <= 0 || i == len(rest)-1 {
			return Principal{}, ErrUnknownPrincipalARN
		}
		p.Type = TypeAssumedRole
		p.IssuerARN = "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + rest[:i]
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "federated-user/"):
		name := a.Resource[len("federated-user/"):]
		if name == "" {
			return Principal{}, ErrUnknownPrincipalARN
		}
		p.Type = TypeFederatedUser
		p.UserID = a.AccountID + ":" + name
	default:
		return Principal{}, ErrUnknownPrincipalARN
	}
	if p.Account == "" {
		return Principal{}, ErrUnknownPrincipalARN
	}
	return p, nil
}

// authenticated reports whether the caller belongs to an account.
func (p *Principal) authenticated() bool {
	switch p.Type {
	case TypeRoot, TypeUser, TypeAssumedRole, TypeFederatedUser:
		return true
	}
	return false
}

// roleARN returns the role of a role session.
func (p *Principal) roleARN() string {
	if p.Type != TypeAssumedRole {
		return ""
	}
	if p.IssuerARN != "" {
		return p.IssuerARN
	}
	parts, ok := arn.Split(p.ARN)
	if !ok || !strings.HasPrefix(parts[5], "assumed-role/") {
		return ""
	}
	rest := parts[5][len("assumed-role/"):]
	i := strings.IndexByte(rest, '/')
	if i <= 0 {
		return ""
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + rest[:i]
}

// PrincipalMatch says how a statement's Principal element matched the
// caller. The kind matters for same-account decisions (see Evaluate).
type PrincipalMatch uint8

// Principal match kinds, weakest first.
const (
	// PrincipalNoMatch: the statement does not name the caller.
	PrincipalNoMatch PrincipalMatch = iota
	// PrincipalAccountMatch: the statement names the caller's account
	// ("111122223333" or arn:aws:iam::111122223333:root). That delegates
	// to the account: the caller still needs an identity-policy Allow.
	PrincipalAccountMatch
	// PrincipalIssuerMatch: the statement names the role of a role session
	// or the IAM user of a federated-user session. Permissions boundaries
	// and session policies still limit the grant.
	PrincipalIssuerMatch
	// PrincipalFullMatch: the statement names the caller itself (user ARN,
	// session ARN, federated-user ARN, service) or "*". Same-account grants
	// of this kind need nothing else.
	PrincipalFullMatch
)

func (m PrincipalMatch) String() string {
	switch m {
	case PrincipalAccountMatch:
		return "account"
	case PrincipalIssuerMatch:
		return "session issuer"
	case PrincipalFullMatch:
		return "match"
	}
	return "no match"
}

// pentry is one compiled principal value.
type pentry struct {
	kind    pkind
	value   string
	account string // for pkAccount
	raw     string // "AWS:value", for explanations
}

type pkind uint8

const (
	pkWildcard pkind = iota
	pkAccount
	pkARN
	pkService
	pkFederated
	pkCanonical
	pkUnknown
)

func compilePrincipals(ps *Principals) []pentry {
	if ps == nil {
		return nil
	}
	if ps.Wildcard {
		return []pentry{{kind: pkWildcard, raw: "*"}}
	}
	var out []pentry
	for _, e := range ps.Entries {
		for _, v := range e.Values.Values {
			pe := pentry{value: v, raw: e.Type + ":" + v}
			switch e.Type {
			case PrincipalAWS:
				switch {
				case v == "*":
					pe.kind = pkWildcard
				case isAccountID(v):
					pe.kind, pe.account = pkAccount, v
				default:
					if parts, ok := arn.Split(v); ok && parts[2] == "iam" && parts[3] == "" && parts[5] == "root" && isAccountID(parts[4]) {
						pe.kind, pe.account = pkAccount, parts[4]
					} else {
						pe.kind = pkARN
					}
				}
			case PrincipalService:
				pe.kind = pkService
			case PrincipalFederated:
				pe.kind = pkFederated
			case PrincipalCanonicalUser:
				pe.kind = pkCanonical
			default:
				pe.kind = pkUnknown
			}
			out = append(out, pe)
		}
	}
	return out
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// match reports how one principal value matches the caller. Principal values
// are compared as whole strings: IAM supports no partial wildcards in
// principals ("IAM JSON policy elements: Principal").
func (pe *pentry) match(p *Principal) PrincipalMatch {
	switch pe.kind {
	case pkWildcard:
		return PrincipalFullMatch
	case pkAccount:
		if p.authenticated() && p.Account == pe.account {
			return PrincipalAccountMatch
		}
	case pkARN:
		if !p.authenticated() {
			return PrincipalNoMatch
		}
		if pe.value == p.ARN {
			return PrincipalFullMatch
		}
		switch p.Type {
		case TypeAssumedRole:
			if r := p.roleARN(); r != "" && pe.value == r {
				return PrincipalIssuerMatch
			}
		case TypeFederatedUser:
			if p.IssuerARN != "" && pe.value == p.IssuerARN {
				return PrincipalIssuerMatch
			}
		}
	case pkService:
		if p.Type == TypeService && pe.value == p.ARN {
			return PrincipalFullMatch
		}
	case pkFederated:
		if p.Type == TypeWebIdentity && pe.value == p.ARN {
			return PrincipalFullMatch
		}
	case pkCanonical:
		if p.CanonicalUser != "" && pe.value == p.CanonicalUser {
			return PrincipalFullMatch
		}
	}
	return PrincipalNoMatch
}

// matchPrincipals returns the strongest match among entries.
func matchPrincipals(entries []pentry, p *Principal) PrincipalMatch {
	best := PrincipalNoMatch
	for i := range entries {
		if m := entries[i].match(p); m > best {
			best = m
			if best == PrincipalFullMatch {
				break
			}
		}
	}
	return best
}
