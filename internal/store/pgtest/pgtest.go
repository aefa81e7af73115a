// Package pgtest starts a private PostgreSQL server for tests: one server per
// test binary, started on first use, and one new database per test.
//
// The server runs from a temporary data directory on a free loopback port
// with fsync off. PostgreSQL refuses to run as root, so when the tests run as
// root the server runs as the "postgres" user. When the PostgreSQL binaries
// are missing, tests skip, unless FNURL_TEST_REQUIRE_TOOLS=1, which makes it
// a failure. FNURL_PG_BIN names the directory of the binaries when they are
// not in /usr/lib/postgresql/<version>/bin. FNURL_TEST_PG_DURABLE=1 keeps
// fsync and synchronous commit on, for benchmarks that compare write speed
// with the embedded store fairly.
//
// A package that uses it stops the server at the end from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

var (
	once    sync.Once
	srv     *server
	srvErr  error
	skipMsg string
	dbSeq   atomic.Int64
)

type server struct {
	cmd   *exec.Cmd
	dir   string
	port  int
	admin *sql.DB
	done  chan struct{}
}

// Main runs the tests of m and stops the server if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the server, if running, and removes its data.
func Stop() {
	if srv == nil {
		return
	}
	srv.admin.Close()
	srv.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		srv.cmd.Process.Kill()
		<-srv.done
	}
	os.RemoveAll(srv.dir)
	srv = nil
}

// binDir finds the directory of initdb and postgres.
func binDir() (string, error) {
	if d := os.Getenv("FNURL_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err != nil {
			return "", fmt.Errorf("PostgreSQL server binaries not found in FNURL_PG_BIN=%s", d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries not found (install postgresql or set FNURL_PG_BIN)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// URL returns the URL of a new, empty database on the test server, starting
// the server on first use. It skips the test when PostgreSQL is not
// installed (fails when FNURL_TEST_REQUIRE_TOOLS=1).
func URL(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { srv, srvErr = start() })
	if skipMsg != "" {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			tb.Fatalf("FNURL_TEST_REQUIRE_TOOLS=1 but %s", skipMsg)
		}
		tb.Skip(skipMsg)
	}
	if srvErr != nil {
		tb.Fatalf("starting PostgreSQL: %v", srvErr)
	}
	name := fmt.Sprintf("fnurl_test_%d", dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	return srv.url(name)
}

func (s *server) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs initdb and the server. It sets skipMsg instead of returning an
// error when PostgreSQL is not installed.
func start() (*server, error) {
	bin, err := binDir()
	if err != nil {
		skipMsg = err.Error()
		return nil, nil
	}
	var cred *syscall.Credential
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skipMsg = "running as root and there is no postgres user to run the PostgreSQL server as"
			return nil, nil
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "fnurl-pg-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v: %s", err, out))
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return fail(err)
	}
	defer logf.Close()
	args := []string{"-D", data, "-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(port), "-k", dir,
		"-c", "max_connections=300"}
	if os.Getenv("FNURL_TEST_PG_DURABLE") != "1" {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGTERM}
	// Pdeathsig follows the thread that forked.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return fail(err)
	}
	s := &server{cmd: cmd, dir: dir, port: port, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	admin, err := sql.Open("pgx", s.url("postgres"))
	if err != nil {
		cmd.Process.Kill()
		<-s.done
		return fail(err)
	}
	s.admin = admin
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = admin.PingContext(ctx)
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			admin.Close()
			return fail(fmt.Errorf("postgres exited: %s", log))
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-s.done
			admin.Close()
			return fail(fmt.Errorf("postgres not ready after 30s: %v", err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
