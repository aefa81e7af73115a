package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/awsclient"
	"github.com/fnurl/fnurl/internal/sigv4"
)

// maxProxyBody is the largest request body the proxy forwards: a function
// URL's own limit.
const maxProxyBody = 6 << 20

// hopHeaders are the headers of one connection, not of the request
// (RFC 9110 section 7.6.1), and the ones the proxy replaces by signing.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}

// runProxy serves a local HTTP proxy that signs every request it forwards
// to an AWS_IAM function URL with the caller's credentials.
func runProxy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	listen := fs.String("listen", "127.0.0.1:8787", "local `address` to serve on")
	targetFlag := fs.String("target", "", "function `URL` to forward to (required)")
	allowRemote := fs.Bool("allow-remote", false, "allow a --listen address other than loopback; anyone who reaches it then calls the function as you")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl proxy --target URL [--listen 127.0.0.1:8787] [--region R] [--profile P]\n\n"+
			"Serves plain HTTP on --listen and forwards each request to the function URL (its path and query\n"+
			"appended), signed with SigV4 (service lambda) with your AWS credentials, which are read again for\n"+
			"every request so refreshed temporary credentials are picked up. Responses stream back as they arrive.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *targetFlag == "" {
		fs.Usage()
		return fmt.Errorf("%w: proxy needs --target URL and no arguments", errUsage)
	}
	target, err := parseTarget(*targetFlag)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", *listen, err)
	}
	if ip := net.ParseIP(host); !*allowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s is not a loopback address: anyone reaching it would call the function as you; add --allow-remote if that is what you want", *listen)
	}
	// Fail early on missing credentials.
	s, err := cf.settings(getenv, target)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	p := &signingProxy{target: target, settings: func() (*awsclient.Settings, error) { return cf.settings(getenv, target) },
		log: slog.New(slog.NewTextHandler(stderr, nil))}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "fnurl proxy listening on http://%s, forwarding to %s signed as %s (%s)\n", ln.Addr(), target, s.Credentials.AccessKeyID, s.Source)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	case err := <-done:
		return err
	}
}

// signingProxy forwards requests to target, signed.
type signingProxy struct {
	target   *url.URL
	settings func() (*awsclient.Settings, error)
	log      *slog.Logger
}

func (p *signingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		p.log.Warn("fnurl proxy", "method", r.Method, "path", r.URL.Path, "error", msg)
		http.Error(w, "fnurl proxy: "+msg, status)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxyBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			fail(http.StatusRequestEntityTooLarge, "request body larger than a function URL accepts (6 MB)")
			return
		}
		fail(http.StatusBadRequest, "reading the request body: "+err.Error())
		return
	}
	s, err := p.settings()
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	u := *p.target
	u.Path = strings.TrimSuffix(p.target.Path, "/") + r.URL.Path
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = strings.TrimSuffix(p.target.EscapedPath(), "/") + r.URL.RawPath
	}
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), strings.NewReader(string(body)))
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	for _, h := range r.Header.Values("Connection") {
		for _, name := range strings.Split(h, ",") {
			out.Header.Del(strings.TrimSpace(name))
		}
	}
	if err := sigv4.Sign(out, sigv4.PayloadHash(body), s.Credentials, s.Region, "lambda", time.Now()); err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		fail(http.StatusBadGateway, err.Error())
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders[:9] {
		resp.Header.Del(h)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}
