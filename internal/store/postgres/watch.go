package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel on which every committed change to the
// tables servers keep in memory is announced (migration 0002).
const changesChannel = "fnurl_changes"

// Watcher is told what WatchChanges learns.
type Watcher struct {
	// Changed is called for each change another transaction committed
	// (this node's included) once it is listening.
	Changed func()
	// Listening is called with true once changes are heard (again), and
	// with false as soon as they may not be: until the next true, a change
	// could go unannounced, so nothing read may be kept.
	Listening func(bool)
	// Logger receives connection losses; nil means slog.Default().
	Logger *slog.Logger
}

// WatchChanges listens on a connection of its own for the changes that
// every node sharing the database commits, and reports them to w until ctx
// is done. It reconnects after a failure, waiting up to maxRetryWait
// between attempts. Listening(false) is called before it returns.
//
// A change is heard a few milliseconds after its commit: a node that keeps
// reads in memory serves what it read before for that long, as AWS's IAM
// also takes a while to apply a change everywhere.
func (db *DB) WatchChanges(ctx context.Context, w Watcher) {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	defer w.Listening(false)
	wait := minRetryWait
	for ctx.Err() == nil {
		heard, err := db.listen(ctx, w)
		if ctx.Err() != nil {
			return
		}
		w.Listening(false)
		if heard {
			wait = minRetryWait
		}
		log.Warn("postgres: not hearing other nodes' changes; reads are not kept in memory until it reconnects",
			"err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetryWait)
	}
}

const (
	minRetryWait = 100 * time.Millisecond
	maxRetryWait = 5 * time.Second
)

// listen connects, listens and reports changes until the connection fails
// or ctx is done. heard is true once it was listening.
func (db *DB) listen(ctx context.Context, w Watcher) (heard bool, err error) {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err) // as Open reports it: pgx leaves the password out
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return false, err
	}
	// Anything may have changed while nobody listened.
	w.Listening(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		w.Changed()
	}
}
