// Package storetest is the conformance suite every fnurl store passes: the
// embedded SQLite store and the PostgreSQL store run the same tests, so they
// behave the same.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/store/sqlstore"
)

// Store is what a store implements.
type Store = sqlstore.Store

// Run runs the suite; open returns a new, empty store for each test.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"Settings", testSettings},
		{"Users", testUsers},
		{"AccessKeys", testAccessKeys},
		{"ConcurrentAccessKeys", testConcurrentAccessKeys},
		{"Groups", testGroups},
		{"Roles", testRoles},
		{"Policies", testPolicies},
		{"PolicyVersions", testPolicyVersions},
		{"ConcurrentPolicyVersions", testConcurrentPolicyVersions},
		{"InlineAndIdentityPolicies", testInline},
		{"ConcurrentDeleteAndAttach", testConcurrentDeleteAndAttach},
		{"TagsAndLastUsed", testTags},
		{"Functions", testFunctions},
		{"VersionsAliasesURLs", testVersions},
		{"Audit", testAudit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1700000000123).UTC()
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func mkUser(t *testing.T, s Store, id, name string) *iam.User {
	t.Helper()
	u := &iam.User{ID: id, Name: name, Path: "/", Created: t0}
	must(t, s.CreateUser(ctx, u))
	return u
}

func mkPolicy(t *testing.T, s Store, id, name string) *iam.ManagedPolicy {
	t.Helper()
	p := &iam.ManagedPolicy{ID: id, Name: name, Path: "/", Created: t0, Updated: t0}
	must(t, s.CreatePolicy(ctx, p, `{"Version":"2012-10-17","Statement":[]}`))
	return p
}

func testSettings(t *testing.T, s Store) {
	_, err := s.Setting(ctx, "missing")
	wantErr(t, "Setting(missing)", err, iam.ErrNotFound)
	v, err := s.InitSetting(ctx, "k", "first")
	if err != nil || v != "first" {
		t.Fatalf("InitSetting = %q, %v", v, err)
	}
	v, err = s.InitSetting(ctx, "k", "second")
	if err != nil || v != "first" {
		t.Fatalf("second InitSetting = %q, %v; want the first value kept", v, err)
	}
	// Settings hold bytes that are not UTF-8 (the sealed master-key check).
	bin := "\xab\x00\xff\xce"
	if v, err := s.InitSetting(ctx, "bin", bin); err != nil || v != bin {
		t.Fatalf("InitSetting(binary) = %q, %v", v, err)
	}
	if v, err := s.Setting(ctx, "bin"); err != nil || v != bin {
		t.Fatalf("Setting(binary) = %q, %v", v, err)
	}
	_, err = s.RootAccessKey(ctx)
	wantErr(t, "RootAccessKey on empty store", err, iam.ErrNotFound)
	k := &iam.AccessKey{ID: "AKIAROOT000000000001", Root: true, Status: iam.StatusActive, Created: t0, SealedSecret: []byte{0, 1, 0xff}}
	must(t, s.CreateRootAccessKey(ctx, k))
	k2 := &iam.AccessKey{ID: "AKIAROOT000000000002", Root: true, Status: iam.StatusActive, Created: t0, SealedSecret: []byte{9}}
	must(t, s.ReplaceRootAccessKey(ctx, k2))
	got, err := s.RootAccessKey(ctx)
	if err != nil || got.ID != k2.ID || !got.Root || got.UserID != "" || string(got.SealedSecret) != "\x09" || !got.Created.Equal(t0) {
		t.Errorf("RootAccessKey = %+v, %v", got, err)
	}
	_, err = s.AccessKey(ctx, k.ID)
	wantErr(t, "replaced root key", err, iam.ErrNotFound)
	// Create only when there is none.
	k3 := &iam.AccessKey{ID: "AKIAROOT000000000003", Root: true, Status: iam.StatusActive, Created: t0, SealedSecret: []byte{3}}
	wantErr(t, "CreateRootAccessKey with a root key", s.CreateRootAccessKey(ctx, k3), iam.ErrExists)
	if got, err := s.RootAccessKey(ctx); err != nil || got.ID != k2.ID {
		t.Errorf("RootAccessKey after a refused create = %+v, %v; want %s", got, err, k2.ID)
	}
}

