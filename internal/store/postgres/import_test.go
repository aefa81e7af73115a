package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/store/postgres"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

func TestImport(t *testing.T) {
	ctx := context.Background()
	t0 := time.UnixMilli(1700000000123).UTC()
	src, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fnurl.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(func() error { _, err := src.InitSetting(ctx, "account_id", "123456789012"); return err }())
	must(func() error { _, err := src.InitSetting(ctx, "check", "\xab\x00\xff"); return err }())
	must(src.ReplaceRootAccessKey(ctx, &iam.AccessKey{ID: "AKIAROOT", Root: true, Status: iam.StatusActive, Created: t0, SealedSecret: []byte{0, 0xff}}))
	must(src.CreateUser(ctx, &iam.User{ID: "AIDA1", Name: "Alice", Path: "/", Created: t0}))
	must(src.CreateAccessKey(ctx, &iam.AccessKey{ID: "AKIA1", UserID: "AIDA1", Status: iam.StatusActive, Created: t0, SealedSecret: []byte("s")}, 2))
	must(src.TouchAccessKey(ctx, "AKIA1", t0, "iam", "us-east-1"))
	must(src.CreatePolicy(ctx, &iam.ManagedPolicy{ID: "ANPA1", Name: "p", Path: "/", Created: t0, Updated: t0}, `{"v":1}`))
	if _, err := src.CreatePolicyVersion(ctx, "ANPA1", `{"v":2}`, true, t0, 5); err != nil {
		t.Fatal(err)
	}
	must(src.CreateGroup(ctx, &iam.Group{ID: "AGPA1", Name: "g", Path: "/", Created: t0}))
	must(src.AddUserToGroup(ctx, "AGPA1", "AIDA1"))
	must(src.AttachPolicy(ctx, iam.Entity{Kind: iam.KindGroup, ID: "AGPA1"}, "ANPA1"))
	must(src.PutInlinePolicy(ctx, iam.Entity{Kind: iam.KindUser, ID: "AIDA1"}, "inl", `{"i":1}`, 2048))
	must(src.TagEntity(ctx, iam.Entity{Kind: iam.KindUser, ID: "AIDA1"}, []iam.Tag{{Key: "Team", Value: "x"}}, 50))
	must(src.CreateRole(ctx, &iam.Role{ID: "AROA1", Name: "r", Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600, Created: t0}))
	must(src.PutCode(ctx, "abcd", []byte{1, 2, 3, 0}))
	f := &lambda.Function{Name: "fn", Runtime: "python3.12", CodeSha256: "q80=", LastModified: t0, RevisionID: "r1", Version: "$LATEST"}
	must(src.CreateFunction(ctx, f))
	if _, err := src.PublishVersion(ctx, f); err != nil {
		t.Fatal(err)
	}
	must(src.CreateAlias(ctx, &lambda.Alias{FunctionName: "fn", Name: "live", FunctionVersion: "1", RevisionID: "a"}))
	must(src.PutFunctionPolicy(ctx, "fn", "", "{}", "pr1", ""))
	must(src.CreateURL(ctx, &lambda.URLConfig{ID: "u1", FunctionName: "fn", AuthType: "AWS_IAM", Created: t0, Modified: t0}))
	must(src.InsertAuditEvents(ctx, []audit.Event{{Time: t0, RequestID: "r1", Status: 200, LatencyMS: 1.5}, {Time: t0, RequestID: "r2", Status: 403}}))

	dst := open(t)
	counts, err := dst.Import(ctx, src.SQL())
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range postgres.Tables {
		if counts[table] == 0 {
			t.Errorf("table %s: no rows copied; the test data should cover every table", table)
		}
	}
	// Everything reads back through the PostgreSQL store.
	if u, err := dst.User(ctx, "alice"); err != nil || u.ID != "AIDA1" || !u.Created.Equal(t0) {
		t.Errorf("User = %+v, %v", u, err)
	}
	if v, err := dst.Setting(ctx, "check"); err != nil || v != "\xab\x00\xff" {
		t.Errorf("binary setting after import = %q, %v", v, err)
	}
	if k, err := dst.RootAccessKey(ctx); err != nil || string(k.SealedSecret) != "\x00\xff" {
		t.Errorf("RootAccessKey = %+v, %v", k, err)
	}
	if _, at, svc, _, err := dst.AccessKeyLastUsed(ctx, "AKIA1"); err != nil || !at.Equal(t0) || svc != "iam" {
		t.Errorf("AccessKeyLastUsed = %v %q %v", at, svc, err)
	}
	ps, err := dst.IdentityPolicies(ctx, iam.Entity{Kind: iam.KindUser, ID: "AIDA1"})
	if err != nil || len(ps) != 2 || ps[1].Document != `{"v":2}` {
		t.Errorf("IdentityPolicies = %+v, %v", ps, err)
	}
	if code, err := dst.Code(ctx, "abcd"); err != nil || string(code) != "\x01\x02\x03\x00" {
		t.Errorf("Code = %q, %v", code, err)
	}
	f.RevisionID = "r2"
	if err := dst.UpdateFunction(ctx, f, "r1"); err != nil {
		t.Errorf("UpdateFunction after import: %v", err)
	}
	must(dst.InsertAuditEvents(ctx, []audit.Event{{Time: t0, RequestID: "r3", Status: 200}}))
	evs, err := dst.AuditEvents(ctx, audit.Filter{})
	if err != nil || len(evs) != 3 || evs[2].RequestID != "r3" || evs[2].ID <= evs[1].ID || evs[0].LatencyMS != 1.5 {
		t.Errorf("AuditEvents after import = %+v, %v", evs, err)
	}
	if _, err := dst.Import(ctx, src.SQL()); !errors.Is(err, postgres.ErrNotEmpty) {
		t.Errorf("second Import: %v, want ErrNotEmpty", err)
	}
}

// TestImportAllOrNothing makes the copy fail halfway (PostgreSQL text
// cannot hold a NUL byte, SQLite's can) and checks that nothing was copied.
func TestImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fnurl.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.InitSetting(ctx, "account_id", "123456789012"); err != nil {
		t.Fatal(err)
	}
	t0 := time.UnixMilli(1700000000123).UTC()
	if err := src.CreateUser(ctx, &iam.User{ID: "AIDA1", Name: "ok", Path: "/", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := src.CreateRole(ctx, &iam.Role{ID: "AROA1", Name: "r", Path: "/", TrustPolicy: "{\x00}", MaxSessionDuration: 3600, Created: t0}); err != nil {
		t.Fatal(err)
	}
	dst := open(t)
	if _, err := dst.Import(ctx, src.SQL()); err == nil {
		t.Fatal("Import of a NUL byte succeeded")
	}
	if _, err := dst.Setting(ctx, "account_id"); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("after a failed import, settings has a row: %v", err)
	}
	if _, err := dst.User(ctx, "ok"); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("after a failed import, users has a row: %v", err)
	}
	// The database is still empty, so a corrected source imports.
	if _, err := src.SQL().ExecContext(ctx, `DELETE FROM roles`); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Import(ctx, src.SQL()); err != nil {
		t.Fatalf("Import after the failed one: %v", err)
	}
}
