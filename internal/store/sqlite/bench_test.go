package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// BenchmarkInsertAuditEvents writes batches of 256 audit events, as the
// audit trail's writer does, into a table that already holds 100,000: the
// cost per event depends on how the request IDs fall in their index.
func BenchmarkInsertAuditEvents(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	batch := func() []audit.Event {
		evs := make([]audit.Event, 256)
		for i := range evs {
			evs[i] = audit.Event{Time: time.Now(), RequestID: awsproto.NewRequestID(), SourceIP: "127.0.0.1",
				UserAgent: "aws-sdk-go-v2/1.0", PrincipalARN: "arn:aws:iam::123456789012:user/bench", AccessKeyID: "AKIAXXXXXXXXXXXXXXXX",
				CredentialType: "user", Service: "sts", Action: "sts:GetCallerIdentity", Decision: audit.Allowed, Status: 200, LatencyMS: 0.2}
		}
		return evs
	}
	for range 100_000 / 256 {
		if err := db.InsertAuditEvents(ctx, batch()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.InsertAuditEvents(ctx, batch()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256)/1000, "µs/event")
}
