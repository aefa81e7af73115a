package awsproto

import (
	"context"
	"log/slog"

	"github.com/fnurl/fnurl/internal/awserr"
)

// LogInternal logs an internal failure once, with its request ID and cause.
func LogInternal(ctx context.Context, e *awserr.Error) {
	slog.ErrorContext(ctx, "internal error", "request_id", RequestID(ctx), "code", e.Code, "err", e.Err)
}
