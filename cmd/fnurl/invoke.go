package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/awsclient"
	"github.com/fnurl/fnurl/internal/sigv4"
)

// parseInterspersed parses flags that may come before or after positional
// arguments, as in "fnurl invoke URL -X POST".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// clientFlags are the flags every client command shares.
type clientFlags struct {
	region, profile string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.region, "region", "", "region to sign for; default: from the URL's host, AWS_REGION, AWS_DEFAULT_REGION or the profile")
	fs.StringVar(&c.profile, "profile", "", "profile of the shared credentials and config files; default: AWS_PROFILE or default")
}

func (c *clientFlags) settings(getenv func(string) string, target *url.URL) (*awsclient.Settings, error) {
	s, err := awsclient.Load(awsclient.Options{Profile: c.profile, Region: c.region, Getenv: getenv})
	if err != nil {
		return nil, err
	}
	if c.region == "" {
		if r := awsclient.RegionFromHost(target.Hostname()); r != "" {
			s.Region = r
		}
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	return s, nil
}

func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return u, nil
}

// runInvoke signs a request to a function URL with the caller's AWS
// credentials and prints the response as it arrives.
func runInvoke(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	method := fs.String("X", "", "HTTP `method` (default GET, or POST with a body)")
	include := fs.Bool("i", false, "print the response status line and headers")
	data := fs.String("d", "", "request body `data`; @file reads a file, @- standard input")
	fs.StringVar(data, "data-binary", "", "same as -d")
	var headers []string
	fs.Func("H", "request `header` 'Name: value' (repeatable)", func(s string) error {
		if !strings.Contains(s, ":") {
			return fmt.Errorf("header %q is not 'Name: value'", s)
		}
		headers = append(headers, s)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl invoke URL [-X METHOD] [-H 'Name: value']... [-d DATA | -d @file] [-i] [--region R] [--profile P]\n\n"+
			"Signs the request with SigV4 (service lambda) using the AWS credentials of the environment or profile,\n"+
			"including AWS_SESSION_TOKEN, and prints the response as it arrives. Exits 1 on an HTTP error status.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: invoke takes one URL", errUsage)
	}
	target, err := parseTarget(pos[0])
	if err != nil {
		return err
	}
	s, err := cf.settings(getenv, target)
	if err != nil {
		return err
	}
	var body []byte
	switch {
	case *data == "@-":
		body, err = io.ReadAll(stdin)
	case strings.HasPrefix(*data, "@"):
		body, err = os.ReadFile((*data)[1:])
	default:
		body = []byte(*data)
	}
	if err != nil {
		return err
	}
	m := *method
	if m == "" {
		m = http.MethodGet
		if len(body) > 0 {
			m = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(ctx, m, target.String(), strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if err := sigv4.Sign(req, sigv4.PayloadHash(body), s.Credentials, s.Region, "lambda", time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if *include {
		fmt.Fprintf(stdout, "%s %s\n", resp.Proto, resp.Status)
		resp.Header.Write(stdout)
		fmt.Fprintln(stdout)
	}
	if _, err := copyFlushing(stdout, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		if why := resp.Header.Get("X-Fnurl-Deny-Reason"); why != "" {
			fmt.Fprintf(stderr, "\nfnurl: the server says why: %s\n", why)
		}
		return fmt.Errorf("%s (signed as %s from %s, region %s)", resp.Status, s.Credentials.AccessKeyID, s.Source, s.Region)
	}
	return nil
}

// copyFlushing copies src to dst, flushing dst after each read when it
// can, so streamed responses show as they arrive.
func copyFlushing(dst io.Writer, src io.Reader) (int64, error) {
	type syncer interface{ Sync() error }
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
			if f, ok := dst.(syncer); ok {
				f.Sync()
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// runPresign prints a presigned URL for a function URL.
func runPresign(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl presign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	expires := fs.Duration("expires", 15*time.Minute, "how long the URL stays valid (1s to 168h)")
	method := fs.String("X", "GET", "HTTP `method` the URL is for")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl presign URL [--expires 15m] [-X METHOD] [--region R] [--profile P]\n\n"+
			"Prints a presigned URL (SigV4 query form, service lambda) that a browser or a plain curl can use.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: presign takes one URL", errUsage)
	}
	if *expires < time.Second || *expires > 7*24*time.Hour {
		return fmt.Errorf("--expires %v: must be between 1s and 168h", *expires)
	}
	target, err := parseTarget(pos[0])
	if err != nil {
		return err
	}
	s, err := cf.settings(getenv, target)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, *method, target.String(), nil)
	if err != nil {
		return err
	}
	u, err := sigv4.Presign(req, s.Credentials, s.Region, "lambda", time.Now(), *expires)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u.String())
	return nil
}