func testUsers(t *testing.T, s Store) {
	u := mkUser(t, s, "AIDA1", "Alice")
	wantErr(t, "CreateUser same name other case", s.CreateUser(ctx, &iam.User{ID: "AIDA2", Name: "alice", Path: "/", Created: t0}), iam.ErrExists)
	got, err := s.User(ctx, "ALICE")
	if err != nil || got.ID != u.ID || got.Name != "Alice" || !got.Created.Equal(t0) {
		t.Fatalf("User(ALICE) = %+v, %v", got, err)
	}
	if got, err := s.UserByID(ctx, "AIDA1"); err != nil || got.Name != "Alice" {
		t.Errorf("UserByID = %+v, %v", got, err)
	}
	_, err = s.User(ctx, "bob")
	wantErr(t, "User(bob)", err, iam.ErrNotFound)
	must(t, s.CreateUser(ctx, &iam.User{ID: "AIDA3", Name: "bob", Path: "/eng/", Created: t0}))
	must(t, s.CreateUser(ctx, &iam.User{ID: "AIDA4", Name: "Carol", Path: "/eng/x_y/", Created: t0}))
	must(t, s.CreateUser(ctx, &iam.User{ID: "AIDA5", Name: "dave", Path: "/engineering/", Created: t0}))
	names := func(us []*iam.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	for _, tc := range []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"/", "", 10, []string{"Alice", "bob", "Carol", "dave"}},
		{"/", "", 2, []string{"Alice", "bob"}},
		{"/", "bob", 10, []string{"Carol", "dave"}},
		{"/eng/", "", 10, []string{"bob", "Carol"}},
		{"/eng/x_", "", 10, []string{"Carol"}},
		{"/eng/x%", "", 10, nil},
	} {
		t.Run(fmt.Sprintf("%s,%s,%d", tc.prefix, tc.after, tc.limit), func(t *testing.T) {
			us, err := s.ListUsers(ctx, tc.prefix, tc.after, tc.limit)
			must(t, err)
			if got := names(us); !slices.Equal(got, tc.want) {
				t.Errorf("ListUsers = %q, want %q", got, tc.want)
			}
		})
	}
	must(t, s.SetPermissionsBoundary(ctx, iam.Entity{Kind: iam.KindUser, ID: "AIDA1"}, "arn:aws:iam::123456789012:policy/b"))
	if got, _ := s.User(ctx, "alice"); got.PermissionsBoundary != "arn:aws:iam::123456789012:policy/b" {
		t.Errorf("boundary = %q", got.PermissionsBoundary)
	}
	wantErr(t, "SetPermissionsBoundary(missing)", s.SetPermissionsBoundary(ctx, iam.Entity{Kind: iam.KindUser, ID: "nope"}, "x"), iam.ErrNotFound)
	must(t, s.DeleteUser(ctx, "BOB"))
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx, "bob"), iam.ErrNotFound)
}

func testAccessKeys(t *testing.T, s Store) {
	u := mkUser(t, s, "AIDA1", "alice")
	k := func(id string) *iam.AccessKey {
		return &iam.AccessKey{ID: id, UserID: u.ID, Status: iam.StatusActive, Created: t0, SealedSecret: []byte("sealed-" + id)}
	}
	must(t, s.CreateAccessKey(ctx, k("AKIA1"), 2))
	must(t, s.CreateAccessKey(ctx, k("AKIA2"), 2))
	wantErr(t, "third key", s.CreateAccessKey(ctx, k("AKIA3"), 2), iam.ErrLimit)
	wantErr(t, "key for missing user", s.CreateAccessKey(ctx, &iam.AccessKey{ID: "AKIA9", UserID: "nope", Status: iam.StatusActive, Created: t0, SealedSecret: []byte{1}}, 2), iam.ErrNotFound)
	got, err := s.AccessKey(ctx, "AKIA1")
	if err != nil || got.UserName != "alice" || got.UserPath != "/" || got.Root || string(got.SealedSecret) != "sealed-AKIA1" {
		t.Fatalf("AccessKey = %+v, %v", got, err)
	}
	keys, err := s.ListAccessKeys(ctx, u.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("ListAccessKeys = %d keys, %v", len(keys), err)
	}
	must(t, s.SetAccessKeyStatus(ctx, u.ID, "AKIA1", iam.StatusInactive))
	if got, _ := s.AccessKey(ctx, "AKIA1"); got.Status != iam.StatusInactive {
		t.Errorf("status = %s", got.Status)
	}
	wantErr(t, "SetAccessKeyStatus other user", s.SetAccessKeyStatus(ctx, "AIDAX", "AKIA1", iam.StatusActive), iam.ErrNotFound)
	wantErr(t, "DeleteUser with keys", s.DeleteUser(ctx, "alice"), iam.ErrUserHasKeys)
	must(t, s.DeleteAccessKey(ctx, u.ID, "AKIA1"))
	must(t, s.DeleteAccessKey(ctx, u.ID, "AKIA2"))
	wantErr(t, "DeleteAccessKey again", s.DeleteAccessKey(ctx, u.ID, "AKIA2"), iam.ErrNotFound)
	must(t, s.DeleteUser(ctx, "alice"))
}

