package sts_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/keyring"
	"github.com/fnurl/fnurl/internal/sts"
)

// users is an in-memory sts.Users.
type users struct {
	account string
	byID    map[string]*iam.User
	roles   map[string]*iam.Role
}

func (u *users) RoleByID(_ context.Context, id string) (*iam.Role, error) {
	if r, ok := u.roles[id]; ok {
		return r, nil
	}
	return nil, iam.ErrNotFound
}

func (u *users) AccountID() string { return u.account }
func (u *users) UserByID(_ context.Context, id string) (*iam.User, error) {
	if x, ok := u.byID[id]; ok {
		return x, nil
	}
	return nil, iam.ErrNotFound
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*sts.Service, *users, *clock) {
	t.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	us := &users{account: "123456789012", byID: map[string]*iam.User{
		"AIDAALICE0000000000001": {ID: "AIDAALICE0000000000001", Name: "alice", Path: "/dev/"},
	}}
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	return sts.New(k, us, sts.Config{Now: c.now}), us, c
}

var alice = &iam.Principal{Type: iam.PrincipalUser, Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/dev/alice",
	UserID: "AIDAALICE0000000000001", UserName: "alice", AccessKeyID: "AKIAALICE00000000001"}

func code(err error) string { return awserr.CodeOf(err) }

func TestGetSessionTokenAndResolve(t *testing.T) {
	ctx := context.Background()
	s, us, c := setup(t)
	cr, err := s.GetSessionToken(ctx, alice, 900, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cr.AccessKeyID, "ASIA") || len(cr.AccessKeyID) != 20 || len(cr.SecretAccessKey) != 40 {
		t.Errorf("credentials = %+v", cr)
	}
	if want := c.t.Add(900 * time.Second); !cr.Expiration.Equal(want) {
		t.Errorf("Expiration = %v, want %v", cr.Expiration, want)
	}
	if strings.Contains(cr.SessionToken, cr.SecretAccessKey) || strings.Contains(cr.SessionToken, "alice") {
		t.Error("session token reveals its claims")
	}

	secret, p, err := s.Resolve(ctx, cr.AccessKeyID, cr.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if secret != cr.SecretAccessKey || p.ARN != alice.ARN || p.UserID != alice.UserID || !p.Temporary ||
		p.AccessKeyID != cr.AccessKeyID || p.Type != iam.PrincipalUser || !p.TokenIssued.Equal(c.t) || p.SessionSource != "GetSessionToken" {
		t.Errorf("Resolve = %q, %+v", secret, p)
	}

	// One millisecond before expiry it works; at expiry it does not.
	c.t = cr.Expiration.Add(-time.Millisecond)
	if _, _, err := s.Resolve(ctx, cr.AccessKeyID, cr.SessionToken); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	c.t = cr.Expiration
	if _, _, err := s.Resolve(ctx, cr.AccessKeyID, cr.SessionToken); code(err) != "ExpiredToken" {
		t.Errorf("at expiry: %v, want ExpiredToken", err)
	}

	// A deleted user's sessions stop working.
	c.t = cr.Expiration.Add(-time.Minute)
	delete(us.byID, alice.UserID)
	if _, _, err := s.Resolve(ctx, cr.AccessKeyID, cr.SessionToken); code(err) != "InvalidClientTokenId" {
		t.Errorf("deleted user: %v, want InvalidClientTokenId", err)
	}
}

func TestResolveRejectsForgeries(t *testing.T) {
	ctx := context.Background()
	s, _, _ := setup(t)
	a, err := s.GetSessionToken(ctx, alice, 900, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.GetSessionToken(ctx, alice, 900, true)
	if err != nil {
		t.Fatal(err)
	}
	otherKeys, _ := keyring.New(bytes.Repeat([]byte{6}, 32))
	foreign := sts.New(otherKeys, &users{account: "123456789012"}, sts.Config{})
	f, _ := foreign.GetSessionToken(ctx, alice, 900, true)
	tests := []struct {
		name, id, token string
	}{
		{"token of another key", a.AccessKeyID, b.SessionToken},
		{"truncated", a.AccessKeyID, a.SessionToken[:len(a.SessionToken)-4]},
		{"flipped character", a.AccessKeyID, flip(a.SessionToken)},
		{"not ours", a.AccessKeyID, "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"},
		{"other master key", f.AccessKeyID, f.SessionToken},
		{"empty", a.AccessKeyID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.Resolve(ctx, tt.id, tt.token); code(err) != "InvalidClientTokenId" {
				t.Errorf("Resolve = %v, want InvalidClientTokenId", err)
			}
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestGetSessionTokenDurations(t *testing.T) {
	ctx := context.Background()
	s, _, c := setup(t)
	root := &iam.Principal{Type: iam.PrincipalAccount, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"}
	tests := []struct {
		name     string
		p        *iam.Principal
		seconds  int
		given    bool
		want     time.Duration
		wantCode string
	}{
		{"user default", alice, 0, false, 43200 * time.Second, ""},
		{"user min", alice, 900, true, 900 * time.Second, ""},
		{"user max", alice, 129600, true, 129600 * time.Second, ""},
		{"user too short", alice, 899, true, 0, "ValidationError"},
		{"user zero", alice, 0, true, 0, "ValidationError"},
		{"user too long", alice, 129601, true, 0, "ValidationError"},
		{"root default", root, 0, false, time.Hour, ""},
		{"root clamped", root, 7200, true, time.Hour, ""},
		{"root short", root, 900, true, 900 * time.Second, ""},
		{"session credentials", &iam.Principal{Type: iam.PrincipalUser, Temporary: true}, 900, true, 0, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr, err := s.GetSessionToken(ctx, tt.p, tt.seconds, tt.given)
			if code(err) != tt.wantCode {
				t.Fatalf("GetSessionToken = %v, want code %q", err, tt.wantCode)
			}
			if err == nil && !cr.Expiration.Equal(c.t.Add(tt.want)) {
				t.Errorf("lifetime = %v, want %v", cr.Expiration.Sub(c.t), tt.want)
			}
		})
	}
}

func TestTestLifetime(t *testing.T) {
	k, _ := keyring.New(bytes.Repeat([]byte{5}, 32))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := sts.New(k, &users{account: "123456789012"}, sts.Config{Now: func() time.Time { return now }, TestLifetime: 2 * time.Second})
	cr, err := s.GetSessionToken(context.Background(), alice, 900, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := cr.Expiration.Sub(now); got != 2*time.Second {
		t.Errorf("lifetime = %v, want the test lifetime 2s", got)
	}
}

func TestServiceRoleSession(t *testing.T) {
	ctx := context.Background()
	s, us, _ := setup(t)
	role := &iam.Role{ID: "AROAEXEC0000000000001", Name: "exec", Path: "/"}
	us.roles = map[string]*iam.Role{role.ID: role}
	c, err := s.ServiceRoleSession(ctx, role, "hello", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := s.Resolve(ctx, c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != iam.PrincipalAssumedRole || p.ARN != "arn:aws:sts::123456789012:assumed-role/exec/hello" || p.RoleARN != "arn:aws:iam::123456789012:role/exec" {
		t.Errorf("principal = %+v", p)
	}
}
