package iam_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fnurl/fnurl/internal/iam"
)

// noErr fails t at once on err.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// countingStore counts the store reads of a signed request.
type countingStore struct {
	iam.Store
	reads atomic.Int64
}

func (s *countingStore) AccessKey(ctx context.Context, id string) (*iam.AccessKey, error) {
	s.reads.Add(1)
	return s.Store.AccessKey(ctx, id)
}

func (s *countingStore) UserByID(ctx context.Context, id string) (*iam.User, error) {
	s.reads.Add(1)
	return s.Store.UserByID(ctx, id)
}

func (s *countingStore) IdentityPolicies(ctx context.Context, e iam.Entity) ([]iam.StoredPolicy, error) {
	s.reads.Add(1)
	return s.Store.IdentityPolicies(ctx, e)
}

func (s *countingStore) Tags(ctx context.Context, e iam.Entity) ([]iam.Tag, error) {
	s.reads.Add(1)
	return s.Store.Tags(ctx, e)
}

func (s *countingStore) Policy(ctx context.Context, name string) (*iam.ManagedPolicy, error) {
	s.reads.Add(1)
	return s.Store.Policy(ctx, name)
}

func (s *countingStore) PolicyVersion(ctx context.Context, policyID, versionID string) (*iam.PolicyVersion, error) {
	s.reads.Add(1)
	return s.Store.PolicyVersion(ctx, policyID, versionID)
}

