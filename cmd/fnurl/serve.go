package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/auditapi"
	"github.com/fnurl/fnurl/internal/batchlog"
	"github.com/fnurl/fnurl/internal/console"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/keyring"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/metrics"
	"github.com/fnurl/fnurl/internal/rawconn"
	"github.com/fnurl/fnurl/internal/readcache"
	"github.com/fnurl/fnurl/internal/sandbox"
	"github.com/fnurl/fnurl/internal/server"
	"github.com/fnurl/fnurl/internal/store/postgres"
	"github.com/fnurl/fnurl/internal/store/sqlite"
	"github.com/fnurl/fnurl/internal/store/sqlstore"
	"github.com/fnurl/fnurl/internal/sts"
)

// serveConfig is everything "fnurl serve" is configured with. Each flag has
// an FNURL_* environment variable that sets its default; secrets are read
// only from the environment or files, never from flags, which other users
// of the machine can see in ps.
type serveConfig struct {
	Listen          string
	DataDir         string
	Store           string
	Region          string
	AccountID       string
	MasterKeyFile   string
	URLAuthModel    string
	TLSCert         string
	TLSKey          string
	Audit           string
	AuditLog        string
	Metrics         string
	Console         string
	ConsoleLifetime time.Duration
	DevDenyReasons  bool
	NetHTTP         bool
	AuditRetention  time.Duration
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	DebugListen     string
	MaxEnvironments int

	masterKey  string // FNURL_MASTER_KEY
	rootKeyID  string // FNURL_ROOT_ACCESS_KEY_ID
	rootSecret string // FNURL_ROOT_SECRET_ACCESS_KEY

	testSessionLifetime time.Duration // FNURL_TEST_SESSION_LIFETIME
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "fnurl")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "fnurl")
	}
	return "fnurl-data"
}

