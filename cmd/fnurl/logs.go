package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/fnurl/fnurl/internal/auditapi"
	"github.com/fnurl/fnurl/internal/awsclient"
)

// fetchLogs reads a function's log lines since a time.
func fetchLogs(ctx context.Context, s *awsclient.Settings, endpoint, function string, since time.Time) ([]auditapi.LogLine, error) {
	var out struct{ Events []auditapi.LogLine }
	err := operatorGet(ctx, s, endpoint, "/_fnurl/logs", url.Values{"function": {function}, "since": {since.UTC().Format(time.RFC3339Nano)}}, &out)
	return out.Events, err
}

// runLogs prints a function's logs: the START, END and REPORT lines of
// each invocation and everything the function wrote.
func runLogs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ac serverClient
	ac.register(fs)
	follow := fs.Bool("follow", false, "keep printing new lines as the function writes them")
	sinceFlag := fs.Duration("since", time.Hour, "print lines from this long ago")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl logs FUNCTION [--follow] [--since 1h] [--endpoint-url URL]\n\n"+
			"Prints a function's captured logs. Needs logs:FilterLogEvents on its log group (the root user has it).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: logs takes one function name", errUsage)
	}
	s, ep, err := ac.resolve(getenv)
	if err != nil {
		return err
	}
	since := time.Now().Add(-*sinceFlag)
	for {
		lines, err := fetchLogs(ctx, s, ep, pos[0], since)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintf(stdout, "%s %s\n", l.Time.Local().Format("2006-01-02T15:04:05.000"), l.Message)
			since = l.Time.Add(time.Nanosecond)
		}
		if !*follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}
