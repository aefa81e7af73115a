// Command fnurl runs an AWS-compatible platform for Lambda function URLs
// secured with IAM, and is its command-line client.
//
// Usage:
//
//	fnurl serve [flags]     run the server
//	fnurl invoke URL        call a function URL, signed with your AWS credentials
//	fnurl presign URL       print a presigned function URL
//	fnurl audit             print the audit trail (--follow, --denied, ...)
//	fnurl explain ID        explain the decision on one request
//	fnurl logs FUNCTION     print a function's logs (--follow)
//	fnurl migrate           copy the embedded store into PostgreSQL
//	fnurl version           print the version
//	fnurl help [command]    show help
//
// Run "fnurl help serve" for the server's flags and environment variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		setServerProcs(os.Getenv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fnurl:", err)
		os.Exit(1)
	}
}

// errUsage marks a command-line mistake: run prints the usage for it.
var errUsage = errors.New("usage")

const usage = `fnurl: AWS Lambda function URLs with IAM, self-hosted.

Usage:
  fnurl serve [flags]     run the server (fnurl help serve for flags)
  fnurl invoke URL        call a function URL, signed with your AWS credentials
  fnurl presign URL       print a presigned function URL
  fnurl audit             print the audit trail (--follow, --denied, ...)
  fnurl explain ID        explain the decision on one request
  fnurl migrate           copy the embedded store into PostgreSQL (--from, --to)
  fnurl version           print the version
  fnurl help [command]    show help for a command
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and output streams, so tests can call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "invoke":
		return runInvoke(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "presign":
		return runPresign(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], getenv, stdout, stderr)
	case "explain":
		return runExplain(ctx, args[1:], getenv, stdout, stderr)
	case "logs":
		return runLogs(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "fnurl", version())
		return nil
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "serve":
				return runServe(ctx, []string{"-h"}, getenv, stdout, stdout)
			case "invoke":
				return runInvoke(ctx, []string{"-h"}, getenv, os.Stdin, stdout, stdout)
			case "presign":
				return runPresign(ctx, []string{"-h"}, getenv, stdout, stdout)
			case "audit":
				return runAudit(ctx, []string{"-h"}, getenv, stdout, stdout)
			case "explain":
				return runExplain(ctx, []string{"-h"}, getenv, stdout, stdout)
			case "logs":
				return runLogs(ctx, []string{"-h"}, getenv, stdout, stdout)
			case "migrate":
				return runMigrate(ctx, []string{"-h"}, getenv, stdout, stdout)
			}
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
}

// version returns the module version the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
