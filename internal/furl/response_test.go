package furl

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestMapResponse(t *testing.T) {
	tests := []struct {
		name       string
		payload    string
		wantStatus int
		wantBody   string
		wantHeader map[string][]string
		wantErr    bool
	}{
		{"structured", `{"statusCode":200,"body":"\"Hello from Lambda!\""}`, 200, `"Hello from Lambda!"`, map[string][]string{"Content-Type": {"application/json"}}, false},
		{"status as string", `{"statusCode":"418","body":"teapot"}`, 418, "teapot", nil, false},
		{"headers and cookies", `{"statusCode":201,"headers":{"Content-Type":"text/plain","X-A":"1"},"cookies":["a=1; Path=/","b=2"],"body":"ok"}`, 201, "ok",
			map[string][]string{"Content-Type": {"text/plain"}, "X-A": {"1"}, "Set-Cookie": {"a=1; Path=/", "b=2"}}, false},
		{"base64 body", `{"statusCode":200,"isBase64Encoded":true,"body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}) + `"}`, 200, "\x00\x01\x02\xff", nil, false},
		{"object body", `{"statusCode":200,"body":{"a": [1, 2]}}`, 200, `{"a":[1,2]}`, nil, false},
		{"no body", `{"statusCode":204}`, 204, "", nil, false},
		{"plain object", `{"hello": "world"}`, 200, `{"hello":"world"}`, map[string][]string{"Content-Type": {"application/json"}}, false},
		{"string", `"hello"`, 200, "hello", nil, false},
		{"number", `3.1`, 200, "3.1", nil, false},
		{"array", `["hello", 3, true]`, 200, `["hello",3,true]`, nil, false},
		{"not json", `hello`, 0, "", nil, true},
		{"bad status", `{"statusCode":"abc"}`, 0, "", nil, true},
		{"status out of range", `{"statusCode":1000}`, 0, "", nil, true},
		{"bad base64", `{"statusCode":200,"isBase64Encoded":true,"body":"***"}`, 0, "", nil, true},
		{"empty", ``, 0, "", nil, true},
		{"header names differing in case: the later wins", `{"statusCode":200,"headers":{"x-a":"1","X-A":"2","b":true,"B":false,"c":1e21,"C":2.5}}`, 200, "",
			map[string][]string{"X-A": {"2"}, "B": {"false"}, "C": {"2.5"}}, false},
		{"number header", `{"statusCode":200,"headers":{"c":1e21,"d":-0.0000001,"e":10}}`, 200, "", map[string][]string{"C": {"1e+21"}, "D": {"-1e-7"}, "E": {"10"}}, false},
		{"header number out of range", `{"statusCode":200,"headers":{"c":1e400}}`, 0, "", nil, true},
		{"null header", `{"statusCode":200,"headers":{"c":null}}`, 0, "", nil, true},
		{"headers not an object", `{"statusCode":200,"headers":["c"]}`, 0, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Repeated: the answer must not depend on map iteration order.
			for range 20 {
				checkMapResponse(t, tt.payload, tt.wantErr, tt.wantStatus, tt.wantBody, tt.wantHeader)
			}
		})
	}
}

// checkMapResponse maps payload and compares the result with the wanted one.
func checkMapResponse(t *testing.T, payload string, wantErr bool, wantStatus int, wantBody string, wantHeader map[string][]string) {
	t.Helper()
	got, err := MapResponse([]byte(payload))
	if (err != nil) != wantErr {
		t.Fatalf("MapResponse(%s) error = %v, wantErr %v", payload, err, wantErr)
	}
	if err != nil {
		return
	}
	if got.Status != wantStatus || string(got.Body) != wantBody {
		t.Fatalf("MapResponse(%s) = %d %q, want %d %q", payload, got.Status, got.Body, wantStatus, wantBody)
	}
	for k, want := range wantHeader {
		if g := got.Header.Values(k); !reflect.DeepEqual(g, want) {
			t.Fatalf("MapResponse(%s): header %s = %q, want %q", payload, k, g, want)
		}
	}
}

