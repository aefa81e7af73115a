package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFunctionURLRouting(t *testing.T) {
	id := "abcdefghijklmnopqrstuvwxyz012345"
	tests := []struct {
		host, target     string
		wantID, wantPath string
		wantOK           bool
	}{
		{"127.0.0.1:8686", "/lambda-url/" + id + "/", id, "/", true},
		{"127.0.0.1:8686", "/lambda-url/" + id, id, "/", true},
		{"127.0.0.1:8686", "/lambda-url/" + id + "/a%2Fb/c?x=1", id, "/a%2Fb/c", true},
		{"127.0.0.1:8686", "/lambda-url/short/x", "short", "/", true},
		{id + ".lambda-url.us-east-1.example.com", "/path?q", id, "/path", true},
		{strings.ToUpper(id) + ".LAMBDA-URL.us-east-1.example.com", "/", id, "/", true},
		{"127.0.0.1:8686", "/2015-03-31/functions", "", "", false},
		{"lambda.us-east-1.amazonaws.com", "/", "", "", false},
		{"notanid.lambda-url.us-east-1.on.aws", "/", "", "", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.target, nil)
		r.Host = tt.host
		id, path, ok := functionURL(r)
		if ok != tt.wantOK || id != tt.wantID || path != tt.wantPath {
			t.Errorf("functionURL(%s %s) = %q, %q, %v; want %q, %q, %v", tt.host, tt.target, id, path, ok, tt.wantID, tt.wantPath, tt.wantOK)
		}
	}
}

func TestGuessService(t *testing.T) {
	tests := []struct {
		host, target, want string
	}{
		{"iam.amazonaws.com", "/", "iam"},
		{"sts.us-east-1.amazonaws.com", "/", "sts"},
		{"lambda.us-east-1.amazonaws.com", "/", "lambda"},
		{"127.0.0.1:8686", "/2015-03-31/functions/f/invocations", "lambda"},
		{"127.0.0.1:8686", "/2021-10-31/functions/f/url", "lambda"},
		{"127.0.0.1:8686", "/?Action=ListUsers", "iam"},
		{"127.0.0.1:8686", "/?Action=AssumeRole", "sts"},
		{"127.0.0.1:8686", "/", "sts"},
		{"127.0.0.1:8686", "/2015-3-31/functions", "sts"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.target, nil)
		r.Host = tt.host
		if got := guessService(r); got != tt.want {
			t.Errorf("guessService(%s %s) = %s, want %s", tt.host, tt.target, got, tt.want)
		}
	}
}

func TestFlushComplete(t *testing.T) {
	cases := []struct {
		name   string
		method string
		write  func(w http.ResponseWriter)
		flush  bool
	}{
		{"body as long as its Content-Length", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "5")
			w.Write([]byte("hello"))
		}, true},
		{"empty body of Content-Length 0", "POST", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusAccepted)
		}, true},
		{"body shorter than its Content-Length", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "6")
			w.Write([]byte("hello"))
		}, false},
		{"no Content-Length", "GET", func(w http.ResponseWriter) {
			w.Write([]byte("hello"))
		}, false},
		{"malformed Content-Length", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "5x")
			w.Write([]byte("hello"))
		}, false},
		{"HEAD", "HEAD", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
		}, false},
		{"nothing written", "GET", func(w http.ResponseWriter) {}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			rec := &recorder{ResponseWriter: rr}
			c.write(rec)
			rec.flushComplete(httptest.NewRequest(c.method, "/", nil))
			if rr.Flushed != c.flush {
				t.Errorf("flushed = %v, want %v", rr.Flushed, c.flush)
			}
		})
	}
}
