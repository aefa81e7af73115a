package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fnurl/fnurl/internal/store/postgres"
	"github.com/fnurl/fnurl/internal/store/sqlite"
)

// runMigrate copies the embedded SQLite store of a data directory into an
// empty PostgreSQL database, in one transaction on the target.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var from, to string
	fs.StringVar(&from, "from", "", "data `directory` whose embedded store (fnurl.db) is copied")
	fs.StringVar(&to, "to", getenv("FNURL_STORE"), "target PostgreSQL `URL`, postgres://user@host:port/db?sslmode=… (env FNURL_STORE); the database must be empty")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: fnurl migrate --from DATA-DIR --to postgres://…

Copies every table of the embedded SQLite store in DATA-DIR into an empty
PostgreSQL database, in one transaction: on any error the target is left
empty. Stop the server first. Then start every node with
--store postgres://… and the master key of DATA-DIR (FNURL_MASTER_KEY, or
copy DATA-DIR/master.key to each node): the sealed secrets are copied as
they are.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	case from == "":
		return fmt.Errorf("%w: --from DATA-DIR is required", errUsage)
	case !postgres.IsURL(to):
		return fmt.Errorf("%w: --to must be a postgres:// URL", errUsage)
	}
	path := filepath.Join(from, "fnurl.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := dst.Import(ctx, src.SQL())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var total int64
	for _, t := range postgres.Tables {
		fmt.Fprintf(stdout, "%-20s %d\n", t, counts[t])
		total += counts[t]
	}
	fmt.Fprintf(stdout, "copied %d rows from %s\n", total, path)
	return nil
}
