package sigv4

// Differential tests: requests generated here (fixed seeds) are signed by
// four independent signers — aws-sdk-go-v2 (in process), botocore
// (testdata/sign_botocore.py), @smithy/signature-v4 and aws4
// (testdata/sign_node.cjs) — and curl --aws-sigv4. Each signed request is
// serialised to HTTP/1.1 bytes and read back with http.ReadRequest, so the
// verifier sees exactly what a net/http server hands a handler; it must be
// accepted. Then every single-byte change to a signed part (method, path,
// query, host, each signed header value, the Authorization header with its
// credential scope and signature, the body, X-Amz-Date) must be rejected.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// diffRequests is the number of requests per signer and form.
const diffRequests = 300

// mutateFirst is how many requests per batch get the full single-byte
// mutation sweep: all of them, except under -race or -short.
func mutateFirst() int {
	if raceEnabled || testing.Short() {
		return 25
	}
	return diffRequests
}

// signedWire is a request as one signer would put it on the wire.
type signedWire struct {
	g          genReq
	wire       *rawRequest
	normalizes bool // the signer signs the normalised path
}

// pipeline runs the verification steps a server runs, in the documented
// order, with genCreds as the key store.
func pipeline(v *Verifier, r *http.Request, body []byte, region, service string) error {
	a, err := Parse(r)
	if err != nil {
		return err
	}
	if err := a.CheckScope(region, service); err != nil {
		return err
	}
	if err := v.CheckTime(a); err != nil {
		return err
	}
	secret, ok := genCreds[a.AccessKeyID]
	if !ok {
		return fmt.Errorf("unknown access key %q", a.AccessKeyID)
	}
	return v.CheckSignature(r, a, secret, PayloadHash(body))
}

// checkSigned verifies every signed request and sweeps mutations over the
// first mutateFirst of them.
func checkSigned(t *testing.T, signed []signedWire, now func() time.Time) {
	t.Helper()
	failures, mutated, skipped := 0, 0, 0
	for i, sw := range signed {
		r, body := readServerRequest(t, sw.wire.bytes())
		v := &Verifier{Now: now}
		if err := pipeline(v, r, body, sw.g.Region, sw.g.Service); err != nil {
			failures++
			if failures <= 5 {
				t.Errorf("request %d rejected: %v\ngenerated: %+v\nwire:\n%s\nour canonical request:\n%s",
					sw.g.ID, err, sw.g, sw.wire.bytes(), ourCanonical(r, body))
			}
			continue
		}
		if i >= mutateFirst() {
			continue
		}
		forEachMutation(r, body, sw.normalizes, func(what func() string, m *http.Request, mbody []byte) {
			mutated++
			if err := pipeline(v, m, mbody, sw.g.Region, sw.g.Service); err == nil {
				failures++
				if failures <= 5 {
					t.Errorf("request %d: mutation %s accepted\nwire:\n%s", sw.g.ID, what(), sw.wire.bytes())
				}
			}
		}, func() { skipped++ })
	}
	if failures > 5 {
		t.Errorf("%d failures in total", failures)
	}
	t.Logf("%d requests verified, %d mutations rejected, %d mutations skipped (equivalent under path normalisation, or refused by net/http)",
		len(signed), mutated, skipped)
}

func ourCanonical(r *http.Request, body []byte) string {
	a, err := Parse(r)
	if err != nil {
		return err.Error()
	}
	cr, err := CanonicalRequest(r, a, PayloadHash(body))
	if err != nil {
		return err.Error()
	}
	return cr
}

// mutateByte returns s with byte i replaced by a different byte. The
// replacement never changes only the case of a hex digit and never turns a
// byte into whitespace, so the result is never canonically equivalent to s
// (except through path normalisation, which the caller handles).
func mutateByte(s string, i int) string {
	c := s[i]
	switch {
	case c < 0x20 || c >= 0x7e:
		c = 'a'
	case c == ' ':
		c = '!'
	default:
		c++
	}
	return s[:i] + string(c) + s[i+1:]
}