func parseServeFlags(args []string, getenv func(string) string, out io.Writer) (*serveConfig, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &serveConfig{
		masterKey:  getenv("FNURL_MASTER_KEY"),
		rootKeyID:  getenv("FNURL_ROOT_ACCESS_KEY_ID"),
		rootSecret: getenv("FNURL_ROOT_SECRET_ACCESS_KEY"),
	}
	fs := flag.NewFlagSet("fnurl serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Listen, "listen", env("FNURL_LISTEN", "127.0.0.1:8686"), "address to listen on, `host:port` (env FNURL_LISTEN)")
	fs.StringVar(&c.DataDir, "data-dir", env("FNURL_DATA_DIR", defaultDataDir(getenv)), "`directory` for the database, keys and credentials (env FNURL_DATA_DIR)")
	fs.StringVar(&c.Store, "store", env("FNURL_STORE", ""), "store `URL`: empty for the embedded SQLite database in the data directory, or postgres://user@host:port/db?sslmode=… for a PostgreSQL database that several nodes share (they then need the same FNURL_MASTER_KEY); give a password through FNURL_STORE, PGPASSWORD or ~/.pgpass rather than this flag (env FNURL_STORE)")
	fs.StringVar(&c.Region, "region", env("FNURL_REGION", "us-east-1"), "AWS `region` this server answers for (env FNURL_REGION)")
	fs.StringVar(&c.AccountID, "account-id", env("FNURL_ACCOUNT_ID", ""), "12-digit account `ID`; default: generated on first start and kept (env FNURL_ACCOUNT_ID)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", env("FNURL_MASTER_KEY_FILE", ""), "`file` holding the master key; default: DATA-DIR/master.key, created on first start; ignored when FNURL_MASTER_KEY is set (env FNURL_MASTER_KEY_FILE)")
	fs.StringVar(&c.URLAuthModel, "url-auth-model", env("FNURL_URL_AUTH_MODEL", "legacy"), "permission `model` of function URLs: legacy (lambda:InvokeFunctionUrl suffices) or 2025 (also lambda:InvokeFunction, as AWS requires of new URLs since October 2025) (env FNURL_URL_AUTH_MODEL)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("FNURL_TLS_CERT", ""), "serve HTTPS with this PEM certificate `file` (with --tls-key); aws:SecureTransport is then true (env FNURL_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("FNURL_TLS_KEY", ""), "PEM private key `file` for --tls-cert (env FNURL_TLS_KEY)")
	fs.StringVar(&c.Audit, "audit", env("FNURL_AUDIT", "on"), "`on` records every API call and function URL request in the audit trail; off records none (then fnurl audit and fnurl explain have nothing to show) (env FNURL_AUDIT)")
	fs.StringVar(&c.AuditLog, "audit-log", env("FNURL_AUDIT_LOG", ""), "also write every audit event as a JSON line to this `file` (- for standard output); the store keeps them either way (env FNURL_AUDIT_LOG)")
	retention := env("FNURL_AUDIT_RETENTION", "720h")
	fs.Func("audit-retention", "how long the store keeps audit events, a `duration` (default 720h; env FNURL_AUDIT_RETENTION)", func(s string) error {
		retention = s
		return nil
	})
	fs.StringVar(&c.Console, "console", env("FNURL_CONSOLE", "on"), "`on` serves the web console at /console/; off does not (env FNURL_CONSOLE)")
	fs.DurationVar(&c.ConsoleLifetime, "console-session-lifetime", envDuration(getenv, "FNURL_CONSOLE_SESSION_LIFETIME", time.Hour), "how long a console sign-in lasts, a `duration` (env FNURL_CONSOLE_SESSION_LIFETIME)")
	fs.StringVar(&c.Metrics, "metrics", env("FNURL_METRICS", "open"), "`access` to Prometheus metrics at /metrics: open (no authentication; keep the listener private) or off (env FNURL_METRICS)")
	fs.BoolVar(&c.DevDenyReasons, "dev-deny-reasons", env("FNURL_DEV_DENY_REASONS", "") == "true", "development only, unsafe in production: add why a function URL request was refused to its 403 response, in an X-Fnurl-Deny-Reason header (env FNURL_DEV_DENY_REASONS=true)")
	fs.BoolVar(&c.NetHTTP, "net-http", env("FNURL_NET_HTTP", "") == "true", "serve every request with Go's net/http server instead of fnurl's HTTP/1.1 server in front of it (which takes plain-TCP HTTP/1.1 requests with simple framing and hands the rest to net/http); for comparison and as a fallback (env FNURL_NET_HTTP=true)")
	fs.StringVar(&c.LogFormat, "log-format", env("FNURL_LOG_FORMAT", "text"), "log `format`: text or json (env FNURL_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("FNURL_LOG_LEVEL", "info"), "log `level`: debug, info, warn or error (env FNURL_LOG_LEVEL)")
	fs.StringVar(&c.DebugListen, "debug-listen", env("FNURL_DEBUG_LISTEN", ""), "serve Go's profiler (net/http/pprof, under /debug/pprof/) on this second `host:port`, unauthenticated: keep it on loopback; empty serves none (env FNURL_DEBUG_LISTEN)")
	maxEnvs := env("FNURL_MAX_ENVIRONMENTS", "64")
	fs.Func("max-environments", "how many execution environments (function processes) this server runs at most, warm or busy, across all functions, a `number` (default 64): past it, an idle environment of another function is stopped to make room, and when none is idle the invocation gets TooManyRequestsException (env FNURL_MAX_ENVIRONMENTS)", func(s string) error {
		maxEnvs = s
		return nil
	})
	shutdown := env("FNURL_SHUTDOWN_TIMEOUT", "30s")
	fs.Func("shutdown-timeout", "how long requests in flight may take to finish on SIGINT/SIGTERM, a `duration` (default 30s; env FNURL_SHUTDOWN_TIMEOUT)", func(s string) error {
		shutdown = s
		return nil
	})
	fs.Usage = func() {
		fmt.Fprint(out, `Usage: fnurl serve [flags]

Runs the fnurl server: the STS, IAM and Lambda APIs and function URLs on one
listener, with an embedded SQLite store in the data directory or, with
--store, a PostgreSQL database that several nodes share.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(out, `
Environment only (secrets are never taken from flags):
  FNURL_MASTER_KEY              master key, 32 bytes as base64 or 64 hex digits;
                                overrides the master key file
  FNURL_ROOT_ACCESS_KEY_ID      root user's access key ID (16-128 letters and digits)
  FNURL_ROOT_SECRET_ACCESS_KEY  root user's secret access key; when both are unset,
                                the first start generates them and writes
                                DATA-DIR/credentials

Test only (never in production):
  FNURL_TEST_SESSION_LIFETIME   a duration such as 3s; every temporary credential
                                issued by STS lives this long, whatever was
                                requested, so tests can watch credentials expire
`)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	d, err := time.ParseDuration(shutdown)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("shutdown timeout %q is not a duration like 30s", shutdown)
	}
	c.ShutdownTimeout = d
	if c.Audit != "on" && c.Audit != "off" {
		return nil, fmt.Errorf("--audit must be on or off, not %q", c.Audit)
	}
	if c.AuditRetention, err = time.ParseDuration(retention); err != nil || c.AuditRetention <= 0 {
		return nil, fmt.Errorf("audit retention %q is not a positive duration like 720h", retention)
	}
	if v := getenv("FNURL_TEST_SESSION_LIFETIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("FNURL_TEST_SESSION_LIFETIME %q is not a positive duration", v)
		}
		c.testSessionLifetime = d
	}
	if c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, errors.New("set both --tls-cert and --tls-key, or neither")
	}
	if c.Console != "on" && c.Console != "off" {
		return nil, fmt.Errorf("--console must be on or off, not %q", c.Console)
	}
	if c.ConsoleLifetime <= 0 {
		return nil, errors.New("--console-session-lifetime must be a positive duration like 1h")
	}
	if c.Metrics != "open" && c.Metrics != "off" {
		return nil, fmt.Errorf("metrics %q: use open or off", c.Metrics)
	}
	if c.URLAuthModel != "legacy" && c.URLAuthModel != "2025" {
		return nil, fmt.Errorf("url auth model %q: use legacy or 2025", c.URLAuthModel)
	}
	if !validRegion(c.Region) {
		return nil, fmt.Errorf("region %q is not a region name like us-east-1", c.Region)
	}
	n, err := strconv.Atoi(maxEnvs)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("--max-environments %q: want a whole number of at least 1", maxEnvs)
	}
	c.MaxEnvironments = n
	return c, nil
}

// defaultProcs, set by setServerProcs to the GOMAXPROCS Go chose, makes
// runServe choose GOMAXPROCS by load (see procsController); 0 leaves it.
var defaultProcs int

// setServerProcs makes the server choose its GOMAXPROCS by load, between
// half the CPUs Go would use (at least one; the other half is for the
// function processes on the same machine) and all of them, unless the
// GOMAXPROCS environment variable chooses. It is called from main only, so
// that tests running servers in-process keep their own setting.
func setServerProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") != "" {
		return
	}
	defaultProcs = runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(serverProcs(defaultProcs))
}

// serverProcs is the server's GOMAXPROCS when Go's default would be n.
func serverProcs(n int) int { return max(1, n/2) }

// validRegion accepts region-like names: lower-case letters, digits and
// dashes, such as us-east-1 or eu-central-2.
func validRegion(s string) bool {
	if s == "" || len(s) > 32 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// logFlushInterval bounds how long an info or debug line (the access log)
// waits in the log's buffer; warnings and errors are written at once.
const logFlushInterval = 20 * time.Millisecond

// newLogger logs through w, whose buffer holds the lines below warn.
func newLogger(format, level string, w *batchlog.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(batchlog.Handler(w, func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, opts) })), nil
	case "json":
		return slog.New(batchlog.Handler(w, func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, opts) })), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", format)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logw := batchlog.New(stderr, logFlushInterval)
	defer logw.Close()
	log, err := newLogger(c.LogFormat, c.LogLevel, logw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	var master []byte
	if c.masterKey != "" {
		if master, err = keyring.ParseKey(c.masterKey); err != nil {
			return fmt.Errorf("FNURL_MASTER_KEY: %w", err)
		}
	} else {
		var created bool
		if master, created, err = keyring.LoadOrCreateFile(c.MasterKeyFile); err != nil {
			return err
		}
		if created {
			log.Info("generated a new master key", "file", c.MasterKeyFile)
		}
	}
	keys, err := keyring.New(master)
	if err != nil {
		return err
	}

	db, err := openStore(ctx, c.Store, c.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()

	ids, generated, err := iam.Open(ctx, db, keys, iam.Config{
		AccountID:           c.AccountID,
		RootAccessKeyID:     c.rootKeyID,
		RootSecretAccessKey: c.rootSecret,
	})
	if err != nil {
		return err
	}
	credFile := filepath.Join(c.DataDir, "credentials")
	switch {
	case generated != nil:
		if err := writeCredentialsFile(credFile, generated); err != nil {
			return err
		}
		log.Info("generated root credentials", "access_key_id", generated.AccessKeyID, "file", credFile)
	case c.rootKeyID != "":
		// The configured key replaced any generated one; a file naming the
		// old key would only mislead.
		if err := os.Remove(credFile); err == nil {
			log.Info("removed the generated credentials file; the root key now comes from FNURL_ROOT_ACCESS_KEY_ID", "file", credFile)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}

	var tlsConfig *tls.Config
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	endpoint := "http://" + ln.Addr().String()
	if tlsConfig != nil {
		endpoint = "https://" + ln.Addr().String()
		// Raw reads and writes under TLS too (server.Serve wraps only
		// the connections it sees, TLS ones here).
		ln = tls.NewListener(rawconn.Listener{Listener: ln}, tlsConfig)
	}
	configFile := filepath.Join(c.DataDir, "config")
	if err := writeConfigFile(configFile, c.Region, endpoint); err != nil {
		ln.Close()
		return err
	}
	if c.testSessionLifetime != 0 {
		log.Warn("FNURL_TEST_SESSION_LIFETIME is set: temporary credentials ignore their requested duration; never use this in production",
			"lifetime", c.testSessionLifetime)
	}
	if c.DevDenyReasons {
		log.Warn("--dev-deny-reasons is on: 403 responses of function URLs say why; never use this in production")
	}
	tokens := sts.New(keys, ids, sts.Config{TestLifetime: c.testSessionLifetime})
	fns := lambda.New(db, ids, ids.AccountID(), c.Region, nil)
	reg := metrics.NewRegistry()
	// The invoke path keeps function, URL, policy and credential reads in
	// memory. The embedded store has one writer, this server, which
	// empties the caches as it writes. Nodes sharing PostgreSQL also hear
	// each other's changes; until they do, and whenever they cannot,
	// they read through.
	caches := []readcache.Control{fns.CacheReads(), ids.CacheReads()}
	var cachesOn atomic.Bool
	cachesOn.Store(true)
	reg.NewGaugeFunc("fnurl_read_cache_enabled", "1 while the server keeps store reads in memory; 0 while a node sharing PostgreSQL cannot hear the other nodes' changes and reads the store every time.",
		func() map[string]float64 {
			if cachesOn.Load() {
				return map[string]float64{"": 1}
			}
			return map[string]float64{"": 0}
		})
	if pg, ok := db.(*postgres.DB); ok {
		changes := reg.NewCounterVec("fnurl_store_changes_total", "Changes committed to the shared PostgreSQL store (by any node) that emptied this node's read caches.")
		setCaches := func(on bool) {
			cachesOn.Store(on)
			for _, cc := range caches {
				cc.SetEnabled(on)
			}
		}
		setCaches(false)
		watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			pg.WatchChanges(watchCtx, postgres.Watcher{Logger: log, Listening: setCaches,
				Changed: func() {
					changes.Inc()
					for _, cc := range caches {
						cc.Invalidate()
					}
				}})
		}()
		defer func() { stopWatch(); <-watched }()
	}
	mgr, err := sandbox.NewManager(sandbox.Config{Dir: filepath.Join(c.DataDir, "functions"), Logger: log,
		MaxEnvironments: c.MaxEnvironments})
	if err != nil {
		ln.Close()
		return fmt.Errorf("function sandbox: %w", err)
	}
	defer mgr.Close()
	inv := &invoker{mgr: mgr, fns: fns, ids: ids, tokens: tokens, region: c.Region}
	inv.registerMetrics(reg)
	auditCfg := audit.Config{Store: db, Retention: c.AuditRetention, Logger: log}
	switch c.AuditLog {
	case "":
	case "-":
		auditCfg.JSONLines = stdout
	default:
		f, err := os.OpenFile(c.AuditLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			ln.Close()
			return fmt.Errorf("audit log: %w", err)
		}
		defer f.Close()
		auditCfg.JSONLines = f
	}
	var auditLog *audit.Log
	if c.Audit == "on" {
		auditLog = audit.New(auditCfg)
		defer auditLog.Close()
	}
	var con *console.Handler
	var conHandler http.Handler // nil unless the console is on: a typed nil would not be
	if c.Console == "on" {
		con = console.New(console.Config{Region: c.Region, Lifetime: c.ConsoleLifetime, Secure: tlsConfig != nil, Logger: log})
		conHandler = con
	}
	srv := server.New(server.Config{Region: c.Region, Logger: log, Endpoint: endpoint, URLAuthModel: c.URLAuthModel, Console: conHandler,
		Audit: auditLog, AuditStore: db, MetricsOpen: c.Metrics == "open", Metrics: reg, Invoker: inv,
		Account: ids.AccountID(), FunctionLogs: func(fn string, since time.Time) []auditapi.LogLine {
			var out []auditapi.LogLine
			for _, e := range mgr.Logs(fn, since) {
				out = append(out, auditapi.LogLine{Time: e.Time, RequestID: e.RequestID, Message: e.Message})
			}
			return out
		},
		DevDenyReasons: c.DevDenyReasons, NetHTTP: c.NetHTTP}, ids, tokens, fns)
	if con != nil {
		con.SetAPI(srv)
	}
	if c.DebugListen != "" {
		dln, err := net.Listen("tcp", c.DebugListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("debug listener: %w", err)
		}
		defer dln.Close()
		go serveDebug(dln)
		log.Warn("profiler listening, unauthenticated: keep it private", "addr", dln.Addr().String())
	}
	log.Info("fnurl listening", "endpoint", endpoint, "account", ids.AccountID(), "region", c.Region, "data_dir", c.DataDir)
	printBanner(stdout, endpoint, ids.AccountID(), c.Region, credFile, configFile, c.rootKeyID != "")

	if defaultProcs > 0 {
		pctx, stopProcs := context.WithCancel(ctx)
		defer stopProcs()
		go newProcsController(defaultProcs, srv.TakePeak).run(pctx, 50*time.Millisecond)
	}
	err = srv.Serve(ctx, ln, c.ShutdownTimeout)
	log.Info("fnurl stopped")
	return err
}

// writeCredentialsFile writes the root credentials in the AWS shared
// credentials format, readable by the owner only.
func writeCredentialsFile(path string, c *iam.RootCredentials) error {
	body := fmt.Sprintf("# fnurl root user. Keep this file secret.\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n[fnurl]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		c.AccessKeyID, c.SecretAccessKey, c.AccessKeyID, c.SecretAccessKey)
	return writePrivateFile(path, body)
}

// writeConfigFile writes an AWS config file whose profiles point the aws CLI
// and SDKs at this server.
func writeConfigFile(path, region, endpoint string) error {
	body := fmt.Sprintf("# Written by fnurl serve at each start.\n[default]\nregion = %s\nendpoint_url = %s\n\n[profile fnurl]\nregion = %s\nendpoint_url = %s\n",
		region, endpoint, region, endpoint)
	return writePrivateFile(path, body)
}

// writePrivateFile replaces path atomically with a 0600 file.
func writePrivateFile(path, body string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func printBanner(w io.Writer, endpoint, account, region, credFile, configFile string, envCreds bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "fnurl is serving account %s in %s at %s\n\n", account, region, endpoint)
	if envCreds {
		b.WriteString("Root credentials: FNURL_ROOT_ACCESS_KEY_ID / FNURL_ROOT_SECRET_ACCESS_KEY.\n")
		fmt.Fprintf(&b, "Use them with the aws CLI:\n  aws --endpoint-url %s --region %s sts get-caller-identity\n", endpoint, region)
	} else {
		fmt.Fprintf(&b, "Root credentials are in %s. Use them with the aws CLI:\n", credFile)
		fmt.Fprintf(&b, "  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s\n", credFile, configFile)
		b.WriteString("  aws sts get-caller-identity\n")
		fmt.Fprintf(&b, "or pass the endpoint yourself: aws --endpoint-url %s --region %s ... (AWS_ENDPOINT_URL=%s works too)\n", endpoint, region, endpoint)
	}
	io.WriteString(w, b.String())
}

// openStore opens the store named by url: the embedded SQLite database in
// dataDir when url is empty, or a PostgreSQL database.
func openStore(ctx context.Context, url, dataDir string) (interface {
	sqlstore.Store
	Close() error
}, error) {
	switch {
	case url == "":
		return sqlite.Open(ctx, filepath.Join(dataDir, "fnurl.db"))
	case postgres.IsURL(url):
		return postgres.Open(ctx, url)
	}
	return nil, fmt.Errorf("--store: want empty (embedded SQLite) or a postgres:// URL")
}

// envDuration returns the duration in the environment variable key, or def
// when it is unset or not a duration (the flag's validation reports that).
func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if v := getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		return -1
	}
	return def
}
