package furl

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Request is the HTTP request a function URL received, as the event
// builder needs it.
type Request struct {
	Method     string
	RawPath    string // the path the function sees, percent-encoding preserved
	RawQuery   string
	Header     http.Header
	Host       string
	RemoteAddr string
	Body       []byte
	URLID      string
	RequestID  string
	Time       time.Time
	TLS        bool
	IAM        *IAMAuthorizer // nil for NONE auth
}

// IAMAuthorizer is requestContext.authorizer.iam of an AWS_IAM request.
type IAMAuthorizer struct {
	AccessKey       string  `json:"accessKey"`
	AccountID       string  `json:"accountId"`
	CallerID        string  `json:"callerId"`
	CognitoIdentity *string `json:"cognitoIdentity"`
	PrincipalOrgID  *string `json:"principalOrgId"`
	UserArn         string  `json:"userArn"`
	UserID          string  `json:"userId"`
}

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

// textTypes are the media types whose bodies reach the function as text;
// every other body, including one without a Content-Type, is base64, as
// function URLs (payload format 2.0) do.
func isText(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript":
		return true
	}
	return false
}

// BuildEvent returns the JSON event for r.
func BuildEvent(r *Request) ([]byte, error) {
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = h
	}
	headers := make(map[string]string, len(r.Header)+6)
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "authorization" && r.IAM != nil {
			continue // Lambda strips the signature of AWS_IAM requests
		}
		headers[lk] = strings.Join(vs, ",")
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

// queryParams decodes a raw query string; repeated keys are joined with
// commas, as function URLs do.
func queryParams(raw string) map[string]string {
	out := map[string]string{}
	keys := []string{}
	vals := map[string][]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = append(vals[k], v)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = strings.Join(vals[k], ",")
	}
	return out
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

// traceID makes an X-Ray style trace ID: Root=1-<epoch hex>-<24 hex>.
func traceID(t time.Time, requestID string) string {
	id := strings.ReplaceAll(requestID, "-", "")
	if len(id) > 24 {
		id = id[:24]
	}
	for len(id) < 24 {
		id += "0"
	}
	return "Root=1-" + hex8(t.Unix()) + "-" + id
}

func hex8(n int64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b)
}
