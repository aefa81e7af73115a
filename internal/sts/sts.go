// Package sts issues and resolves temporary security credentials.
//
// A session token is opaque to clients: the claims that rebuild the
// principal (who, which account, the temporary secret, issue and expiry
// times) are sealed with AES-256-GCM under a key derived from the master
// key and bound to the temporary access key ID. Any node holding the master
// key can verify a token; nothing is stored per session.
//
// As on AWS, temporary credentials cannot be revoked, but they carry no
// permissions of their own: every request is authorized against the
// principal's policies as they are at that moment. Deleting the IAM user
// who requested them makes them invalid; deactivating or deleting the access
// key that requested them does not (AWS: "After AWS STS issues temporary
// security credentials, they are valid through the expiration period and
// cannot be revoked").
package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/keyring"
)

// Session durations of GetSessionToken, in seconds.
const (
	MinSessionSeconds     = 900
	MaxSessionSeconds     = 129600
	DefaultSessionSeconds = 43200
	MaxRootSessionSeconds = 3600
)

const purposeToken = "session-token"

// tokenPrefix starts every fnurl session token, so that a token is
// recognisable in support cases without opening it.
const tokenPrefix = "FwoFnUrL"

// Source says which STS action issued a session.
type Source string

// Sources.
const (
	SourceSessionToken Source = "GetSessionToken"
	SourceAssumeRole   Source = "AssumeRole"
)

// AssumeRole limits, in seconds.
const (
	MinRoleSessionSeconds   = 900
	DefaultRoleSessionSecs  = 3600
	MaxChainedSessionSecs   = 3600
	MaxRoleSessionSecsModel = 43200
)

// Users is what sts needs from the IAM domain.
type Users interface {
	AccountID() string
	UserByID(ctx context.Context, id string) (*iam.User, error)
	RoleByID(ctx context.Context, id string) (*iam.Role, error)
}

// Service issues and resolves temporary credentials.
type Service struct {
	keys  *keyring.Keyring
	users Users
	now   func() time.Time
	// fixedLifetime, when non-zero, replaces every requested lifetime. It
	// exists for end-to-end tests of expiry and is never set in production.
	fixedLifetime time.Duration
}

// Config configures New.
type Config struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// TestLifetime, when non-zero, makes every issued credential live this
	// long, whatever was requested. Test-only: it lets end-to-end tests see
	// credentials expire without waiting 15 minutes.
	TestLifetime time.Duration
}

