package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fnurl/fnurl/internal/audit"
)

// BenchmarkServeURL measures the server's own work for one function URL
// request, from the request's bytes to the response, with the function
// answering at once (countingInvoker) and no network: an AWS_IAM URL called
// with a valid signature (authenticate, authorize, event, response
// mapping, audit event; the caches
// of the embedded store on), the same function's NONE URL (everything but
// SigV4 and the identity policies), and a wrong signature from an address
// already throttled (429) and not yet throttled (403).
func BenchmarkServeURL(b *testing.B) {
	// Events are recorded as by default, and dropped by the writer: what
	// storing them costs is BenchmarkInsertAuditEvents, and it would only
	// add the noise of a background goroutine here.
	log := audit.New(audit.Config{})
	defer log.Close()
	h := newHardeningServer(b, func(c *Config) { c.Audit = log })
	h.still = true
	rest := func(method, target string, body any) []byte {
		js, _ := json.Marshal(body)
		rec := h.do(h.sign(wire{method: method, target: target, body: string(js),
			header: http.Header{"Content-Type": {"application/json"}}}, h.root, "lambda"))
		if rec.Code/100 != 2 {
			b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	rest("POST", "/2015-03-31/functions/hello/aliases", map[string]string{"Name": "open", "FunctionVersion": "$LATEST"})
	var urlCfg struct{ FunctionUrl string }
	json.Unmarshal(rest("POST", "/2021-10-31/functions/hello/url?Qualifier=open", map[string]string{"AuthType": "NONE"}), &urlCfg)
	rest("POST", "/2015-03-31/functions/hello/policy?Qualifier=open", map[string]string{"StatementId": "public",
		"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"})
	nonePath := urlCfg.FunctionUrl[strings.Index(urlCfg.FunctionUrl, "/lambda-url/"):]

	raw := func(w wire) []byte {
		var buf bytes.Buffer
		buf.WriteString(w.method + " " + w.target + " HTTP/1.1\r\nHost: " + hardeningHost + "\r\n")
		w.header.Write(&buf)
		buf.WriteString("\r\n")
		return buf.Bytes()
	}
	get := func(path string) wire {
		return wire{method: "GET", target: path, header: http.Header{"User-Agent": {"bench"}}}
	}
	wrong := h.alice
	// Another first character: a random secret may start with any.
	first := "x"
	if strings.HasPrefix(wrong.SecretAccessKey, first) {
		first = "y"
	}
	wrong.SecretAccessKey = first + wrong.SecretAccessKey[1:]
	cases := []struct {
		name string
		req  []byte
		code int
		from string
	}{
		{"aws-iam", raw(h.sign(get(h.urlPath), h.alice, "lambda")), 200, "192.0.2.7:40000"},
		{"none", raw(get(nonePath)), 200, "192.0.2.7:40000"},
		{"throttled", raw(h.sign(get(h.urlPath), wrong, "lambda")), 429, "192.0.2.8:40000"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			src := bytes.NewReader(c.req)
			br := bufio.NewReader(src) // reused, as a server connection's
			serve := func() int {
				src.Reset(c.req)
				br.Reset(src)
				r, err := http.ReadRequest(br)
				if err != nil {
					b.Fatal(err)
				}
				r.RemoteAddr = c.from
				rec := httptest.NewRecorder()
				h.srv.ServeHTTP(rec, r)
				return rec.Code
			}
			for range 25 { // past the failure limiter's threshold
				serve()
			}
			b.ReportAllocs()
			for b.Loop() {
				if code := serve(); code != c.code {
					b.Fatalf("status %d, want %d", code, c.code)
				}
			}
		})
	}
}
