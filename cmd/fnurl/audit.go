package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awsclient"
	"github.com/fnurl/fnurl/internal/sigv4"
)

const defaultEndpoint = "http://127.0.0.1:8686"

// operatorGet calls one of the server's operator APIs (/_fnurl/...) with
// the caller's credentials, signed for the service "fnurl", and decodes
// the JSON answer into out.
func operatorGet(ctx context.Context, s *awsclient.Settings, endpoint, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(endpoint, "/")+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	region := s.Region
	if region == "" {
		region = "us-east-1"
	}
	if err := sigv4.Sign(req, "", s.Credentials, region, "fnurl", time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, out)
}

// fetchAudit reads audit events matching q.
func fetchAudit(ctx context.Context, s *awsclient.Settings, endpoint string, q url.Values) ([]audit.Event, error) {
	var out struct{ Events []audit.Event }
	err := operatorGet(ctx, s, endpoint, "/_fnurl/audit", q, &out)
	return out.Events, err
}

// serverClient holds the flags of the commands that call the fnurl server
// itself (audit, explain, logs, deploy, policy): credentials and endpoint.
type serverClient struct {
	clientFlags
	endpoint string
}

func (a *serverClient) register(fs *flag.FlagSet) {
	a.clientFlags.register(fs)
	fs.StringVar(&a.endpoint, "endpoint-url", "", "fnurl server `URL`; default: AWS_ENDPOINT_URL, the profile's endpoint_url, or "+defaultEndpoint)
}

func (a *serverClient) resolve(getenv func(string) string) (*awsclient.Settings, string, error) {
	s, err := awsclient.Load(awsclient.Options{Profile: a.profile, Region: a.region, Endpoint: a.endpoint, Getenv: getenv})
	if err != nil {
		return nil, "", err
	}
	ep := s.Endpoint
	if ep == "" {
		ep = defaultEndpoint
	}
	return s, ep, nil
}

func printEvent(w io.Writer, e audit.Event) {
	who := e.PrincipalARN
	if who == "" {
		who = "anonymous"
		if e.AccessKeyID != "" {
			who = "key " + e.AccessKeyID
		}
	}
	fmt.Fprintf(w, "%s  %s  %-22s %3d  %s  %s %s\n", e.Time.Local().Format("2006-01-02 15:04:05.000"), e.RequestID, e.Decision,
		e.Status, who, e.Action, e.Resource)
	if e.Reason != "" && e.Decision != audit.Allowed || strings.Contains(e.Reason, "would deny") {
		for _, line := range strings.Split(e.Reason, "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

// runAudit prints the audit trail, optionally following it.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ac serverClient
	ac.register(fs)
	follow := fs.Bool("follow", false, "keep printing new events as they happen")
	denied := fs.Bool("denied", false, "only denials and authentication failures")
	principal := fs.String("principal", "", "only events whose principal ARN contains this `text`")
	function := fs.String("function", "", "only events on this function `name`")
	asJSON := fs.Bool("json", false, "print events as JSON lines")
	limit := fs.Int("limit", 100, "at most this many events per request")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl audit [--follow] [--denied] [--principal TEXT] [--function NAME] [--json] [--endpoint-url URL]\n\n"+
			"Prints the server's audit trail: every API call and function URL request, with the decision and,\n"+
			"for denials, the reason. Needs fnurl:GetAuditEvents (the root user has it).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) != 0 {
		fs.Usage()
		return fmt.Errorf("%w: audit takes no arguments", errUsage)
	}
	s, ep, err := ac.resolve(getenv)
	if err != nil {
		return err
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if *denied {
		q.Set("denied", "true")
	}
	if *principal != "" {
		q.Set("principal", *principal)
	}
	if *function != "" {
		q.Set("function", *function)
	}
	var after int64
	for {
		q.Set("after", strconv.FormatInt(after, 10))
		evs, err := fetchAudit(ctx, s, ep, q)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if *asJSON {
				b, _ := json.Marshal(e)
				fmt.Fprintf(stdout, "%s\n", b)
			} else {
				printEvent(stdout, e)
			}
			after = e.ID
		}
		if len(evs) == *limit {
			continue // more are waiting
		}
		if !*follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// runExplain prints everything the audit trail knows about one request.
func runExplain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fnurl explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ac serverClient
	ac.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl explain REQUEST-ID [--endpoint-url URL]\n\n"+
			"Explains the decision on one request, by the x-amzn-RequestId of its response.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: explain takes one request ID", errUsage)
	}
	s, ep, err := ac.resolve(getenv)
	if err != nil {
		return err
	}
	evs, err := fetchAudit(ctx, s, ep, url.Values{"requestId": {pos[0]}})
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return fmt.Errorf("no audit event has the request ID %s", pos[0])
	}
	e := evs[0]
	fmt.Fprintf(stdout, "request %s at %s\n", e.RequestID, e.Time.Local().Format(time.RFC3339Nano))
	fmt.Fprintf(stdout, "  caller:   %s (%s credentials, key %s) from %s\n", orDash(e.PrincipalARN), orDash(e.CredentialType), orDash(e.AccessKeyID), e.SourceIP)
	fmt.Fprintf(stdout, "  request:  %s %s on %s\n", e.Service, orDash(e.Action), orDash(e.Resource))
	answer := strconv.Itoa(e.Status)
	if e.ErrorCode != "" {
		answer += " " + e.ErrorCode
	}
	fmt.Fprintf(stdout, "  answer:   %s, %.1f ms\n", answer, e.LatencyMS)
	fmt.Fprintf(stdout, "  decision: %s\n", e.Decision)
	if e.Reason != "" {
		fmt.Fprintln(stdout, "  why:")
		for _, line := range strings.Split(e.Reason, "\n") {
			fmt.Fprintf(stdout, "    %s\n", line)
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
