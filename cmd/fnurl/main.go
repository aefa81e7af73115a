// Command fnurl runs an AWS-compatible platform for Lambda function URLs
// secured with IAM, and is its command-line client.
//
// Usage:
//
//	fnurl serve [flags]     run the server
//	fnurl invoke URL        call a function URL, signed with your AWS credentials
//	fnurl presign URL       print a presigned function URL
//	fnurl proxy             a local proxy that signs requests to a function URL
//	fnurl deploy DIR        package, create or update a function and its URL
//	fnurl logs FUNCTION     print a function's logs (--follow)
//	fnurl audit             print the audit trail (--follow, --denied, ...)
//	fnurl explain ID        explain the decision on one request
//	fnurl policy simulate   ask the policy simulator
//	fnurl migrate           copy the embedded store into PostgreSQL
//	fnurl completion SHELL  print a shell completion script
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
	"strings"
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

// runFunc runs one command with its arguments.
type runFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// command is one of fnurl's commands.
type command struct {
	name, synopsis, summary string
	run                     runFunc
}

// commands lists fnurl's commands in the order usage shows them. It is
// filled in by init, since completion refers to it.
var commands []command

func init() {
	commands = []command{
		{"serve", "serve [flags]", "run the server (fnurl help serve for flags)", runServe},
		{"invoke", "invoke URL", "call a function URL, signed with your AWS credentials", func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
			return runInvoke(ctx, args, getenv, os.Stdin, stdout, stderr)
		}},
		{"presign", "presign URL", "print a presigned function URL", runPresign},
		{"proxy", "proxy --target URL", "serve a local proxy that signs what it forwards to a function URL", runProxy},
		{"deploy", "deploy DIR --name N", "package a directory, create or update the function and its URL (--watch)", runDeploy},
		{"logs", "logs FUNCTION", "print a function's logs (--follow)", runLogs},
		{"audit", "audit", "print the audit trail (--follow, --denied, ...)", runAudit},
		{"explain", "explain ID", "explain the decision on one request", runExplain},
		{"policy", "policy simulate", "ask the policy simulator whether actions are allowed", runPolicy},
		{"migrate", "migrate", "copy the embedded store into PostgreSQL (--from, --to)", runMigrate},
		{"completion", "completion SHELL", "print a bash, zsh or fish completion script", runCompletion},
	}
}

// usage is the top-level help text.
func usage() string {
	var b strings.Builder
	b.WriteString("fnurl: AWS Lambda function URLs with IAM, self-hosted.\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  fnurl %-21s %s\n", c.synopsis, c.summary)
	}
	fmt.Fprintf(&b, "  fnurl %-21s %s\n  fnurl %-21s %s\n", "version", "print the version", "help [command]", "show help for a command")
	return b.String()
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// run is the whole program; main only supplies the process's context,
// arguments, environment and output streams, so tests can call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "fnurl", version())
		return nil
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				err := c.run(ctx, []string{"-h"}, getenv, stdout, stdout)
				if errors.Is(err, flag.ErrHelp) {
					return nil
				}
				return err
			}
		}
		fmt.Fprint(stdout, usage())
		return nil
	}
	if c := lookup(args[0]); c != nil {
		return c.run(ctx, args[1:], getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, usage())
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
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