// cloneRequest returns a shallow copy of r; the header map is shared.
func cloneRequest(r *http.Request) *http.Request {
	m := *r
	return &m
}

// forEachMutation calls fn with every single-byte change of a signed part of
// r. Path changes that normalise to the same path are reported to skip
// instead when the signer normalises.
func forEachMutation(r *http.Request, body []byte, normalizes bool, fn func(what func() string, m *http.Request, body []byte), skip func()) {
	a, err := Parse(r)
	if err != nil {
		panic(err)
	}
	for i := range len(r.Method) {
		m := cloneRequest(r)
		m.Method = mutateByte(r.Method, i)
		fn(func() string { return fmt.Sprintf("method[%d]=%q", i, m.Method) }, m, body)
	}
	path, query, hasQuery := strings.Cut(r.RequestURI, "?")
	join := func(p, q string) string {
		if hasQuery {
			return p + "?" + q
		}
		return p
	}
	for i := range len(path) {
		mp := mutateByte(path, i)
		if _, err := url.ParseRequestURI(join(mp, query)); err != nil {
			// net/http's server answers 400 itself; no handler sees it.
			skip()
			continue
		}
		if normalizes && string(appendCanonicalURI(nil, NormalizePath(mp))) == string(appendCanonicalURI(nil, NormalizePath(path))) {
			skip()
			continue
		}
		m := cloneRequest(r)
		m.RequestURI = join(mp, query)
		fn(func() string { return fmt.Sprintf("path %q", m.RequestURI) }, m, body)
	}
	for i := range len(query) {
		m := cloneRequest(r)
		m.RequestURI = join(path, mutateByte(query, i))
		fn(func() string { return fmt.Sprintf("query %q", m.RequestURI) }, m, body)
	}
	for i := range len(r.Host) {
		m := cloneRequest(r)
		m.Host = mutateByte(r.Host, i)
		fn(func() string { return fmt.Sprintf("host %q", m.Host) }, m, body)
	}
	names := slices.Clone(a.SignedHeaders)
	if !a.Presigned {
		names = append(names, "authorization")
	}
	for _, name := range names {
		if name == "host" {
			continue
		}
		key := http.CanonicalHeaderKey(name)
		for j, v := range r.Header[key] {
			for i := range len(v) {
				m := cloneRequest(r)
				m.Header = r.Header.Clone()
				m.Header[key][j] = mutateByte(v, i)
				fn(func() string { return fmt.Sprintf("header %s[%d] %q", key, j, m.Header[key][j]) }, m, body)
			}
		}
	}
	if len(body) > 0 {
		for _, i := range []int{0, len(body) / 2, len(body) - 1} {
			mb := []byte(mutateByte(string(body), i))
			fn(func() string { return fmt.Sprintf("body[%d]", i) }, cloneRequest(r), mb)
		}
	}
}

// wireFromGoClient renders req as net/http's client would: Host first, then
// the headers sorted by key, then Content-Length.
func wireFromGoClient(req *http.Request, body []byte) *rawRequest {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	rr := &rawRequest{Method: req.Method, Target: req.URL.RequestURI(), Proto: "HTTP/1.1", Body: body}
	rr.Headers = append(rr.Headers, [2]string{"Host", host})
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") {
			continue
		}
		for _, v := range req.Header[k] {
			rr.Headers = append(rr.Headers, [2]string{k, v})
		}
	}
	return rr.withContentLength()
}