func testConcurrentAccessKeys(t *testing.T, s Store) {
	u := mkUser(t, s, "AIDA1", "alice")
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateAccessKey(ctx, &iam.AccessKey{ID: fmt.Sprintf("AKIA%02d", i), UserID: u.ID, Status: iam.StatusActive,
				Created: t0, SealedSecret: []byte{1}}, 2)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, iam.ErrLimit):
			t.Errorf("CreateAccessKey: %v, want nil or ErrLimit", err)
		}
	}
	keys, err := s.ListAccessKeys(ctx, u.ID)
	must(t, err)
	if ok != 2 || len(keys) != 2 {
		t.Errorf("%d concurrent creations succeeded and %d keys stored, want 2 and 2", ok, len(keys))
	}
}

func testGroups(t *testing.T, s Store) {
	u := mkUser(t, s, "AIDA1", "alice")
	g := &iam.Group{ID: "AGPA1", Name: "Admins", Path: "/", Created: t0}
	must(t, s.CreateGroup(ctx, g))
	wantErr(t, "CreateGroup other case", s.CreateGroup(ctx, &iam.Group{ID: "AGPA2", Name: "ADMINS", Path: "/", Created: t0}), iam.ErrExists)
	if got, err := s.Group(ctx, "admins"); err != nil || got.ID != g.ID {
		t.Fatalf("Group = %+v, %v", got, err)
	}
	must(t, s.AddUserToGroup(ctx, g.ID, u.ID))
	must(t, s.AddUserToGroup(ctx, g.ID, u.ID)) // idempotent
	if ms, err := s.GroupMembers(ctx, g.ID); err != nil || len(ms) != 1 || ms[0].Name != "alice" {
		t.Errorf("GroupMembers = %v, %v", ms, err)
	}
	if gs, err := s.GroupsForUser(ctx, u.ID); err != nil || len(gs) != 1 || gs[0].Name != "Admins" {
		t.Errorf("GroupsForUser = %v, %v", gs, err)
	}
	if gs, err := s.ListGroups(ctx, "/", "", 10); err != nil || len(gs) != 1 {
		t.Errorf("ListGroups = %v, %v", gs, err)
	}
	wantErr(t, "DeleteGroup with members", s.DeleteGroup(ctx, "Admins"), iam.ErrHasMembers)
	wantErr(t, "DeleteUser in group", s.DeleteUser(ctx, "alice"), iam.ErrInGroups)
	must(t, s.RemoveUserFromGroup(ctx, g.ID, u.ID))
	wantErr(t, "RemoveUserFromGroup again", s.RemoveUserFromGroup(ctx, g.ID, u.ID), iam.ErrNotFound)
	p := mkPolicy(t, s, "ANPA1", "p")
	must(t, s.AttachPolicy(ctx, iam.Entity{Kind: iam.KindGroup, ID: g.ID}, p.ID))
	wantErr(t, "DeleteGroup with policy", s.DeleteGroup(ctx, "admins"), iam.ErrHasPolicies)
	must(t, s.DetachPolicy(ctx, iam.Entity{Kind: iam.KindGroup, ID: g.ID}, p.ID))
	must(t, s.DeleteGroup(ctx, "admins"))
	wantErr(t, "DeleteGroup again", s.DeleteGroup(ctx, "admins"), iam.ErrNotFound)
}

func testRoles(t *testing.T, s Store) {
	r := &iam.Role{ID: "AROA1", Name: "Deployer", Path: "/svc/", Description: "d", TrustPolicy: `{"Statement":[]}`, MaxSessionDuration: 3600, Created: t0}
	must(t, s.CreateRole(ctx, r))
	wantErr(t, "CreateRole other case", s.CreateRole(ctx, &iam.Role{ID: "AROA2", Name: "deployer", Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600, Created: t0}), iam.ErrExists)
	got, err := s.Role(ctx, "DEPLOYER")
	if err != nil || got.ID != r.ID || got.Path != "/svc/" || got.MaxSessionDuration != 3600 || got.TrustPolicy != r.TrustPolicy {
		t.Fatalf("Role = %+v, %v", got, err)
	}
	r.Description, r.MaxSessionDuration = "new", 7200
	must(t, s.UpdateRole(ctx, r))
	if got, _ := s.RoleByID(ctx, r.ID); got.Description != "new" || got.MaxSessionDuration != 7200 {
		t.Errorf("after UpdateRole: %+v", got)
	}
	if rs, err := s.ListRoles(ctx, "/svc/", "", 10); err != nil || len(rs) != 1 {
		t.Errorf("ListRoles = %v, %v", rs, err)
	}
	must(t, s.PutInlinePolicy(ctx, iam.Entity{Kind: iam.KindRole, ID: r.ID}, "inl", "{}", 10240))
	wantErr(t, "DeleteRole with inline", s.DeleteRole(ctx, "deployer"), iam.ErrHasInline)
	must(t, s.DeleteInlinePolicy(ctx, iam.Entity{Kind: iam.KindRole, ID: r.ID}, "inl"))
	must(t, s.DeleteRole(ctx, "deployer"))
	_, err = s.RoleByID(ctx, r.ID)
	wantErr(t, "RoleByID after delete", err, iam.ErrNotFound)
}

