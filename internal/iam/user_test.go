package iam_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
)

func openService(t *testing.T) *iam.Service {
	t.Helper()
	db := openStore(t, t.TempDir())
	s, _, err := iam.Open(context.Background(), db, mustKeyring(t, 3), iam.Config{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantCode checks that err carries the AWS code (and message fragment).
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	e := awserr.As(err)
	if err == nil || e.Code != code || !strings.Contains(e.Message, msg) {
		t.Errorf("error = %v, want %s containing %q", err, code, msg)
	}
}

func TestUserLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openService(t)
	u, err := s.CreateUser(ctx, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.ID, "AIDA") || len(u.ID) != 21 || u.Path != "/" || u.ARN("123456789012") != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("user = %+v", u)
	}
	_, err = s.CreateUser(ctx, "ALICE", "/")
	wantCode(t, err, "EntityAlreadyExists", "User with name ALICE already exists.")

	got, err := s.User(ctx, "Alice")
	if err != nil || got.ID != u.ID {
		t.Errorf("User(Alice) = %+v, %v; names are case-insensitive", got, err)
	}
	_, err = s.User(ctx, "bob")
	wantCode(t, err, "NoSuchEntity", "The user with name bob cannot be found.")

	k1, err := s.CreateAccessKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k1.ID, "AKIA") || len(k1.SecretAccessKey) != 40 || k1.Status != "Active" {
		t.Errorf("key = %+v", k1)
	}
	secret, p, err := s.Credential(ctx, k1.ID)
	if err != nil || secret != k1.SecretAccessKey {
		t.Fatalf("Credential = %v", err)
	}
	if p.Type != iam.PrincipalUser || p.ARN != "arn:aws:iam::123456789012:user/alice" || p.UserID != u.ID || p.UserName != "alice" {
		t.Errorf("principal = %+v", p)
	}
	// Again, from the secrets already opened.
	if again, p2, err := s.Credential(ctx, k1.ID); err != nil || again != k1.SecretAccessKey {
		t.Fatalf("Credential again = %v", err)
	} else if !reflect.DeepEqual(p2, p) || p2 == p {
		t.Errorf("principal again = %+v, want a copy of %+v", p2, p)
	}
	if _, err := s.CreateAccessKey(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateAccessKey(ctx, "alice")
	wantCode(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")

	if err := s.UpdateAccessKey(ctx, "alice", k1.ID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Credential(ctx, k1.ID)
	wantCode(t, err, "InvalidClientTokenId", "invalid")
	err = s.UpdateAccessKey(ctx, "alice", k1.ID, "Paused")
	wantCode(t, err, "ValidationError", "Member must satisfy enum value set: [Active, Inactive]")

	err = s.DeleteUser(ctx, "alice")
	wantCode(t, err, "DeleteConflict", "Cannot delete entity, must delete access keys first.")

	keys, err := s.ListAccessKeys(ctx, "alice")
	if err != nil || len(keys) != 2 {
		t.Fatalf("ListAccessKeys = %d keys, %v", len(keys), err)
	}
	for _, k := range keys {
		if err := s.DeleteAccessKey(ctx, "alice", k.ID); err != nil {
			t.Fatal(err)
		}
	}
	err = s.DeleteAccessKey(ctx, "alice", k1.ID)
	wantCode(t, err, "NoSuchEntity", "The Access Key with id "+k1.ID+" cannot be found.")
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Credential(ctx, k1.ID)
	wantCode(t, err, "InvalidClientTokenId", "invalid")
}

func TestCreateUserValidation(t *testing.T) {
	ctx := context.Background()
	s := openService(t)
	tests := []struct {
		name, path, want string
	}{
		{"", "/", "Member must have length greater than or equal to 1"},
		{strings.Repeat("a", 65), "/", "Member must have length less than or equal to 64"},
		{"al ice", "/", `Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"alice", "dev/", "at 'path' failed to satisfy constraint"},
		{"alice", "/dev", "at 'path' failed to satisfy constraint"},
	}
	for _, tt := range tests {
		_, err := s.CreateUser(ctx, tt.name, tt.path)
		wantCode(t, err, "ValidationError", tt.want)
	}
	if _, err := s.CreateUser(ctx, "a+b=c,d.e@f-g_h", "/team/dev/"); err != nil {
		t.Errorf("valid name and path refused: %v", err)
	}
}

func TestListUsersPages(t *testing.T) {
	ctx := context.Background()
	s := openService(t)
	for i := range 7 {
		path := "/"
		if i%2 == 1 {
			path = "/odd/"
		}
		if _, err := s.CreateUser(ctx, fmt.Sprintf("user%d", i), path); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	after := ""
	for {
		page, err := s.ListUsers(ctx, "/", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page {
			names = append(names, u.Name)
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].Name
	}
	if got := strings.Join(names, ","); got != "user0,user1,user2,user3,user4,user5,user6" {
		t.Errorf("paged names = %s", got)
	}
	odd, err := s.ListUsers(ctx, "/odd/", "", 100)
	if err != nil || len(odd) != 3 {
		t.Errorf("ListUsers(/odd/) = %d users, %v", len(odd), err)
	}
}

func TestUserWithPathPrincipal(t *testing.T) {
	ctx := context.Background()
	s := openService(t)
	if _, err := s.CreateUser(ctx, "carol", "/team/"); err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAccessKey(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := s.Credential(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::123456789012:user/team/carol"; p.ARN != want {
		t.Errorf("ARN = %s, want %s", p.ARN, want)
	}
}