// New returns the STS service.
func New(keys *keyring.Keyring, users Users, cfg Config) *Service {
	s := &Service{keys: keys, users: users, now: cfg.Now, fixedLifetime: cfg.TestLifetime}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// claims is what a session token seals.
type claims struct {
	Version     int       `json:"v"`
	AccessKeyID string    `json:"k"`
	Secret      string    `json:"s"`
	Source      Source    `json:"src"`
	Account     string    `json:"a"`
	Type        string    `json:"t"`
	UserID      string    `json:"u,omitempty"`
	Issued      time.Time `json:"iat"`
	Expires     time.Time `json:"exp"`
	MFA         bool      `json:"mfa,omitempty"`

	// Role sessions.
	RoleID            string   `json:"r,omitempty"`
	SessionName       string   `json:"sn,omitempty"`
	SessionPolicy     string   `json:"sp,omitempty"`
	SessionPolicyARNs []string `json:"spa,omitempty"`
}

// ValidationError words a constraint failure as AWS does.
func validationError(value, field, constraint string) error {
	return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// GetSessionToken issues credentials that act as p, the long-term caller.
// seconds is the requested duration when given is true: 900 to 129600 for IAM
// users (default 43200); for the root user at most 3600 (default 3600;
// longer requests are shortened, as AWS does).
func (s *Service) GetSessionToken(ctx context.Context, p *iam.Principal, seconds int, given bool) (*Credentials, error) {
	if p.Temporary {
		return nil, awserr.New(awserr.CodeAccessDenied, http.StatusForbidden, "Cannot call GetSessionToken with session credentials")
	}
	if given && seconds < MinSessionSeconds {
		return nil, validationError(fmt.Sprint(seconds), "durationSeconds", fmt.Sprintf("Member must have value greater than or equal to %d", MinSessionSeconds))
	}
	if seconds > MaxSessionSeconds {
		return nil, validationError(fmt.Sprint(seconds), "durationSeconds", fmt.Sprintf("Member must have value less than or equal to %d", MaxSessionSeconds))
	}
	if !given {
		seconds = DefaultSessionSeconds
	}
	if p.Type == iam.PrincipalAccount && seconds > MaxRootSessionSeconds {
		seconds = MaxRootSessionSeconds
	}
	c := claims{Version: 1, Source: SourceSessionToken, Account: p.Account, Type: string(p.Type), UserID: p.UserID}
	return s.issue(&c, time.Duration(seconds)*time.Second)
}

func (s *Service) issue(c *claims, lifetime time.Duration) (*Credentials, error) {
	if s.fixedLifetime != 0 {
		lifetime = s.fixedLifetime
	}
	now := s.now().UTC()
	c.AccessKeyID = iam.NewAccessKeyID(iam.PrefixTemporaryKey)
	c.Secret = iam.NewSecretAccessKey()
	c.Issued = now.Truncate(time.Millisecond)
	c.Expires = now.Add(lifetime).Truncate(time.Millisecond)
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	sealed, err := s.keys.Seal(purposeToken, []byte(c.AccessKeyID), b)
	if err != nil {
		return nil, err
	}
	return &Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret,
		SessionToken: tokenPrefix + base64.RawURLEncoding.EncodeToString(sealed), Expiration: c.Expires}, nil
}

var (
	errInvalidToken = awserr.New(awserr.CodeInvalidClientTokenID, http.StatusForbidden, "The security token included in the request is invalid")
	errExpiredToken = awserr.New(awserr.CodeExpiredToken, http.StatusForbidden, "The security token included in the request is expired")
)

// Resolve opens the session token sent with the temporary access key id and
// returns the temporary secret and the principal the credentials act as.
// Returns InvalidClientTokenId for a token that does not open, belongs to
// another key or names a principal that no longer exists, and ExpiredToken
// at or after the expiry time.
func (s *Service) Resolve(ctx context.Context, id, token string) (secret string, p *iam.Principal, err error) {
	if len(token) <= len(tokenPrefix) || token[:len(tokenPrefix)] != tokenPrefix {
		return "", nil, errInvalidToken
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token[len(tokenPrefix):])
	if err != nil {
		return "", nil, errInvalidToken
	}
	b, err := s.keys.Open(purposeToken, []byte(id), sealed)
	if err != nil {
		return "", nil, errInvalidToken
	}
	var c claims
	if err := json.Unmarshal(b, &c); err != nil || c.Version != 1 || c.AccessKeyID != id {
		return "", nil, errInvalidToken
	}
	if !s.now().Before(c.Expires) {
		return "", nil, errExpiredToken
	}
	if c.Account != s.users.AccountID() {
		return "", nil, errInvalidToken
	}
	p = &iam.Principal{Type: iam.PrincipalType(c.Type), Account: c.Account, AccessKeyID: id,
		Temporary: true, TokenIssued: c.Issued, SessionSource: string(c.Source), MFA: c.MFA}
	switch p.Type {
	case iam.PrincipalAccount:
		p.ARN, p.UserID = iam.RootARN(c.Account), c.Account
	case iam.PrincipalUser:
		u, err := s.users.UserByID(ctx, c.UserID)
		if errors.Is(err, iam.ErrNotFound) {
			return "", nil, errInvalidToken
		}
		if err != nil {
			return "", nil, err
		}
		p.ARN, p.UserID, p.UserName = u.ARN(c.Account), u.ID, u.Name
	case iam.PrincipalAssumedRole:
		r, err := s.users.RoleByID(ctx, c.RoleID)
		if errors.Is(err, iam.ErrNotFound) {
			return "", nil, errInvalidToken
		}
		if err != nil {
			return "", nil, err
		}
		p.ARN = "arn:aws:sts::" + c.Account + ":assumed-role/" + r.Name + "/" + c.SessionName
		p.UserID = r.ID + ":" + c.SessionName
		p.RoleID, p.RoleARN, p.SessionName = r.ID, r.ARN(c.Account), c.SessionName
		p.SessionPolicy, p.SessionPolicyARNs = c.SessionPolicy, c.SessionPolicyARNs
	default:
		return "", nil, errInvalidToken
	}
	return c.Secret, p, nil
}

// RoleSession is what AssumeRole was asked for, after authorization.
type RoleSession struct {
	Role              *iam.Role
	SessionName       string
	Seconds           int  // requested duration
	Given             bool // whether Seconds was given
	SessionPolicy     string
	SessionPolicyARNs []string
}

// AssumeRole issues credentials for a session of a role, once the caller
// has been authorized by the role's trust policy. The duration is 900 s up
// to the role's MaxSessionDuration (default 3600 s); a role session
// assuming a role (role chaining) gets at most one hour.
func (s *Service) AssumeRole(ctx context.Context, caller *iam.Principal, rs RoleSession) (*Credentials, *iam.Principal, error) {
	seconds := DefaultRoleSessionSecs
	if rs.Given {
		seconds = rs.Seconds
		if seconds < MinRoleSessionSeconds {
			return nil, nil, validationError(fmt.Sprint(seconds), "durationSeconds", fmt.Sprintf("Member must have value greater than or equal to %d", MinRoleSessionSeconds))
		}
		if seconds > MaxRoleSessionSecsModel {
			return nil, nil, validationError(fmt.Sprint(seconds), "durationSeconds", fmt.Sprintf("Member must have value less than or equal to %d", MaxRoleSessionSecsModel))
		}
		if caller.Type == iam.PrincipalAssumedRole && seconds > MaxChainedSessionSecs {
			return nil, nil, awserr.New(awserr.CodeValidationError, http.StatusBadRequest,
				"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		if seconds > rs.Role.MaxSessionDuration {
			return nil, nil, awserr.New(awserr.CodeValidationError, http.StatusBadRequest,
				"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
	}
	c := claims{Version: 1, Source: SourceAssumeRole, Account: s.users.AccountID(), Type: string(iam.PrincipalAssumedRole),
		RoleID: rs.Role.ID, SessionName: rs.SessionName, SessionPolicy: rs.SessionPolicy, SessionPolicyARNs: rs.SessionPolicyARNs}
	cr, err := s.issue(&c, time.Duration(seconds)*time.Second)
	if err != nil {
		return nil, nil, err
	}
	account := s.users.AccountID()
	p := &iam.Principal{Type: iam.PrincipalAssumedRole, Account: account, AccessKeyID: cr.AccessKeyID, Temporary: true,
		ARN:    "arn:aws:sts::" + account + ":assumed-role/" + rs.Role.Name + "/" + rs.SessionName,
		UserID: rs.Role.ID + ":" + rs.SessionName, RoleID: rs.Role.ID, RoleARN: rs.Role.ARN(account), SessionName: rs.SessionName,
		TokenIssued: c.Issued, SessionSource: string(SourceAssumeRole)}
	return cr, p, nil
}

// ServiceRoleSession issues credentials for a session of role on behalf of
// an AWS service (Lambda assuming a function's execution role); the
// role's trust policy was checked when the role was configured.
func (s *Service) ServiceRoleSession(ctx context.Context, role *iam.Role, sessionName string, lifetime time.Duration) (*Credentials, error) {
	c := claims{Version: 1, Source: SourceAssumeRole, Account: s.users.AccountID(), Type: string(iam.PrincipalAssumedRole),
		RoleID: role.ID, SessionName: sessionName}
	return s.issue(&c, lifetime)
}