func testPolicies(t *testing.T, s Store) {
	p := mkPolicy(t, s, "ANPA1", "ReadOnly")
	err := s.CreatePolicy(ctx, &iam.ManagedPolicy{ID: "ANPA2", Name: "readonly", Path: "/other/", Created: t0, Updated: t0}, "{}")
	wantErr(t, "CreatePolicy other case", err, iam.ErrExists)
	got, err := s.Policy(ctx, "READONLY")
	if err != nil || got.ID != p.ID || got.DefaultVersion != "v1" || got.AttachmentCount != 0 {
		t.Fatalf("Policy = %+v, %v", got, err)
	}
	u := mkUser(t, s, "AIDA1", "alice")
	ue := iam.Entity{Kind: iam.KindUser, ID: u.ID}
	must(t, s.AttachPolicy(ctx, ue, p.ID))
	must(t, s.AttachPolicy(ctx, ue, p.ID)) // idempotent
	if got, _ := s.Policy(ctx, "ReadOnly"); got.AttachmentCount != 1 {
		t.Errorf("AttachmentCount = %d, want 1", got.AttachmentCount)
	}
	if ps, err := s.ListAttachedPolicies(ctx, ue); err != nil || len(ps) != 1 || ps[0].Name != "ReadOnly" {
		t.Errorf("ListAttachedPolicies = %v, %v", ps, err)
	}
	mkPolicy(t, s, "ANPA3", "Zed")
	if ps, err := s.ListPolicies(ctx, "/", "", true, 10); err != nil || len(ps) != 1 {
		t.Errorf("ListPolicies(onlyAttached) = %d, %v", len(ps), err)
	}
	if ps, err := s.ListPolicies(ctx, "/", "", false, 10); err != nil || len(ps) != 2 {
		t.Errorf("ListPolicies = %d, %v", len(ps), err)
	}
	arn := "arn:aws:iam::123456789012:policy/ReadOnly"
	wantErr(t, "DeletePolicy attached", s.DeletePolicy(ctx, p.ID, arn), iam.ErrAttached)
	wantErr(t, "DeleteUser with policy", s.DeleteUser(ctx, "alice"), iam.ErrHasPolicies)
	must(t, s.DetachPolicy(ctx, ue, p.ID))
	wantErr(t, "DetachPolicy again", s.DetachPolicy(ctx, ue, p.ID), iam.ErrNotFound)
	must(t, s.SetPermissionsBoundary(ctx, ue, arn))
	wantErr(t, "DeletePolicy used as boundary", s.DeletePolicy(ctx, p.ID, arn), iam.ErrAttached)
	must(t, s.SetPermissionsBoundary(ctx, ue, ""))
	must(t, s.DeletePolicy(ctx, p.ID, arn))
	wantErr(t, "DeletePolicy again", s.DeletePolicy(ctx, p.ID, arn), iam.ErrNotFound)
}

func testPolicyVersions(t *testing.T, s Store) {
	p := mkPolicy(t, s, "ANPA1", "p")
	for i := 2; i <= 5; i++ {
		v, err := s.CreatePolicyVersion(ctx, p.ID, fmt.Sprintf(`{"n":%d}`, i), i == 3, t0.Add(time.Duration(i)*time.Second), 5)
		if err != nil || v.VersionID != fmt.Sprintf("v%d", i) {
			t.Fatalf("CreatePolicyVersion = %+v, %v", v, err)
		}
	}
	_, err := s.CreatePolicyVersion(ctx, p.ID, "{}", false, t0, 5)
	wantErr(t, "sixth version", err, iam.ErrLimit)
	_, err = s.CreatePolicyVersion(ctx, "nope", "{}", false, t0, 5)
	wantErr(t, "version of missing policy", err, iam.ErrNotFound)
	vs, err := s.ListPolicyVersions(ctx, p.ID)
	must(t, err)
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.VersionID)
		if v.IsDefault != (v.VersionID == "v3") {
			t.Errorf("%s IsDefault = %v", v.VersionID, v.IsDefault)
		}
	}
	if want := []string{"v5", "v4", "v3", "v2", "v1"}; !slices.Equal(ids, want) {
		t.Errorf("versions = %q, want %q", ids, want)
	}
	wantErr(t, "delete default version", s.DeletePolicyVersion(ctx, p.ID, "v3"), iam.ErrDefaultVersion)
	must(t, s.DeletePolicyVersion(ctx, p.ID, "v2"))
	wantErr(t, "delete deleted version", s.DeletePolicyVersion(ctx, p.ID, "v2"), iam.ErrNotFound)
	v, err := s.CreatePolicyVersion(ctx, p.ID, "{}", false, t0, 5)
	if err != nil || v.VersionID != "v6" {
		t.Errorf("version after delete = %+v, %v; want v6", v, err)
	}
	must(t, s.SetDefaultPolicyVersion(ctx, p.ID, "v6", t0))
	wantErr(t, "SetDefault missing", s.SetDefaultPolicyVersion(ctx, p.ID, "v2", t0), iam.ErrNotFound)
	got, err := s.PolicyVersion(ctx, p.ID, "v6")
	if err != nil || !got.IsDefault {
		t.Errorf("PolicyVersion(v6) = %+v, %v", got, err)
	}
	wantErr(t, "DeletePolicy with versions", s.DeletePolicy(ctx, p.ID, "arn"), iam.ErrHasVersions)
}