func goV2Signed(t *testing.T, reqs []genReq) []signedWire {
	t.Helper()
	s := v4.NewSigner()
	var out []signedWire
	for _, g := range reqs {
		target := g.Path
		q := g.RawQuery
		if g.Presign {
			// X-Amz-Expires comes from the SDK's presign middleware, not
			// from the signer: add it as the middleware does.
			if q != "" {
				q += "&"
			}
			q += fmt.Sprintf("X-Amz-Expires=%d", g.Expires)
		}
		if q != "" {
			target += "?" + q
		}
		req, err := http.NewRequest(g.Method, "http://"+g.Host+target, bytes.NewReader(g.Body))
		if err != nil {
			t.Fatalf("request %d: %v", g.ID, err)
		}
		for _, h := range g.Headers {
			req.Header.Add(h[0], h[1])
		}
		creds := aws.Credentials{AccessKeyID: g.AKID, SecretAccessKey: g.Secret, SessionToken: g.Token}
		if g.Presign {
			// Header hoisting (the default) moves x-amz-* headers into the
			// query; the original headers are still sent, unsigned.
			uri, _, err := s.PresignHTTP(context.Background(), creds, req, PayloadHash(g.Body), g.Service, g.Region, genTime)
			if err != nil {
				t.Fatalf("request %d: PresignHTTP: %v", g.ID, err)
			}
			if req.URL, err = url.Parse(uri); err != nil {
				t.Fatal(err)
			}
		} else if err := s.SignHTTP(context.Background(), creds, req, PayloadHash(g.Body), g.Service, g.Region, genTime); err != nil {
			t.Fatalf("request %d: SignHTTP: %v", g.ID, err)
		}
		out = append(out, signedWire{g: g, wire: wireFromGoClient(req, g.Body)})
	}
	return out
}

// goV2Opts: aws-sdk-go-v2 collapses runs of spaces but not tabs inside
// header values (StripExcessSpaces), so a value with an internal tab is
// signed in a form AWS's own canonicalisation (and ours) does not produce.
func goV2Opts() genOpts {
	o := defaultGenOpts()
	o.headerTabs = false
	// Content-Length is signed by the SDK whenever the body is non-empty.
	return o
}

func TestDifferentialGoV2(t *testing.T) {
	for _, presign := range []bool{false, true} {
		t.Run(formName(presign), func(t *testing.T) {
			o := goV2Opts()
			o.presign = presign
			checkSigned(t, goV2Signed(t, generate(1, diffRequests, o)), fixedClock(genTime))
		})
	}
}

func formName(presign bool) string {
	if presign {
		return "presigned"
	}
	return "header"
}

// extOut is what the external signer scripts return.
type extOut struct {
	ID      int         `json:"id"`
	Target  string      `json:"target"`
	Path    string      `json:"path"`
	Query   [][2]string `json:"query"`
	Headers [][2]string `json:"headers"`
	Host    string      `json:"host"`
	Error   string      `json:"error"`
}

// runBatch sends reqs to an external signer as JSON on stdin and decodes its
// JSON answer, one process per batch.
func runBatch(t *testing.T, env []string, reqs []genReq, name string, args ...string) []extOut {
	t.Helper()
	in, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	var out []extOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%s: decoding output: %v\n%s", name, err, stdout.String())
	}
	if len(out) != len(reqs) {
		t.Fatalf("%s: %d results for %d requests", name, len(out), len(reqs))
	}
	for _, o := range out {
		if o.Error != "" {
			t.Fatalf("%s: request %d: %s", name, o.ID, o.Error)
		}
	}
	return out
}

// wireFromExternal assembles the wire request for an external signer's
// answer: Host first (unless the signer listed it), the signer's headers in
// order, then Content-Length if missing.
func wireFromExternal(g genReq, target, host string, headers [][2]string) *rawRequest {
	if host == "" {
		host = g.Host
	}
	rr := &rawRequest{Method: g.Method, Target: target, Proto: "HTTP/1.1", Body: g.Body}
	hasHost := slices.ContainsFunc(headers, func(h [2]string) bool { return strings.EqualFold(h[0], "Host") })
	if !hasHost {
		rr.Headers = append(rr.Headers, [2]string{"Host", host})
	}
	rr.Headers = append(rr.Headers, headers...)
	if !slices.ContainsFunc(headers, func(h [2]string) bool { return strings.EqualFold(h[0], "Content-Length") }) {
		rr.withContentLength()
	}
	return rr
}

