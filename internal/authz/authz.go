// Package authz decides whether a principal may perform an action on a
// resource, for every API fnurl serves.
//
// The account's root user may do anything in its own account. Every other
// principal is allowed only what its policies allow; a principal with no
// policy that allows the action is denied with AWS's AccessDenied message,
// which names the caller, the action and the resource, and the reason.
package authz

import (
	"context"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
)

// Authorizer makes authorization decisions.
type Authorizer struct{}

// New returns an Authorizer.
func New() *Authorizer { return &Authorizer{} }

// Authorize returns nil if p may perform action on resource, and an
// AccessDenied error otherwise.
//
// Identity-based policies are not stored yet, so an IAM user is allowed
// nothing: exactly AWS's answer for a user without policies.
func (a *Authorizer) Authorize(ctx context.Context, p *iam.Principal, action, resource string) error {
	if p != nil && p.Type == iam.PrincipalAccount {
		return nil
	}
	arn := "anonymous"
	if p != nil {
		arn = p.ARN
	}
	return awserr.AccessDenied(arn, action, resource, "because no identity-based policy allows the "+action+" action")
}