func testConcurrentPolicyVersions(t *testing.T, s Store) {
	p := mkPolicy(t, s, "ANPA1", "p")
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.CreatePolicyVersion(ctx, p.ID, "{}", false, t0, 5)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, iam.ErrLimit):
			t.Errorf("CreatePolicyVersion: %v", err)
		}
	}
	vs, err := s.ListPolicyVersions(ctx, p.ID)
	must(t, err)
	if ok != 4 || len(vs) != 5 {
		t.Errorf("%d concurrent versions created, %d stored; want 4 and 5", ok, len(vs))
	}
}

// testConcurrentDeleteAndAttach races DeleteUser against AttachPolicy,
// PutInlinePolicy and TagEntity on the same user: whatever the order, no
// attachment, inline policy or tag may outlive the user.
func testConcurrentDeleteAndAttach(t *testing.T, s Store) {
	p := mkPolicy(t, s, "ANPA1", "p")
	missing := iam.Entity{Kind: iam.KindUser, ID: "AIDANOPE"}
	wantErr(t, "AttachPolicy to a missing user", s.AttachPolicy(ctx, missing, p.ID), iam.ErrNotFound)
	wantErr(t, "PutInlinePolicy on a missing user", s.PutInlinePolicy(ctx, missing, "x", "{}", 100), iam.ErrNotFound)
	wantErr(t, "TagEntity on a missing user", s.TagEntity(ctx, missing, []iam.Tag{{Key: "k", Value: "v"}}, 10), iam.ErrNotFound)
	deleted := 0
	for i := range 30 {
		u := mkUser(t, s, fmt.Sprintf("AIDA%d", i), fmt.Sprintf("u%d", i))
		e := iam.Entity{Kind: iam.KindUser, ID: u.ID}
		var wg sync.WaitGroup
		var delErr error
		errs := make([]error, 3)
		wg.Add(4)
		go func() { defer wg.Done(); delErr = s.DeleteUser(ctx, u.Name) }()
		go func() { defer wg.Done(); errs[0] = s.AttachPolicy(ctx, e, p.ID) }()
		go func() { defer wg.Done(); errs[1] = s.PutInlinePolicy(ctx, e, "inl", "{}", 100) }()
		go func() { defer wg.Done(); errs[2] = s.TagEntity(ctx, e, []iam.Tag{{Key: "k", Value: "v"}}, 10) }()
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, iam.ErrNotFound) {
				t.Fatalf("round %d: write racing DeleteUser: %v", i, err)
			}
		}
		if delErr != nil {
			if !errors.Is(delErr, iam.ErrHasPolicies) && !errors.Is(delErr, iam.ErrHasInline) {
				t.Fatalf("round %d: DeleteUser: %v", i, delErr)
			}
			continue
		}
		deleted++
		attached, err := s.ListAttachedPolicies(ctx, e)
		must(t, err)
		inline, err := s.ListInlinePolicies(ctx, e)
		must(t, err)
		tags, err := s.Tags(ctx, e)
		must(t, err)
		if len(attached)+len(inline)+len(tags) > 0 {
			t.Fatalf("round %d: user deleted but %d attachments, %d inline policies and %d tags remain", i, len(attached), len(inline), len(tags))
		}
	}
	t.Logf("%d of 30 deletes won the race", deleted)
}

