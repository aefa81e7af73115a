// Package authn turns a signed request into a Principal: it parses the SigV4
// parameters, checks the credential scope and the request time, looks up
// the secret of the access key and verifies the signature.
//
// The order of the checks follows what AWS reports first: a request with no
// authentication at all, then a malformed one, then a stale or future
// timestamp, then a scope for the wrong region or service, then an unknown
// access key or token, and finally a signature that does not match.
//
// Errors are *awserr.Error values spelled as the query protocol spells them
// (SignatureDoesNotMatch, InvalidClientTokenId, ...); the JSON protocol's
// writer translates them (InvalidSignatureException, ...).
package authn

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/sigv4"
)

// Lookup returns the secret access key for accessKeyID and the principal it
// stands for. token is the session token sent with the request ("" if
// none). Lookup returns InvalidClientTokenId for unknown or inactive keys and
// ExpiredToken for expired temporary credentials.
type Lookup func(ctx context.Context, accessKeyID, token string) (secret string, p *iam.Principal, err error)

// Authenticator authenticates requests for one service.
type Authenticator struct {
	Service  string          // SigV4 service name: "sts", "iam", "lambda"
	Regions  []string        // regions the credential scope may name
	Verifier *sigv4.Verifier // time window and signing-key cache
	Lookup   Lookup          // access key -> secret and principal
}

// Authenticate verifies r, whose body hashes to payloadHash, and returns the
// caller. a is the result of sigv4.Parse(r).
func (au *Authenticator) Authenticate(ctx context.Context, r *http.Request, a *sigv4.Auth, payloadHash string) (*iam.Principal, error) {
	if err := au.Verifier.CheckTime(a); err != nil {
		return nil, FromSigV4(err)
	}
	if err := a.CheckScope("", au.Service); err != nil {
		return nil, FromSigV4(err)
	}
	if !slices.Contains(au.Regions, a.Region) {
		// Reuse sigv4's wording for a wrong region.
		return nil, FromSigV4(a.CheckScope(au.Regions[0], au.Service))
	}
	secret, p, err := au.Lookup(ctx, a.AccessKeyID, a.SecurityToken)
	if err != nil {
		return nil, err
	}
	if err := au.Verifier.CheckSignature(r, a, secret, payloadHash); err != nil {
		return nil, FromSigV4(err)
	}
	return p, nil
}

// Message texts AWS uses.
const (
	msgMissingAuth = "Request is missing Authentication Token"
)

// FromSigV4 converts a sigv4 error into the AWS error the query protocol
// would answer with. Other errors are returned unchanged.
func FromSigV4(err error) error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Kind {
	case sigv4.KindMissing:
		return awserr.New(awserr.CodeMissingAuthenticationToken, http.StatusForbidden, msgMissingAuth).Wrap(err)
	case sigv4.KindIncomplete:
		return awserr.New(awserr.CodeIncompleteSignature, http.StatusBadRequest, se.Message).Wrap(err)
	default: // mismatch, scope, expired, payload: all reported as signature errors
		return awserr.New(awserr.CodeSignatureDoesNotMatch, http.StatusForbidden, se.Message).Wrap(err)
	}
}

type principalKey struct{}

// NewContext returns a context carrying the authenticated principal.
func NewContext(ctx context.Context, p *iam.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx, or nil for an
// unauthenticated request.
func PrincipalFrom(ctx context.Context) *iam.Principal {
	p, _ := ctx.Value(principalKey{}).(*iam.Principal)
	return p
}

// CredentialType names the kind of credentials that signed a request, for
// audit records: root, user, session (GetSessionToken) or assumed-role.
func CredentialType(p *iam.Principal) string {
	switch {
	case p == nil:
		return "anonymous"
	case p.Type == iam.PrincipalAssumedRole:
		return "assumed-role"
	case p.Temporary:
		return "session"
	case p.Type == iam.PrincipalAccount:
		return "root"
	}
	return "user"
}