func python(t *testing.T) string {
	t.Helper()
	p := requireTool(t, "python3")
	err := exec.Command(p, "-c", "import botocore.auth").Run()
	requireCondition(t, err == nil, "python3 cannot import botocore")
	return p
}

// botocoreOpts: botocore builds the canonical query from the raw URL query
// without decoding and re-encoding it (SigV4Auth._canonical_query_string_url),
// so header-signed requests must already carry a canonically encoded query;
// AWS would reject anything else it signed. Presigned URLs are rewritten by
// botocore itself (parse_qs + percent_encode_sequence), which keeps only the
// first value of a repeated key. SigV4QueryAuth also moves a request body
// into the query string (it presigns form posts), so presigned requests
// have no body.
func botocoreOpts(presign bool) genOpts {
	o := defaultGenOpts()
	o.presign = presign
	o.canonicalWire = true
	o.noBody = presign
	return o
}

func TestDifferentialBotocore(t *testing.T) {
	py := python(t)
	for _, presign := range []bool{false, true} {
		t.Run(formName(presign), func(t *testing.T) {
			reqs := generate(2, diffRequests, botocoreOpts(presign))
			out := runBatch(t, nil, reqs, py, "testdata/sign_botocore.py")
			var signed []signedWire
			for i, o := range out {
				signed = append(signed, signedWire{g: reqs[i], wire: wireFromExternal(reqs[i], o.Target, o.Host, o.Headers), normalizes: true})
			}
			checkSigned(t, signed, fixedClock(genTime))
		})
	}
}

