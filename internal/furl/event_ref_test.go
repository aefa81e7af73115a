package furl

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// event is the payload format 2.0 event of a function URL invocation.
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	Authorizer   *authorizer `json:"authorizer,omitempty"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         httpContext `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

type authorizer struct {
	IAM *IAMAuthorizer `json:"iam"`
}

type httpContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// This file keeps the first implementation of BuildEvent, which filled the
// event struct and marshalled it with encoding/json, as the reference that
// FuzzBuildEventMatchesReference compares the current one with, byte for
// byte.

// buildEventRef is the first BuildEvent: the event struct through
// encoding/json.
func buildEventRef(r *Request) ([]byte, error) {
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = h
	}
	headers := make(map[string]string, len(r.Header)+6)
	// Names equal in lower case are joined, in the order of the names.
	names := slices.SortedFunc(maps.Keys(r.Header), func(a, b string) int {
		return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
	})
	for _, k := range names {
		lk := strings.ToLower(k)
		if lk == "authorization" && r.IAM != nil {
			continue // Lambda strips the signature of AWS_IAM requests
		}
		v := strings.Join(r.Header[k], ",")
		if lk == "x-amzn-trace-id" && v == "" {
			continue
		}
		if old, ok := headers[lk]; ok {
			v = old + "," + v
		}
		headers[lk] = v
	}
	headers["host"] = r.Host
	proto, port := "http", "80"
	if r.TLS {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = proto
	headers["x-forwarded-port"] = port
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = traceID(r.Time, r.RequestID)
	}
	e := event{
		Version: "2.0", RouteKey: "$default", RawPath: r.RawPath, RawQueryString: r.RawQuery, Headers: headers,
		RequestContext: requestContext{
			AccountID: "anonymous", APIID: r.URLID, DomainName: hostOnly(r.Host), DomainPrefix: r.URLID,
			HTTP:      httpContext{Method: r.Method, Path: r.RawPath, Protocol: "HTTP/1.1", SourceIP: sourceIP, UserAgent: r.Header.Get("User-Agent")},
			RequestID: r.RequestID, RouteKey: "$default", Stage: "$default",
			Time: r.Time.UTC().Format("02/Jan/2006:15:04:05 +0000"), TimeEpoch: r.Time.UnixMilli(),
		},
	}
	if r.IAM != nil {
		e.RequestContext.AccountID = r.IAM.AccountID
		e.RequestContext.Authorizer = &authorizer{IAM: r.IAM}
	}
	if c := r.Header.Values("Cookie"); len(c) > 0 {
		for _, line := range c {
			for _, part := range strings.Split(line, ";") {
				if part = strings.TrimSpace(part); part != "" {
					e.Cookies = append(e.Cookies, part)
				}
			}
		}
	}
	if r.RawQuery != "" {
		e.QueryStringParameters = queryParams(r.RawQuery)
	}
	if len(r.Body) > 0 {
		var body string
		if isText(r.Header.Get("Content-Type")) {
			body = string(r.Body)
		} else {
			body = base64.StdEncoding.EncodeToString(r.Body)
			e.IsBase64Encoded = true
		}
		e.Body = &body
	}
	return json.Marshal(e)
}

// FuzzBuildEventMatchesReference checks that BuildEvent writes exactly the
// bytes encoding/json writes for the event struct.
func FuzzBuildEventMatchesReference(f *testing.F) {
	f.Add("GET", "/a%2Fb", "a=1&a=2&b", "text/plain", "foo=bar; x", "curl/8 <&>", "h:8080", "1.2.3.4:5", []byte("body"), true, true)
	f.Add("POST", "/", "%zz=%", "", "", "", "[::1]:443", "[::1]:9", []byte{0xff, 0, '"'}, false, false)
	f.Add("PUT", "/\u2028\"\x01", "k=\u2029&k=\xff", "application/json", "a=\x7f", "\t\n\r\b\f", "h\xc3", "bad", []byte("{\"a\":\"\u2028\"}"), true, false)
	f.Fuzz(func(t *testing.T, method, path, query, ct, cookie, ua, host, remote string, body []byte, iamAuth, tls bool) {
		h := http.Header{}
		h.Set("Content-Type", ct)
		h.Set("Cookie", cookie)
		h.Set("User-Agent", ua)
		h.Add("X-Multi", ua)
		h.Add("X-Multi", path)
		h.Set("Authorization", "AWS4-HMAC-SHA256 "+cookie)
		h["Non-Canonical_"+query] = []string{host}
		h["non-canonical_"+query] = []string{ua} // the same name in lower case
		r := &Request{Method: method, RawPath: path, RawQuery: query, Header: h, Host: host, RemoteAddr: remote, Body: body,
			URLID: "abc" + query, RequestID: "r-" + cookie, Time: time.Unix(int64(len(body))*1e6, 0), TLS: tls}
		if iamAuth {
			r.IAM = &IAMAuthorizer{AccessKey: "AKID" + ua, AccountID: "111122223333", CallerID: cookie, UserArn: "arn:" + ua, UserID: path}
		}
		got, err := BuildEvent(r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := buildEventRef(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("BuildEvent =\n%s\nencoding/json =\n%s", got, want)
		}
	})
}