func FuzzMapResponse(f *testing.F) {
	for _, s := range []string{`{"statusCode":200,"body":"x"}`, `"s"`, `[1]`, `{"statusCode":"200","headers":{"a":1},"cookies":["c"]}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := MapResponse(b)
		if err == nil && (r.Status < 100 || r.Status > 599) {
			t.Fatalf("status %d out of range", r.Status)
		}
	})
}

func TestBuildEvent(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 1, 500e6, time.UTC)
	h := http.Header{}
	h.Add("Content-Type", "application/json")
	h.Add("Cookie", "foo=bar; hello=hello")
	h.Add("Header2", "h1")
	h.Add("Header2", "h2")
	h.Add("User-Agent", "curl/8")
	h.Add("Authorization", "AWS4-HMAC-SHA256 Credential=...")
	h.Add("X-Amz-Date", "20261123T120001Z")
	iamAuth := &IAMAuthorizer{AccessKey: "AKIAEXAMPLE", AccountID: "111122223333", CallerID: "AIDAEXAMPLE",
		UserArn: "arn:aws:iam::111122223333:user/alice", UserID: "AIDAEXAMPLE"}
	r := &Request{Method: "POST", RawPath: "/pa%2Fth/1", RawQuery: "multi=foo&multi=%2Fbar&b=2", Header: h, Host: "127.0.0.1:8686",
		RemoteAddr: "10.0.0.5:5555", Body: []byte(`{"hello": "world"}`), URLID: "abcdefghijklmnopqrstuvwxyz012345",
		RequestID: "5bbd0e3e-fe7a-4299-9076-32d4de45391b", Time: at, IAM: iamAuth}
	b, err := BuildEvent(r)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	headers := e["headers"].(map[string]any)
	rc := e["requestContext"].(map[string]any)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"version", e["version"], "2.0"},
		{"routeKey", e["routeKey"], "$default"},
		{"rawPath", e["rawPath"], "/pa%2Fth/1"},
		{"rawQueryString", e["rawQueryString"], "multi=foo&multi=%2Fbar&b=2"},
		{"cookies", e["cookies"], []any{"foo=bar", "hello=hello"}},
		{"query", e["queryStringParameters"], map[string]any{"multi": "foo,/bar", "b": "2"}},
		{"body", e["body"], `{"hello": "world"}`},
		{"isBase64Encoded", e["isBase64Encoded"], false},
		{"header join", headers["header2"], "h1,h2"},
		{"cookie header kept", headers["cookie"], "foo=bar; hello=hello"},
		{"authorization stripped", headers["authorization"], nil},
		{"x-amz-date kept", headers["x-amz-date"], "20261123T120001Z"},
		{"x-forwarded-for", headers["x-forwarded-for"], "10.0.0.5"},
		{"host", headers["host"], "127.0.0.1:8686"},
		{"accountId", rc["accountId"], "111122223333"},
		{"apiId", rc["apiId"], "abcdefghijklmnopqrstuvwxyz012345"},
		{"requestId", rc["requestId"], "5bbd0e3e-fe7a-4299-9076-32d4de45391b"},
		{"time", rc["time"], "23/Nov/2026:12:00:01 +0000"},
		{"timeEpoch", rc["timeEpoch"], float64(at.UnixMilli())},
		{"http.method", rc["http"].(map[string]any)["method"], "POST"},
		{"http.path", rc["http"].(map[string]any)["path"], "/pa%2Fth/1"},
		{"http.sourceIp", rc["http"].(map[string]any)["sourceIp"], "10.0.0.5"},
		{"http.userAgent", rc["http"].(map[string]any)["userAgent"], "curl/8"},
		{"authorizer.iam.userArn", rc["authorizer"].(map[string]any)["iam"].(map[string]any)["userArn"], "arn:aws:iam::111122223333:user/alice"},
		{"authorizer.iam.cognitoIdentity", rc["authorizer"].(map[string]any)["iam"].(map[string]any)["cognitoIdentity"], nil},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}

	// NONE auth: no authorizer, anonymous account, authorization kept;
	// binary and untyped bodies are base64; no query, cookies or body keys.
	r.IAM = nil
	r.RawQuery = ""
	h.Del("Cookie")
	h.Set("Content-Type", "application/octet-stream")
	r.Body = []byte{0xff, 0x00}
	b, _ = BuildEvent(r)
	e = map[string]any{}
	json.Unmarshal(b, &e)
	rc = e["requestContext"].(map[string]any)
	if rc["accountId"] != "anonymous" || rc["authorizer"] != nil || e["headers"].(map[string]any)["authorization"] == nil {
		t.Errorf("NONE event: %s", b)
	}
	if e["isBase64Encoded"] != true || e["body"] != base64.StdEncoding.EncodeToString([]byte{0xff, 0x00}) {
		t.Errorf("binary body: %v %v", e["isBase64Encoded"], e["body"])
	}
	for _, k := range []string{"queryStringParameters", "cookies"} {
		if _, ok := e[k]; ok {
			t.Errorf("%s present without a query/cookie", k)
		}
	}
	r.Body = nil
	b, _ = BuildEvent(r)
	e = map[string]any{}
	json.Unmarshal(b, &e)
	if _, ok := e["body"]; ok || e["isBase64Encoded"] != false {
		t.Errorf("no body: %s", b)
	}
}

func TestIsText(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/plain": true, "text/html; charset=utf-8": true, "application/json": true, "application/json; charset=utf-8": true,
		"application/xml": true, "application/javascript": true, "": false, "application/x-www-form-urlencoded": false,
		"multipart/form-data; boundary=x": false, "application/octet-stream": false, "idk": false, "application/ld+json": false,
	} {
		if got := isText(ct); got != want {
			t.Errorf("isText(%q) = %v, want %v", ct, got, want)
		}
	}
}

func FuzzBuildEvent(f *testing.F) {
	f.Add("/a%2Fb", "a=1&a=2&b", "text/plain", "foo=bar; x", []byte("body"))
	f.Add("/", "%zz=%", "", "", []byte{0xff})
	f.Fuzz(func(t *testing.T, path, query, ct, cookie string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", ct)
		h.Set("Cookie", cookie)
		b, err := BuildEvent(&Request{Method: "GET", RawPath: path, RawQuery: query, Header: h, Host: "h", RemoteAddr: "1.2.3.4:5",
			Body: body, Time: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON event: %s", b)
		}
	})
}

// TestEventHeaders checks the event's headers beyond copying: what the
// front end removes, sets or adds, and names equal but for case.
func TestEventHeaders(t *testing.T) {
	at := time.Unix(1767268800, 0)
	tests := []struct {
		name   string
		header http.Header
		iam    bool
		want   map[string]string // expected values; "" means absent
	}{
		{"signature stripped for AWS_IAM", http.Header{"Authorization": {"AWS4-HMAC-SHA256 x"}}, true,
			map[string]string{"authorization": ""}},
		{"authorization kept for NONE", http.Header{"Authorization": {"Bearer t"}}, false,
			map[string]string{"authorization": "Bearer t"}},
		{"forwarding headers set by the front end", http.Header{"X-Forwarded-For": {"10.0.0.1"}, "X-Forwarded-Proto": {"https"}, "Host": {"evil"}}, false,
			map[string]string{"x-forwarded-for": "192.0.2.7", "x-forwarded-proto": "http", "x-forwarded-port": "8686", "host": "u.example:8686"}},
		{"trace ID kept", http.Header{"X-Amzn-Trace-Id": {"Root=1-abc"}}, false,
			map[string]string{"x-amzn-trace-id": "Root=1-abc"}},
		{"empty trace ID replaced", http.Header{"X-Amzn-Trace-Id": {""}}, false,
			map[string]string{"x-amzn-trace-id": "Root=1-695661c0-req100000000000000000000"}},
		{"names equal but for case joined", http.Header{"X-Tag": {"a", "b"}, "x-tag": {"c"}}, false,
			map[string]string{"x-tag": "a,b,c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Request{Method: "GET", RawPath: "/", Header: tc.header, Host: "u.example:8686", RemoteAddr: "192.0.2.7:1234",
				URLID: "u", RequestID: "req1", Time: at}
			if tc.iam {
				r.IAM = &IAMAuthorizer{}
			}
			b, err := BuildEvent(r)
			if err != nil {
				t.Fatal(err)
			}
			var ev struct{ Headers map[string]string }
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if got, ok := ev.Headers[k]; got != want || (want == "") == ok {
					t.Errorf("headers[%q] = %q (present %v), want %q", k, got, ok, want)
				}
			}
		})
	}
}