func testInline(t *testing.T, s Store) {
	u := mkUser(t, s, "AIDA1", "alice")
	ue := iam.Entity{Kind: iam.KindUser, ID: u.ID}
	g := &iam.Group{ID: "AGPA1", Name: "devs", Path: "/", Created: t0}
	must(t, s.CreateGroup(ctx, g))
	must(t, s.AddUserToGroup(ctx, g.ID, u.ID))
	ge := iam.Entity{Kind: iam.KindGroup, ID: g.ID}
	must(t, s.PutInlinePolicy(ctx, ue, "own", `{"a": 1}`, 20))
	must(t, s.PutInlinePolicy(ctx, ue, "own", `{"a": 2}`, 20)) // replace
	wantErr(t, "inline over size", s.PutInlinePolicy(ctx, ue, "big", `{"bbbbbbbbbbbbbbbb":1}`, 20), iam.ErrLimit)
	must(t, s.PutInlinePolicy(ctx, ge, "grp", `{"g":1}`, 100))
	p := mkPolicy(t, s, "ANPA1", "managed")
	must(t, s.AttachPolicy(ctx, ge, p.ID))
	if doc, err := s.InlinePolicy(ctx, ue, "own"); err != nil || doc != `{"a": 2}` {
		t.Errorf("InlinePolicy = %q, %v", doc, err)
	}
	_, err := s.InlinePolicy(ctx, ue, "nope")
	wantErr(t, "InlinePolicy(nope)", err, iam.ErrNotFound)
	if ns, err := s.ListInlinePolicies(ctx, ue); err != nil || !slices.Equal(ns, []string{"own"}) {
		t.Errorf("ListInlinePolicies = %q, %v", ns, err)
	}
	ps, err := s.IdentityPolicies(ctx, ue)
	must(t, err)
	var got []string
	for _, p := range ps {
		got = append(got, p.Source+":"+p.Name+":"+p.Document)
	}
	want := []string{
		`user alice (inline):own:{"a": 2}`,
		`group devs (inline):grp:{"g":1}`,
		`group devs (managed):managed:{"Version":"2012-10-17","Statement":[]}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("IdentityPolicies =\n%q\nwant\n%q", got, want)
	}
	wantErr(t, "DeleteInlinePolicy missing", s.DeleteInlinePolicy(ctx, ue, "nope"), iam.ErrNotFound)
}

func testTags(t *testing.T, s Store) {
	u := mkUser(t, s, "AIDA1", "alice")
	ue := iam.Entity{Kind: iam.KindUser, ID: u.ID}
	must(t, s.TagEntity(ctx, ue, []iam.Tag{{Key: "Team", Value: "a"}, {Key: "env", Value: "prod"}}, 3))
	must(t, s.TagEntity(ctx, ue, []iam.Tag{{Key: "TEAM", Value: "b"}}, 3)) // same key, other case: replaces
	tags, err := s.Tags(ctx, ue)
	must(t, err)
	if len(tags) != 2 || tags[0] != (iam.Tag{Key: "env", Value: "prod"}) || tags[1] != (iam.Tag{Key: "TEAM", Value: "b"}) {
		t.Errorf("Tags = %v", tags)
	}
	wantErr(t, "too many tags", s.TagEntity(ctx, ue, []iam.Tag{{Key: "x", Value: ""}, {Key: "y", Value: ""}}, 3), iam.ErrLimit)
	if tags, _ := s.Tags(ctx, ue); len(tags) != 2 {
		t.Errorf("a refused TagEntity changed the tags: %v", tags)
	}
	must(t, s.UntagEntity(ctx, ue, []string{"team"}))
	if tags, _ := s.Tags(ctx, ue); len(tags) != 1 {
		t.Errorf("after untag: %v", tags)
	}
	must(t, s.CreateAccessKey(ctx, &iam.AccessKey{ID: "AKIA1", UserID: u.ID, Status: iam.StatusActive, Created: t0, SealedSecret: []byte{1}}, 2))
	name, at, svc, region, err := s.AccessKeyLastUsed(ctx, "AKIA1")
	if err != nil || name != "alice" || !at.IsZero() || svc != "" || region != "" {
		t.Errorf("AccessKeyLastUsed before use = %q %v %q %q %v", name, at, svc, region, err)
	}
	must(t, s.TouchAccessKey(ctx, "AKIA1", t0, "iam", "us-east-1"))
	name, at, svc, region, err = s.AccessKeyLastUsed(ctx, "AKIA1")
	if err != nil || name != "alice" || !at.Equal(t0) || svc != "iam" || region != "us-east-1" {
		t.Errorf("AccessKeyLastUsed = %q %v %q %q %v", name, at, svc, region, err)
	}
	_, _, _, _, err = s.AccessKeyLastUsed(ctx, "AKIANOPE")
	wantErr(t, "AccessKeyLastUsed(missing)", err, iam.ErrNotFound)
}

func codeSHA(zip []byte) (string, string) {
	sum := sha256.Sum256(zip)
	return hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:])
}

func mkFunction(t *testing.T, s Store, name string) *lambda.Function {
	t.Helper()
	zip := []byte("PK\x03\x04 " + name)
	key, b64 := codeSHA(zip)
	must(t, s.PutCode(ctx, key, zip))
	must(t, s.PutCode(ctx, key, zip)) // idempotent
	f := &lambda.Function{Name: name, Runtime: "python3.12", Role: "arn:aws:iam::123456789012:role/r", Handler: "h",
		Timeout: 3, MemorySize: 128, Architectures: []string{"x86_64"}, CodeSha256: b64, CodeSize: int64(len(zip)),
		LastModified: t0, RevisionID: "rev-1", Version: "$LATEST", Environment: map[string]string{"A": "1"}}
	must(t, s.CreateFunction(ctx, f))
	return f
}

func testFunctions(t *testing.T, s Store) {
	f := mkFunction(t, s, "fn")
	wantErr(t, "CreateFunction again", s.CreateFunction(ctx, f), lambda.ErrExists)
	zip, err := s.Code(ctx, f.CodeKey())
	if err != nil || string(zip) != "PK\x03\x04 fn" {
		t.Errorf("Code = %q, %v", zip, err)
	}
	_, err = s.Code(ctx, "00")
	wantErr(t, "Code(missing)", err, lambda.ErrNotFound)
	got, err := s.Function(ctx, "fn")
	if err != nil || got.RevisionID != "rev-1" || got.Environment["A"] != "1" || !got.LastModified.Equal(t0) {
		t.Fatalf("Function = %+v, %v", got, err)
	}
	f.RevisionID, f.Timeout = "rev-2", 10
	wantErr(t, "UpdateFunction stale revision", s.UpdateFunction(ctx, f, "rev-0"), lambda.ErrNotFound)
	must(t, s.UpdateFunction(ctx, f, "rev-1"))
	if got, _ := s.Function(ctx, "fn"); got.Timeout != 10 || got.RevisionID != "rev-2" {
		t.Errorf("after update: %+v", got)
	}
	mkFunction(t, s, "alpha")
	mkFunction(t, s, "zeta")
	fs, err := s.ListFunctions(ctx, "alpha", 10)
	must(t, err)
	if len(fs) != 2 || fs[0].Name != "fn" || fs[1].Name != "zeta" {
		t.Errorf("ListFunctions after alpha = %d", len(fs))
	}
	// Resource-based policy with revision checks.
	_, _, err = s.FunctionPolicy(ctx, "fn", "")
	wantErr(t, "FunctionPolicy empty", err, lambda.ErrNotFound)
	must(t, s.PutFunctionPolicy(ctx, "fn", "", `{"p":1}`, "r1", ""))
	wantErr(t, "PutFunctionPolicy stale", s.PutFunctionPolicy(ctx, "fn", "", `{"p":2}`, "r2", "r0"), lambda.ErrNotFound)
	must(t, s.PutFunctionPolicy(ctx, "fn", "", `{"p":2}`, "r2", "r1"))
	if doc, rev, err := s.FunctionPolicy(ctx, "fn", ""); err != nil || doc != `{"p":2}` || rev != "r2" {
		t.Errorf("FunctionPolicy = %q %q %v", doc, rev, err)
	}
	must(t, s.PutFunctionPolicy(ctx, "fn", "", "", "", "r2"))
	_, _, err = s.FunctionPolicy(ctx, "fn", "")
	wantErr(t, "FunctionPolicy after removal", err, lambda.ErrNotFound)
	must(t, s.DeleteFunction(ctx, "fn"))
	wantErr(t, "DeleteFunction again", s.DeleteFunction(ctx, "fn"), lambda.ErrNotFound)
}

func testVersions(t *testing.T, s Store) {
	f := mkFunction(t, s, "fn")
	for i := 1; i <= 2; i++ {
		v, err := s.PublishVersion(ctx, f)
		if err != nil || v.Version != fmt.Sprint(i) {
			t.Fatalf("PublishVersion = %+v, %v", v, err)
		}
	}
	if v, err := s.Version(ctx, "fn", 2); err != nil || v.Version != "2" {
		t.Errorf("Version(2) = %+v, %v", v, err)
	}
	if vs, err := s.ListVersions(ctx, "fn"); err != nil || len(vs) != 2 || vs[0].Version != "1" {
		t.Errorf("ListVersions = %v, %v", vs, err)
	}
	a := &lambda.Alias{FunctionName: "fn", Name: "live", FunctionVersion: "1", RevisionID: "a1"}
	must(t, s.CreateAlias(ctx, a))
	wantErr(t, "CreateAlias again", s.CreateAlias(ctx, a), lambda.ErrExists)
	a.FunctionVersion = "2"
	must(t, s.UpdateAlias(ctx, a))
	if got, err := s.Alias(ctx, "fn", "live"); err != nil || got.FunctionVersion != "2" {
		t.Errorf("Alias = %+v, %v", got, err)
	}
	if as, err := s.ListAliases(ctx, "fn"); err != nil || len(as) != 1 {
		t.Errorf("ListAliases = %v, %v", as, err)
	}
	u := &lambda.URLConfig{ID: "abcdefghijklmnopqrstuvwxyz012345", FunctionName: "fn", Qualifier: "live", AuthType: "AWS_IAM", Created: t0, Modified: t0}
	must(t, s.CreateURL(ctx, u))
	wantErr(t, "CreateURL again", s.CreateURL(ctx, &lambda.URLConfig{ID: "other", FunctionName: "fn", Qualifier: "live"}), lambda.ErrExists)
	u.AuthType = "NONE"
	must(t, s.UpdateURL(ctx, u))
	if got, err := s.URLByID(ctx, u.ID); err != nil || got.AuthType != "NONE" || got.Qualifier != "live" {
		t.Errorf("URLByID = %+v, %v", got, err)
	}
	u2 := &lambda.URLConfig{ID: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", FunctionName: "fn", AuthType: "AWS_IAM", Created: t0, Modified: t0}
	must(t, s.CreateURL(ctx, u2))
	if us, err := s.ListURLs(ctx, "fn"); err != nil || len(us) != 2 || us[0].Qualifier != "" {
		t.Errorf("ListURLs = %v, %v", us, err)
	}
	must(t, s.PutFunctionPolicy(ctx, "fn", "live", "{}", "r1", ""))
	must(t, s.DeleteAlias(ctx, "fn", "live"))
	_, err := s.URL(ctx, "fn", "live")
	wantErr(t, "URL of deleted alias", err, lambda.ErrNotFound)
	_, _, err = s.FunctionPolicy(ctx, "fn", "live")
	wantErr(t, "policy of deleted alias", err, lambda.ErrNotFound)
	wantErr(t, "DeleteAlias again", s.DeleteAlias(ctx, "fn", "live"), lambda.ErrNotFound)
	must(t, s.DeleteURL(ctx, "fn", ""))
	wantErr(t, "DeleteURL again", s.DeleteURL(ctx, "fn", ""), lambda.ErrNotFound)
	must(t, s.DeleteFunction(ctx, "fn"))
	_, err = s.Version(ctx, "fn", 1)
	wantErr(t, "Version of deleted function", err, lambda.ErrNotFound)
}

func testAudit(t *testing.T, s Store) {
	evs := []audit.Event{
		{Time: t0, RequestID: "r1", SourceIP: "127.0.0.1", PrincipalARN: "arn:aws:iam::123456789012:user/alice", Service: "iam",
			Action: "iam:GetUser", Decision: "allow", Status: 200, LatencyMS: 1.25},
		{Time: t0.Add(time.Second), RequestID: "r2", PrincipalARN: "arn:aws:iam::123456789012:user/bob", Service: "lambda",
			Resource: "arn:aws:lambda:us-east-1:123456789012:function:fn", Decision: "explicit_deny", ErrorCode: "AccessDenied", Status: 403, LatencyMS: 0.5},
		{Time: t0.Add(2 * time.Second), RequestID: "r3", Service: "sts", Decision: "authentication_failed", Status: 403},
	}
	must(t, s.InsertAuditEvents(ctx, evs))
	all, err := s.AuditEvents(ctx, audit.Filter{})
	must(t, err)
	if len(all) != 3 || all[0].RequestID != "r1" || all[0].LatencyMS != 1.25 || !all[1].Time.Equal(t0.Add(time.Second)) || all[0].ID >= all[1].ID {
		t.Fatalf("AuditEvents = %+v", all)
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want []string
	}{
		{"after", audit.Filter{AfterID: all[0].ID}, []string{"r2", "r3"}},
		{"request", audit.Filter{RequestID: "r2"}, []string{"r2"}},
		{"denied", audit.Filter{Denied: true}, []string{"r2", "r3"}},
		{"principal", audit.Filter{Principal: "user/ali"}, []string{"r1"}},
		{"function", audit.Filter{Function: "fn"}, []string{"r2"}},
		{"limit", audit.Filter{Limit: 1}, []string{"r1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := s.AuditEvents(ctx, tc.f)
			must(t, err)
			var got []string
			for _, e := range evs {
				got = append(got, e.RequestID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	n, err := s.DeleteAuditEventsBefore(ctx, t0.Add(time.Second))
	if err != nil || n != 1 {
		t.Errorf("DeleteAuditEventsBefore = %d, %v; want 1", n, err)
	}

	// A batch larger than one INSERT statement's rows: every event
	// stored once, in order, with its own values.
	var big []audit.Event
	for i := range 77 {
		big = append(big, audit.Event{Time: t0.Add(time.Hour + time.Duration(i)*time.Millisecond), RequestID: fmt.Sprintf("big-%02d", i),
			SourceIP: fmt.Sprintf("192.0.2.%d", i), Service: "lambda", Decision: "allow", Status: 200 + i, LatencyMS: float64(i) / 4})
	}
	must(t, s.InsertAuditEvents(ctx, big))
	got, err := s.AuditEvents(ctx, audit.Filter{AfterID: all[2].ID, Limit: 1000})
	must(t, err)
	if len(got) != len(big) {
		t.Fatalf("%d events read back, want %d", len(got), len(big))
	}
	for i, e := range got {
		w := big[i]
		if e.RequestID != w.RequestID || e.SourceIP != w.SourceIP || e.Status != w.Status || e.LatencyMS != w.LatencyMS || !e.Time.Equal(w.Time) {
			t.Fatalf("event %d = %+v, want %+v", i, e, w)
		}
	}
}
