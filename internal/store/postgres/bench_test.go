package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/store/sqlite"
	"github.com/fnurl/fnurl/internal/store/storetest"
)

// BenchmarkStore compares the embedded SQLite store and the PostgreSQL
// store in one run: IAM reads on the request path (GetUser, the access key
// lookup, the policies of a user) and IAM writes (CreateUser), serial and
// from parallel goroutines, and the audit writer's batches of 256 events
// (the events' making included). The PostgreSQL test server runs with fsync off
// unless FNURL_TEST_PG_DURABLE=1; SQLite always runs with synchronous=FULL.
func BenchmarkStore(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) storetest.Store
	}{
		{"sqlite", func(b *testing.B) storetest.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "fnurl.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", func(b *testing.B) storetest.Store { return open(b) }},
	}
	ctx := context.Background()
	t0 := time.Now()
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			// A user in a group, with a key, an inline policy and managed
			// policies on the user and the group.
			if err := s.CreateUser(ctx, &iam.User{ID: "AIDAB", Name: "bench", Path: "/", Created: t0}); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateAccessKey(ctx, &iam.AccessKey{ID: "AKIAB", UserID: "AIDAB", Status: iam.StatusActive, Created: t0, SealedSecret: make([]byte, 60)}, 2); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateGroup(ctx, &iam.Group{ID: "AGPAB", Name: "g", Path: "/", Created: t0}); err != nil {
				b.Fatal(err)
			}
			if err := s.AddUserToGroup(ctx, "AGPAB", "AIDAB"); err != nil {
				b.Fatal(err)
			}
			for i, e := range []iam.Entity{{Kind: iam.KindUser, ID: "AIDAB"}, {Kind: iam.KindGroup, ID: "AGPAB"}} {
				id := fmt.Sprintf("ANPA%d", i)
				if err := s.CreatePolicy(ctx, &iam.ManagedPolicy{ID: id, Name: id, Path: "/", Created: t0, Updated: t0}, `{"Version":"2012-10-17","Statement":[]}`); err != nil {
					b.Fatal(err)
				}
				if err := s.AttachPolicy(ctx, e, id); err != nil {
					b.Fatal(err)
				}
				if err := s.PutInlinePolicy(ctx, e, "inline", `{"Version":"2012-10-17","Statement":[]}`, 10240); err != nil {
					b.Fatal(err)
				}
			}
			read := func(name string, op func() error) {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						if err := op(); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(name+"Parallel", func(b *testing.B) {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := op(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
			read("GetUser", func() error { _, err := s.User(ctx, "bench"); return err })
			read("AccessKey", func() error { _, err := s.AccessKey(ctx, "AKIAB"); return err })
			read("IdentityPolicies", func() error {
				ps, err := s.IdentityPolicies(ctx, iam.Entity{Kind: iam.KindUser, ID: "AIDAB"})
				if err == nil && len(ps) != 4 {
					err = fmt.Errorf("%d policies, want 4", len(ps))
				}
				return err
			})
			var seq atomic.Int64
			create := func() error {
				n := seq.Add(1)
				return s.CreateUser(ctx, &iam.User{ID: fmt.Sprintf("AIDAW%d", n), Name: fmt.Sprintf("w%d", n), Path: "/", Created: t0})
			}
			read("CreateUser", create)
			// The audit writer's batches: 256 events per op.
			b.Run("InsertAuditEvents", func(b *testing.B) {
				evs := make([]audit.Event, 256)
				for b.Loop() {
					for i := range evs {
						evs[i] = audit.Event{Time: time.Now(), RequestID: awsproto.NewRequestID(), SourceIP: "127.0.0.1",
							UserAgent: "aws-sdk-go-v2/1.0", PrincipalARN: "arn:aws:iam::123456789012:user/bench", AccessKeyID: "AKIAB",
							CredentialType: "user", Service: "lambda", Action: "lambda:InvokeFunctionUrl", Decision: audit.Allowed, Status: 200}
					}
					if err := s.InsertAuditEvents(ctx, evs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs))/1000, "µs/event")
			})
		})
	}
}