func node(t *testing.T) (string, []string) {
	t.Helper()
	p := requireTool(t, "node")
	modules, err := filepath.Abs("../../testtools/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := os.Stat(filepath.Join(modules, "@smithy/signature-v4"))
	_, err2 := os.Stat(filepath.Join(modules, "aws4"))
	requireCondition(t, err1 == nil && err2 == nil, "npm modules missing in "+modules+" (run npm install there)")
	return p, []string{"NODE_PATH=" + modules}
}

// smithyOpts: @smithy/signature-v4 takes the query as decoded pairs and the
// headers as an object, so a header cannot be repeated on separate lines;
// the test encodes the pairs for the wire itself (with varied but valid
// encodings).
func smithyOpts(presign bool) genOpts {
	o := defaultGenOpts()
	o.presign = presign
	o.headerRepeats = false
	return o
}

func TestDifferentialSmithy(t *testing.T) {
	nodePath, env := node(t)
	for _, presign := range []bool{false, true} {
		t.Run(formName(presign), func(t *testing.T) {
			reqs := generate(3, diffRequests, smithyOpts(presign))
			out := runBatch(t, env, reqs, nodePath, "testdata/sign_node.cjs", "smithy")
			var signed []signedWire
			for i, o := range out {
				g := &generator{rnd: rand.New(rand.NewPCG(uint64(i), 99)), o: smithyOpts(presign)}
				target := o.Path
				if q := g.wireQuery(o.Query); q != "" {
					target += "?" + q
				}
				signed = append(signed, signedWire{g: reqs[i], wire: wireFromExternal(reqs[i], target, "", o.Headers), normalizes: true})
			}
			checkSigned(t, signed, fixedClock(genTime))
		})
	}
}

// aws4Opts: aws4 takes headers as an object (no repeated lines). It parses
// the query with Node's querystring, which turns '+' into a space; it then
// rewrites the query it sends, so the wire stays consistent.
func aws4Opts(presign bool) genOpts {
	o := defaultGenOpts()
	o.presign = presign
	o.headerRepeats = false
	return o
}

func TestDifferentialAWS4(t *testing.T) {
	nodePath, env := node(t)
	for _, presign := range []bool{false, true} {
		t.Run(formName(presign), func(t *testing.T) {
			reqs := generate(4, diffRequests, aws4Opts(presign))
			out := runBatch(t, env, reqs, nodePath, "testdata/sign_node.cjs", "aws4")
			var signed []signedWire
			for i, o := range out {
				signed = append(signed, signedWire{g: reqs[i], wire: wireFromExternal(reqs[i], o.Target, "", o.Headers), normalizes: true})
			}
			checkSigned(t, signed, fixedClock(genTime))
		})
	}
}

// curlOpts: curl 7.88's SigV4 (http_aws_sigv4.c) puts the request path
// into the canonical request as it is, without the second URI encoding AWS
// applies for non-S3 services, and the query string as it is, neither
// re-encoded nor sorted; paths must therefore hold only unreserved bytes
// and '/', and queries must be canonically encoded and sorted, or AWS would
// reject the request as well. It lists a header given twice twice in
// SignedHeaders ("x-foo;x-foo") and an empty header ("-H 'X;'") with a
// stray ';', both malformed. "-H 'X:'" removes the header from the request
// but still signs it. Those classes are left out.
func curlOpts() genOpts {
	o := defaultGenOpts()
	o.canonicalWire = true
	o.sortedWire = true
	o.headerRepeats = false
	o.emptyHeaders = false
	o.pathEscapes = false
	o.pathReserved = false
	return o
}

// TestDifferentialCurl lets curl --aws-sigv4 send ~50 requests to a raw TCP
// listener and verifies what arrived. curl signs with the real clock.
func TestDifferentialCurl(t *testing.T) {
	curl := requireTool(t, "curl")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type captured struct {
		r    *http.Request
		body []byte
		err  error
	}
	got := make(chan captured, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r, err := http.ReadRequest(bufio.NewReader(c))
			var body []byte
			if err == nil {
				body, err = io.ReadAll(r.Body)
			}
			io.WriteString(c, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
			c.Close()
			got <- captured{r, body, err}
		}
	}()
	dir := t.TempDir()
	reqs := generate(5, 50, curlOpts())
	var signed []signedWire
	for _, g := range reqs {
		args := []string{"-sS", "-o", "/dev/null", "--path-as-is", "--aws-sigv4", "aws:amz:" + g.Region + ":" + g.Service,
			"--user", g.AKID + ":" + g.Secret, "-X", g.Method}
		for _, h := range g.Headers {
			args = append(args, "-H", h[0]+": "+h[1])
		}
		if g.Token != "" {
			args = append(args, "-H", "x-amz-security-token: "+g.Token)
		}
		if len(g.Body) > 0 {
			f := filepath.Join(dir, fmt.Sprint(g.ID))
			if err := os.WriteFile(f, g.Body, 0o600); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--data-binary", "@"+f)
		}
		target := g.Path
		if g.RawQuery != "" {
			target += "?" + g.RawQuery
		}
		args = append(args, "http://"+ln.Addr().String()+target)
		if out, err := exec.Command(curl, args...).CombinedOutput(); err != nil {
			t.Fatalf("curl %q: %v\n%s", args, err, out)
		}
		c := <-got
		if c.err != nil {
			t.Fatalf("reading curl's request %d: %v", g.ID, c.err)
		}
		// Re-serialise what arrived so that checkSigned reads it the
		// same way as the other signers' requests.
		rr := &rawRequest{Method: c.r.Method, Target: c.r.RequestURI, Proto: "HTTP/1.1", Body: c.body}
		rr.Headers = append(rr.Headers, [2]string{"Host", c.r.Host})
		for k, vs := range c.r.Header {
			for _, v := range vs {
				rr.Headers = append(rr.Headers, [2]string{k, v})
			}
		}
		signed = append(signed, signedWire{g: g, wire: rr})
	}
	checkSigned(t, signed, time.Now)
}
