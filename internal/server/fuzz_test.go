package server

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiTargets are the operations the API fuzz targets start from: method,
// path and a valid body of each. The fuzzer changes all three.
var apiTargets = []struct{ service, method, path, body string }{
	{"lambda", "POST", "/2015-03-31/functions", `{"FunctionName":"f1","Runtime":"nodejs20.x","Handler":"index.handler","Role":"arn:aws:iam::111122223333:role/fn","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},"Environment":{"Variables":{"A":"b"}},"MemorySize":256,"Timeout":30}`},
	{"lambda", "PUT", "/2015-03-31/functions/hello/configuration", `{"Description":"d","Timeout":10,"Environment":{"Variables":{"K":"v"}}}`},
	{"lambda", "PUT", "/2015-03-31/functions/hello/code", `{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==","Publish":true}`},
	{"lambda", "POST", "/2015-03-31/functions/hello/invocations", `{"key":"value"}`},
	{"lambda", "POST", "/2015-03-31/functions/hello/versions", `{"Description":"v"}`},
	{"lambda", "POST", "/2015-03-31/functions/hello/aliases", `{"Name":"live","FunctionVersion":"$LATEST","RoutingConfig":{"AdditionalVersionWeights":{"1":0.5}}}`},
	{"lambda", "POST", "/2015-03-31/functions/hello/policy", `{"StatementId":"s1","Action":"lambda:InvokeFunctionUrl","Principal":"*","FunctionUrlAuthType":"NONE","SourceArn":"arn:aws:s3:::b","PrincipalOrgID":"o-123"}`},
	{"lambda", "DELETE", "/2015-03-31/functions/hello/policy/s1?Qualifier=live", ``},
	{"lambda", "POST", "/2021-10-31/functions/hello/url?Qualifier=live", `{"AuthType":"NONE","InvokeMode":"RESPONSE_STREAM","Cors":{"AllowOrigins":["https://a.example"],"AllowMethods":["GET"],"MaxAge":60,"AllowCredentials":true}}`},
	{"lambda", "PUT", "/2021-10-31/functions/hello/url", `{"AuthType":"AWS_IAM","Cors":{"AllowHeaders":["x-a"],"ExposeHeaders":["x-b"]}}`},
	{"lambda", "PUT", "/2017-10-31/functions/hello/concurrency", `{"ReservedConcurrentExecutions":5}`},
	{"lambda", "GET", "/2015-03-31/functions?MaxItems=5&Marker=abc&FunctionVersion=ALL", ``},
	{"iam", "POST", "/", `Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D`},
	{"iam", "POST", "/", `Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=x&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22NotAction%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%2C%22Condition%22%3A%7B%22IpAddress%22%3A%7B%22aws%3ASourceIp%22%3A%2210.0.0.0%2F8%22%7D%7D%7D%7D`},
	{"iam", "POST", "/", `Action=CreateRole&Version=2010-05-08&RoleName=r&MaxSessionDuration=7200&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k&Tags.member.1.Value=v`},
	{"iam", "POST", "/", `Action=TagUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=team&Tags.member.1.Value=a&Tags.member.2.Key=x`},
	{"iam", "POST", "/", `Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3%3AGetObject&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.1.ContextKeyType=ip&ContextEntries.member.1.ContextKeyValues.member.1=1.2.3.4`},
	{"iam", "GET", "/?Action=ListUsers&Version=2010-05-08&MaxItems=2&PathPrefix=%2F", ``},
	{"sts", "POST", "/", `Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Ffn&RoleSessionName=s&DurationSeconds=900&Policy=%7B%7D&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fx`},
	{"sts", "POST", "/", `Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900`},
	{"sts", "POST", "/", `Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAEXAMPLE`},
}

// FuzzAPI sends fuzzed IAM, STS and Lambda API requests, correctly signed by
// the root user where a client could sign them, through the whole server.
// Whatever the method, path, query and body, the answer must never be a
// server error (a panic is one: the server turns it into a 500), and every
// refusal must be AWS-shaped: an XML ErrorResponse with a Code for IAM and
// STS, an x-amzn-ErrorType header and a JSON message for Lambda.
func FuzzAPI(f *testing.F) {
	for i, tg := range apiTargets {
		f.Add(uint8(i), tg.method, tg.path, tg.body)
	}
	h := newHardeningServer(f)
	f.Fuzz(func(t *testing.T, which uint8, method, target, body string) {
		tg := apiTargets[int(which)%len(apiTargets)]
		if !strings.HasPrefix(target, "/") {
			return
		}
		// Only what a real server would accept as a request line gets here.
		raw := method + " " + target + " HTTP/1.1\r\nHost: " + hardeningHost + "\r\n\r\n"
		if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw))); err != nil {
			return
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			return
		}
		hdr := http.Header{}
		switch tg.service {
		case "lambda":
			hdr.Set("Content-Type", "application/json")
		default:
			hdr.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		w, err := h.trySign(wire{method: method, target: target, header: hdr, body: body}, h.root, tg.service)
		if err != nil {
			// No client can sign a query with a broken % escape: it goes
			// with the signature of the same request without its query,
			// and the server must refuse it AWS's way.
			path, _, _ := strings.Cut(target, "?")
			w = h.sign(wire{method: method, target: path, header: hdr, body: body}, h.root, tg.service)
			w.target = target
		}
		rec := h.do(w)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q → %d %s", method, target, body, rec.Code, rec.Body)
		}
		if rec.Code < 400 {
			return
		}
		if typ := rec.Header().Get("X-Amzn-Errortype"); typ != "" {
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || (m["Message"] == nil && m["message"] == nil) {
				t.Fatalf("%s %s %q → %d %s %s: not a Lambda error body", method, target, body, rec.Code, typ, rec.Body)
			}
			return
		}
		var e struct {
			Code string `xml:"Error>Code"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Fatalf("%s %s %q → %d %s: not an AWS error", method, target, body, rec.Code, rec.Body)
		}
	})
}
