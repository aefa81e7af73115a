package server

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/keyring"
	"github.com/fnurl/fnurl/internal/lambda"
	"github.com/fnurl/fnurl/internal/sigv4"
	"github.com/fnurl/fnurl/internal/store/sqlite"
	"github.com/fnurl/fnurl/internal/sts"
)

// TestSignatureHardening sends 10,000 signed requests, each a valid request
// with exactly one element changed — method, host, path, a query parameter,
// a signed header's value or presence, the body, the date, each part of the
// credential scope, the access key, the session token, the signed-header
// list or the signature — through the whole server (IAM, STS, the Lambda
// API, function URLs with header and presigned signatures). Every original
// must be accepted and no mutant may be: each must fail authentication
// (never be throttled, which would hide what verification decided) and no
// mutant may reach a function.
func TestSignatureHardening(t *testing.T) {
	const want = 10000
	h := newHardeningServer(t)
	rng := mrand.New(mrand.NewPCG(1, 2))
	codes := map[string]int{}
	mutants, bases := 0, 0
	for i := 0; mutants < want; i++ {
		base := h.base(t, i%5, rng)
		if rec := h.do(base); rec.Code != http.StatusOK {
			t.Fatalf("unmutated request %d (%s %s) = %d %s", i, base.method, base.target, rec.Code, rec.Body)
		}
		bases++
		for _, m := range h.mutations(base) {
			mutants++
			rec := h.do(m.req)
			code := errorCode(rec)
			codes[code]++
			if rec.Code < 400 || rec.Code == http.StatusTooManyRequests {
				t.Errorf("mutation %q of %s %s was answered %d %s (%s)", m.what, base.method, base.target, rec.Code, code, rec.Body)
			}
		}
	}
	if got, max := h.invoker.calls.Load(), int64(bases); got > max {
		t.Errorf("functions were invoked %d times for %d accepted requests: a mutant reached a function", got, max)
	}
	var summary []string
	for c, n := range codes {
		summary = append(summary, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(summary)
	t.Logf("%d originals accepted, %d mutants rejected: %s", bases, mutants, strings.Join(summary, " "))
}

// hardeningServer is a whole fnurl server in process, with a clock that
// advances one second per request so that no key or address reaches the
// failure limiter's threshold (20 failures in 10 s).
type hardeningServer struct {
	srv     *Server
	clk     *fakeClock
	invoker *countingInvoker
	root    sigv4.Credentials
	alice   sigv4.Credentials // long-term key of a user allowed everything
	session sigv4.Credentials // alice's temporary credentials
	other   sigv4.Credentials // a second session of alice's
	urlPath string            // /lambda-url/<id>/
	still   bool              // the clock does not advance per request
}

const hardeningHost = "127.0.0.1:8686"

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) tick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// countingInvoker stands in for the function runtime: the front door is
// under test here, and a function answers 200.
type countingInvoker struct{ calls atomic.Int64 }

func (c *countingInvoker) Invoke(ctx context.Context, inv *lambda.Invocation) (*lambda.Result, error) {
	c.calls.Add(1)
	return &lambda.Result{Payload: []byte(`{"statusCode":200,"body":"ok"}`)}, nil
}

func newHardeningServer(t testing.TB, opts ...func(*Config)) *hardeningServer {
	t.Helper()
	ctx := context.Background()
	clk := &fakeClock{t: time.Now().UTC()}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fnurl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	master := make([]byte, 32)
	rand.Read(master)
	keys, err := keyring.New(master)
	if err != nil {
		t.Fatal(err)
	}
	root := sigv4.Credentials{AccessKeyID: iam.NewAccessKeyID("AKIA"), SecretAccessKey: iam.NewSecretAccessKey()}
	ids, _, err := iam.Open(ctx, db, keys, iam.Config{AccountID: "111122223333", RootAccessKeyID: root.AccessKeyID,
		RootSecretAccessKey: root.SecretAccessKey, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tokens := sts.New(keys, ids, sts.Config{Now: clk.Now})
	fns := lambda.New(db, ids, ids.AccountID(), "us-east-1", clk.Now)
	// As fnurl serve does with its embedded store.
	ids.CacheReads()
	fns.CacheReads()
	h := &hardeningServer{clk: clk, invoker: &countingInvoker{}, root: root}
	cfg := Config{Region: "us-east-1", Endpoint: "http://" + hardeningHost, Invoker: h.invoker, Account: ids.AccountID(),
		Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	h.srv = New(cfg, ids, tokens, fns)

	query := func(c sigv4.Credentials, service, form string) string {
		t.Helper()
		rec := h.do(h.sign(wire{method: "POST", target: "/", body: form,
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}, c, service))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", form, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	field := func(xml, name string) string {
		m := regexp.MustCompile("<" + name + ">([^<]*)</" + name + ">").FindStringSubmatch(xml)
		if m == nil {
			t.Fatalf("no %s in %s", name, xml)
		}
		return m[1]
	}
	query(root, "iam", "Action=CreateUser&Version=2010-05-08&UserName=alice")
	query(root, "iam", "Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=all&PolicyDocument="+
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	out := query(root, "iam", "Action=CreateAccessKey&Version=2010-05-08&UserName=alice")
	h.alice = sigv4.Credentials{AccessKeyID: field(out, "AccessKeyId"), SecretAccessKey: field(out, "SecretAccessKey")}
	for _, c := range []*sigv4.Credentials{&h.session, &h.other} {
		out = query(h.alice, "sts", "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=129600")
		*c = sigv4.Credentials{AccessKeyID: field(out, "AccessKeyId"), SecretAccessKey: field(out, "SecretAccessKey"), SessionToken: field(out, "SessionToken")}
	}
	query(root, "iam", "Action=CreateRole&Version=2010-05-08&RoleName=fn&AssumeRolePolicyDocument="+
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))

	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, _ := zw.Create("bootstrap")
	io.WriteString(f, "#!/bin/sh\n")
	zw.Close()
	rest := func(method, target string, body any) []byte {
		t.Helper()
		b, _ := json.Marshal(body)
		rec := h.do(h.sign(wire{method: method, target: target, body: string(b),
			header: http.Header{"Content-Type": {"application/json"}}}, root, "lambda"))
		if rec.Code/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	rest("POST", "/2015-03-31/functions", map[string]any{"FunctionName": "hello", "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Role": "arn:aws:iam::111122223333:role/fn", "Code": map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(zipped.Bytes())}})
	var urlCfg struct{ FunctionUrl string }
	if err := json.Unmarshal(rest("POST", "/2021-10-31/functions/hello/url", map[string]string{"AuthType": "AWS_IAM"}), &urlCfg); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(urlCfg.FunctionUrl)
	if err != nil || !strings.HasPrefix(u.Path, "/lambda-url/") {
		t.Fatalf("function URL %q is not path-style", urlCfg.FunctionUrl)
	}
	h.urlPath = u.Path
	return h
}

// wire is a request as it crosses the network.
type wire struct {
	method, host, target string // target is the request URI
	header               http.Header
	body                 string
}

func (w wire) clone() wire {
	w.header = w.header.Clone()
	return w
}

func (h *hardeningServer) do(w wire) *httptest.ResponseRecorder {
	host := w.host
	if host == "" {
		host = hardeningHost
	}
	r := httptest.NewRequest(w.method, "http://"+host+w.target, strings.NewReader(w.body))
	for k, v := range w.header {
		r.Header[k] = v
	}
	r.RemoteAddr = "192.0.2.7:40000"
	if !h.still {
		h.clk.tick()
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, r)
	return rec
}

// sign signs w with c in its Authorization header at the next tick.
func (h *hardeningServer) sign(w wire, c sigv4.Credentials, service string) wire {
	w, err := h.trySign(w, c, service)
	if err != nil {
		panic(err)
	}
	return w
}

// trySign is sign for a request the signer may refuse (a query with a
// broken escape cannot be canonicalised): it returns w unchanged and the
// signer's error.
func (h *hardeningServer) trySign(w wire, c sigv4.Credentials, service string) (wire, error) {
	r := httptest.NewRequest(w.method, "http://"+hardeningHost+w.target, nil)
	for k, v := range w.header {
		r.Header[k] = v
	}
	at := h.clk.Now()
	if !h.still {
		at = h.clk.tick()
	}
	if err := sigv4.Sign(r, sigv4.PayloadHash([]byte(w.body)), c, "us-east-1", service, at); err != nil {
		return w, err
	}
	w.header = r.Header
	return w, nil
}

// base returns a valid signed request of one of five kinds.
func (h *hardeningServer) base(t testing.TB, kind int, rng *mrand.Rand) wire {
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789-_.~"
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	switch kind {
	case 0: // STS, form body, temporary credentials
		return h.sign(wire{method: "POST", target: "/", header: form, body: "Action=GetCallerIdentity&Version=2011-06-15"}, h.session, "sts")
	case 1: // IAM, query string, long-term key
		return h.sign(wire{method: "GET", target: "/?Action=GetUser&UserName=alice&Version=2010-05-08"}, h.alice, "iam")
	case 2: // Lambda REST API, temporary credentials
		return h.sign(wire{method: "GET", target: "/2015-03-31/functions/hello/configuration?Qualifier=%24LATEST"}, h.session, "lambda")
	case 3: // function URL, body, payload hash header and an extra signed header
		body := `{"n":"` + word() + `"}`
		hdr := http.Header{"Content-Type": {"application/json"}, "X-Amz-Content-Sha256": {sigv4.PayloadHash([]byte(body))},
			"X-Amz-Meta-Trace": {word()}}
		return h.sign(wire{method: "POST", target: h.urlPath + "p/" + word() + "?a=" + word() + "&b=" + word(), header: hdr, body: body}, h.session, "lambda")
	default: // presigned function URL
		r := httptest.NewRequest("GET", "http://"+hardeningHost+h.urlPath+"q/"+word()+"?z="+word(), nil)
		u, err := sigv4.Presign(r, h.session, "us-east-1", "lambda", h.clk.tick(), 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return wire{method: "GET", target: u.RequestURI(), header: http.Header{}}
	}
}

type mutant struct {
	what string
	req  wire
}

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`)

// mutations returns every one-element change of w that must not verify.
func (h *hardeningServer) mutations(w wire) []mutant {
	var out []mutant
	add := func(what string, f func(m *wire)) {
		m := w.clone()
		f(&m)
		out = append(out, mutant{what, m})
	}
	path, rawQuery, _ := strings.Cut(w.target, "?")
	q, _ := url.ParseQuery(rawQuery)
	presigned := q.Has("X-Amz-Signature")
	withQuery := func(m *wire, q url.Values) {
		m.target = path
		if len(q) > 0 {
			m.target += "?" + q.Encode()
		}
	}

	// The request line, the host and the body.
	add("method", func(m *wire) {
		m.method = map[string]string{"GET": "POST", "POST": "PUT"}[m.method]
	})
	add("host", func(m *wire) { m.host = "127.0.0.1:8687" })
	add("path", func(m *wire) { m.target = strings.Replace(m.target, path, path+"x", 1) })
	add("body", func(m *wire) {
		if m.body == "" {
			m.body = "x"
		} else {
			b := []byte(m.body)
			b[len(b)/2] ^= 0x01
			m.body = string(b)
		}
	})
	for k := range q {
		if presigned && strings.HasPrefix(k, "X-Amz-") {
			continue
		}
		add("query value "+k, func(m *wire) {
			q2, _ := url.ParseQuery(rawQuery)
			q2.Set(k, q2.Get(k)+"1")
			withQuery(m, q2)
		})
		add("query without "+k, func(m *wire) {
			q2, _ := url.ParseQuery(rawQuery)
			q2.Del(k)
			withQuery(m, q2)
		})
	}
	add("query added", func(m *wire) {
		q2, _ := url.ParseQuery(rawQuery)
		q2.Set("extra", "1")
		withQuery(m, q2)
	})

	// The signature's own elements: in the Authorization header, or in the
	// X-Amz-* query parameters of a presigned URL.
	var keyID, date, region, service, signed, sig string
	if presigned {
		cred := strings.Split(q.Get("X-Amz-Credential"), "/")
		keyID, date, region, service = cred[0], cred[1], cred[2], cred[3]
		signed, sig = q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")
	} else {
		p := authRE.FindStringSubmatch(w.header.Get("Authorization"))
		if p == nil {
			panic("unexpected Authorization header " + w.header.Get("Authorization"))
		}
		keyID, date, region, service, signed, sig = p[1], p[2], p[3], p[4], p[5], p[6]
	}
	setAuth := func(m *wire, keyID, date, region, service, signed, sig string) {
		if presigned {
			q2, _ := url.ParseQuery(strings.SplitN(m.target, "?", 2)[1])
			q2.Set("X-Amz-Credential", keyID+"/"+date+"/"+region+"/"+service+"/aws4_request")
			q2.Set("X-Amz-SignedHeaders", signed)
			q2.Set("X-Amz-Signature", sig)
			withQuery(m, q2)
			return
		}
		m.header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+keyID+"/"+date+"/"+region+"/"+service+"/aws4_request, SignedHeaders="+signed+", Signature="+sig)
	}
	t, _ := time.Parse("20060102", date)
	for _, alt := range []struct{ what, keyID, date, region, service, signed, sig string }{
		{what: "access key: another valid key", keyID: h.root.AccessKeyID},
		{what: "access key: unknown", keyID: "AKIA" + strings.Repeat("Z", 16)},
		{what: "scope date: day before", date: t.AddDate(0, 0, -1).Format("20060102")},
		{what: "scope date: day after", date: t.AddDate(0, 0, 1).Format("20060102")},
		{what: "scope region", region: "us-west-2"},
		{what: "scope service: another fnurl service", service: map[string]string{"lambda": "sts", "sts": "iam", "iam": "lambda"}[service]},
		{what: "scope service: unknown", service: "s3"},
		{what: "signature: one hex digit", sig: sig[:10] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", sig[10])+1)%16]) + sig[11:]},
		{what: "signature: upper case", sig: strings.ToUpper(sig)},
		{what: "signature: truncated", sig: sig[:63]},
		{what: "signature: zero", sig: strings.Repeat("0", 64)},
		{what: "signed headers: one dropped", signed: dropLast(signed)},
		{what: "signed headers: user-agent added", signed: signed + ";user-agent"},
	} {
		if alt.keyID == "" && alt.date == "" && alt.region == "" && alt.service == "" && alt.signed == "" && alt.sig == "" {
			continue
		}
		add(alt.what, func(m *wire) {
			setAuth(m, or(alt.keyID, keyID), or(alt.date, date), or(alt.region, region), or(alt.service, service), or(alt.signed, signed), or(alt.sig, sig))
		})
	}

	// The date and the session token, where they travel.
	if presigned {
		for _, p := range []struct{ what, key, value string }{
			{"date: one second later", "X-Amz-Date", shiftDate(q.Get("X-Amz-Date"))},
			{"expires", "X-Amz-Expires", "901"},
			{"token: one byte", "X-Amz-Security-Token", flipMiddle(q.Get("X-Amz-Security-Token"))},
			{"token: another session's", "X-Amz-Security-Token", h.other.SessionToken},
			{"token: removed", "X-Amz-Security-Token", ""},
		} {
			add(p.what, func(m *wire) {
				q2, _ := url.ParseQuery(rawQuery)
				if p.value == "" {
					q2.Del(p.key)
				} else {
					q2.Set(p.key, p.value)
				}
				withQuery(m, q2)
			})
		}
		return out
	}
	for _, name := range strings.Split(signed, ";") {
		if name == "host" {
			continue
		}
		k := http.CanonicalHeaderKey(name)
		v := w.header.Get(k)
		changed := v + "1"
		switch name {
		case "x-amz-date":
			changed = shiftDate(v)
		case "x-amz-security-token":
			changed = flipMiddle(v)
			add("token: another session's", func(m *wire) { m.header.Set(k, h.other.SessionToken) })
		case "x-amz-content-sha256":
			changed = sigv4.PayloadHash([]byte(w.body + " "))
		}
		add("signed header value "+name, func(m *wire) { m.header.Set(k, changed) })
		add("signed header removed "+name, func(m *wire) { m.header.Del(k) })
	}
	return out
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func dropLast(signed string) string {
	names := strings.Split(signed, ";")
	if len(names) < 2 {
		return ""
	}
	return strings.Join(names[:len(names)-1], ";")
}

func shiftDate(v string) string {
	t, err := time.Parse(sigv4.TimeFormat, v)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Second).Format(sigv4.TimeFormat)
}

func flipMiddle(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

var xmlCodeRE = regexp.MustCompile(`<Code>([^<]+)</Code>`)

// errorCode is the AWS error code of an answer, or its status.
func errorCode(rec *httptest.ResponseRecorder) string {
	if c := rec.Header().Get("X-Amzn-Errortype"); c != "" {
		return strings.SplitN(c, ":", 2)[0]
	}
	if m := xmlCodeRE.FindStringSubmatch(rec.Body.String()); m != nil {
		return m[1]
	}
	var j struct{ Message string }
	if json.Unmarshal(rec.Body.Bytes(), &j) == nil && j.Message != "" {
		return fmt.Sprintf("%d:%s", rec.Code, j.Message)
	}
	return fmt.Sprint(rec.Code)
}