func newCachedIAM(t *testing.T) (*iam.Service, *countingStore) {
	t.Helper()
	cs := &countingStore{Store: openStore(t, t.TempDir())}
	s, _, err := iam.Open(context.Background(), cs, mustKeyring(t, 3), iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.CacheReads()
	return s, cs
}

const allowInvoke = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"*"}]}`

// what reads everything a signed request of the key reads: the credential,
// the identity policies, the boundary and the tags, as a string to compare.
func what(t *testing.T, s *iam.Service, keyID string) string {
	t.Helper()
	ctx := context.Background()
	_, p, err := s.Credential(ctx, keyID)
	if err != nil {
		return "credential: " + err.Error()
	}
	var b strings.Builder
	ps, err := s.IdentityPolicies(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range ps {
		b.WriteString(sp.Source + " " + sp.Name + " " + sp.Document + "\n")
	}
	bd, err := s.Boundary(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if bd != nil {
		b.WriteString("boundary " + bd.Document + "\n")
	}
	tags, err := s.PrincipalTags(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		b.WriteString("tag " + tg.Key + "=" + tg.Value + "\n")
	}
	return b.String()
}

func TestCacheReadsNothingWhenWarm(t *testing.T) {
	s, cs := newCachedIAM(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "alice", "/"); err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAccessKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePolicy(ctx, "invoke", "/", "", allowInvoke)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachPolicy(ctx, iam.KindUser, "alice", p.ARN(s.AccountID())); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPermissionsBoundary(ctx, iam.KindUser, "alice", p.ARN(s.AccountID())); err != nil {
		t.Fatal(err)
	}
	first := what(t, s, k.ID)
	before := cs.reads.Load()
	for range 3 {
		if got := what(t, s, k.ID); got != first {
			t.Fatalf("cached read = %q, want %q", got, first)
		}
	}
	if n := cs.reads.Load() - before; n != 0 {
		t.Errorf("warm reads went to the store %d times, want 0", n)
	}
	// What a caller does to a result does not reach the cache.
	ps, _ := s.EntityPolicies(ctx, iam.Entity{Kind: iam.KindUser, ID: k.UserID})
	ps[0].Document = "changed"
	if got := what(t, s, k.ID); got != first {
		t.Errorf("a caller's change reached the cache: %q", got)
	}
}

// TestCacheSeesEveryWrite changes, through the Service, each thing a
// signed request reads, and checks that the next read sees the change.
func TestCacheSeesEveryWrite(t *testing.T) {
	s, _ := newCachedIAM(t)
	ctx := context.Background()
	acct := s.AccountID()
	_, err := s.CreateUser(ctx, "alice", "/")
	noErr(t, err)
	k, err := s.CreateAccessKey(ctx, "alice")
	noErr(t, err)
	pol, err := s.CreatePolicy(ctx, "invoke", "/", "", allowInvoke)
	noErr(t, err)
	arn := pol.ARN(acct)

	state := what(t, s, k.ID)
	step := func(name string, change func() error, check func(got string) bool) {
		t.Helper()
		noErr(t, change())
		got := what(t, s, k.ID)
		if got == state || !check(got) {
			t.Errorf("%s: read after the write = %q (before: %q)", name, got, state)
		}
		state = got
	}
	has := func(s string) func(string) bool { return func(got string) bool { return strings.Contains(got, s) } }
	not := func(s string) func(string) bool { return func(got string) bool { return !strings.Contains(got, s) } }

	step("attach", func() error { return s.AttachPolicy(ctx, iam.KindUser, "alice", arn) }, has("lambda:InvokeFunctionUrl"))
	step("new default version", func() error {
		_, err := s.CreatePolicyVersion(ctx, arn, strings.Replace(allowInvoke, "InvokeFunctionUrl", "GetFunction", 1), true)
		return err
	}, has("lambda:GetFunction"))
	step("detach", func() error { return s.DetachPolicy(ctx, iam.KindUser, "alice", arn) }, not("user alice (managed)"))
	step("inline", func() error { return s.PutInlinePolicy(ctx, iam.KindUser, "alice", "inl", allowInvoke) }, has("inl"))
	step("delete inline", func() error { return s.DeleteInlinePolicy(ctx, iam.KindUser, "alice", "inl") }, not("inl"))
	_, err = s.CreateGroup(ctx, "devs", "/")
	noErr(t, err)
	noErr(t, s.PutInlinePolicy(ctx, iam.KindGroup, "devs", "grp", allowInvoke))
	step("join group", func() error { return s.AddUserToGroup(ctx, "devs", "alice") }, has("grp"))
	step("leave group", func() error { return s.RemoveUserFromGroup(ctx, "devs", "alice") }, not("grp"))
	step("boundary", func() error { return s.PutPermissionsBoundary(ctx, iam.KindUser, "alice", arn) }, has("boundary"))
	step("boundary version", func() error { return s.SetDefaultPolicyVersion(ctx, arn, "v1") }, has("boundary "+allowInvoke))
	step("no boundary", func() error { return s.DeletePermissionsBoundary(ctx, iam.KindUser, "alice") }, not("boundary"))
	step("tag", func() error { return s.TagEntity(ctx, iam.KindUser, "alice", []iam.Tag{{Key: "team", Value: "a"}}) }, has("tag team=a"))
	step("untag", func() error { return s.UntagEntity(ctx, iam.KindUser, "alice", []string{"team"}) }, not("tag team"))
	step("deactivate key", func() error { return s.UpdateAccessKey(ctx, "alice", k.ID, iam.StatusInactive) }, has("credential:"))
	step("activate key", func() error { return s.UpdateAccessKey(ctx, "alice", k.ID, iam.StatusActive) }, not("credential:"))
	step("delete key", func() error { return s.DeleteAccessKey(ctx, "alice", k.ID) }, has("credential:"))
}

// TestCacheRoleSession checks a role's reads: its policies and boundary
// through a role session principal, and a trust policy change.
func TestCacheRoleSession(t *testing.T) {
	s, _ := newCachedIAM(t)
	ctx := context.Background()
	r, err := s.CreateRole(ctx, "worker", "/", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, 3600)
	if err != nil {
		t.Fatal(err)
	}
	p := &iam.Principal{Type: iam.PrincipalAssumedRole, Account: s.AccountID(), RoleID: r.ID}
	policies := func() []string {
		ps, err := s.IdentityPolicies(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, sp := range ps {
			names = append(names, sp.Name)
		}
		return names
	}
	if got := policies(); len(got) != 0 {
		t.Fatalf("policies of a new role = %v", got)
	}
	if err := s.PutInlinePolicy(ctx, iam.KindRole, "worker", "run", allowInvoke); err != nil {
		t.Fatal(err)
	}
	if got := policies(); !slices.Equal(got, []string{"run"}) {
		t.Errorf("policies after PutRolePolicy = %v, want [run]", got)
	}
	ok, err := s.LambdaCanAssume(ctx, r.ARN(s.AccountID()))
	if err != nil || !ok {
		t.Fatalf("LambdaCanAssume = %v, %v", ok, err)
	}
	if err := s.UpdateAssumeRolePolicy(ctx, "worker", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.LambdaCanAssume(ctx, r.ARN(s.AccountID())); ok {
		t.Error("LambdaCanAssume still true after the trust policy denies it")
	}
	if err := s.DeleteInlinePolicy(ctx, iam.KindRole, "worker", "run"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, "worker"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RoleByID(ctx, r.ID); err == nil {
		t.Error("RoleByID found a deleted role")
	}
}

// blockingStore holds one IdentityPolicies read, after it has read the
// store, until released.
type blockingStore struct {
	iam.Store
	block, held chan struct{}
	reads       atomic.Int64
}

func (s *blockingStore) IdentityPolicies(ctx context.Context, e iam.Entity) ([]iam.StoredPolicy, error) {
	s.reads.Add(1)
	ps, err := s.Store.IdentityPolicies(ctx, e)
	if s.block != nil {
		block := s.block
		s.block = nil
		close(s.held)
		<-block
	}
	return ps, err
}

// TestCacheReadRacingWrite checks that a read that raced a write is not
// kept: the result it read may be older than the write.
func TestCacheReadRacingWrite(t *testing.T) {
	ctx := context.Background()
	bs := &blockingStore{Store: openStore(t, t.TempDir())}
	s, _, err := iam.Open(ctx, bs, mustKeyring(t, 4), iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.CacheReads()
	u, err := s.CreateUser(ctx, "bob", "/")
	if err != nil {
		t.Fatal(err)
	}
	e := iam.Entity{Kind: iam.KindUser, ID: u.ID}
	bs.block, bs.held = make(chan struct{}), make(chan struct{})
	release := bs.block
	done := make(chan []iam.StoredPolicy)
	go func() {
		ps, _ := s.EntityPolicies(ctx, e)
		done <- ps
	}()
	<-bs.held // the read has the old policies
	if err := s.PutInlinePolicy(ctx, iam.KindUser, "bob", "p", allowInvoke); err != nil {
		t.Fatal(err)
	}
	close(release)
	if old := <-done; len(old) != 0 {
		t.Fatalf("the racing read saw %d policies, want the old 0", len(old))
	}
	ps, err := s.EntityPolicies(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 {
		t.Errorf("read after the write = %d policies, want 1: the racing read's result was cached", len(ps))
	}
}

func (s *countingStore) User(ctx context.Context, name string) (*iam.User, error) {
	s.reads.Add(1)
	return s.Store.User(ctx, name)
}

func (s *countingStore) Role(ctx context.Context, name string) (*iam.Role, error) {
	s.reads.Add(1)
	return s.Store.Role(ctx, name)
}

// TestCacheByName checks users and roles read by name (IAM's GetUser and
// GetRole, STS's AssumeRole): warm reads stay in memory, unknown names are
// not kept, and every write through the Service is seen by the next read.
func TestCacheByName(t *testing.T) {
	s, cs := newCachedIAM(t)
	ctx := context.Background()
	_, err := s.CreateUser(ctx, "alice", "/")
	noErr(t, err)
	_, err = s.CreateRole(ctx, "worker", "/", "first", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, 3600)
	noErr(t, err)
	read := func() string {
		t.Helper()
		u, err := s.User(ctx, "alice")
		if err != nil {
			return "user: " + err.Error()
		}
		r, err := s.Role(ctx, "worker")
		if err != nil {
			return "role: " + err.Error()
		}
		return u.Path + " " + u.PermissionsBoundary + " | " + r.Description + " " + r.TrustPolicy
	}
	first := read()
	before := cs.reads.Load()
	for range 3 {
		if got := read(); got != first {
			t.Fatalf("cached read = %q, want %q", got, first)
		}
	}
	if n := cs.reads.Load() - before; n != 0 {
		t.Errorf("warm reads by name went to the store %d times, want 0", n)
	}
	// Not found is not kept: a user created next is found.
	if _, err := s.User(ctx, "bob"); err == nil {
		t.Fatal("found bob before creating him")
	}
	_, err = s.CreateUser(ctx, "bob", "/")
	noErr(t, err)
	if _, err := s.User(ctx, "bob"); err != nil {
		t.Errorf("bob after CreateUser: %v", err)
	}

	pol, err := s.CreatePolicy(ctx, "limit", "/", "", allowInvoke)
	noErr(t, err)
	state := read()
	for _, w := range []struct {
		name  string
		write func() error
		want  string
	}{
		{"user boundary", func() error { return s.PutPermissionsBoundary(ctx, iam.KindUser, "alice", pol.ARN(s.AccountID())) }, ":policy/limit"},
		{"role description", func() error { d := "second"; return s.UpdateRole(ctx, "worker", &d, nil) }, "| second"},
		{"trust policy", func() error {
			return s.UpdateAssumeRolePolicy(ctx, "worker", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`)
		}, `"Effect":"Deny"`},
		{"user deleted", func() error {
			if err := s.DeletePermissionsBoundary(ctx, iam.KindUser, "alice"); err != nil {
				return err
			}
			return s.DeleteUser(ctx, "alice")
		}, "user: "},
	} {
		noErr(t, w.write())
		got := read()
		if got == state || !strings.Contains(got, w.want) {
			t.Errorf("%s: read after the write = %q (before: %q)", w.name, got, state)
		}
		state = got
	}
}
