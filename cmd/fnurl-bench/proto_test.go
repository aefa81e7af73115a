package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/http1"
	"github.com/fnurl/fnurl/internal/sigv4"
)

// TestProto checks the prototype's path: a request signed by its caller is
// invoked with a payload 2.0 event naming the caller, and the function's
// result is mapped; a wrong signature, another key or a resource the
// policy does not allow gets 403 without an invocation.
func TestProto(t *testing.T) {
	const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:echo"
	cfg := protoConfig{KeyID: "AKIAPROTO", Secret: "proto-secret", UserARN: "arn:aws:iam::000000000000:user/bench", UserID: "AIDAPROTO",
		Account: "000000000000", Resource: fnARN, URLID: "abcdefghijklmnopqrstuvwxyz012345",
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnARN + `"}]}`}
	newFloor := func(t *testing.T, cfg protoConfig) *floor {
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "proto.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		// A buffered next: a runtime's connection waits there without
		// a goroutine blocked on it.
		f := &floor{next: make(chan net.Conn, 1), results: make(chan []byte, 1)}
		if f.proto, err = newProto(file); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// request returns a GET signed with secret, parsed as the prototype
	// parses it.
	request := func(t *testing.T, key, secret string) *http.Request {
		req, err := http.NewRequest("GET", "http://127.0.0.1:9/path?a=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sigv4.Sign(req, sigv4.EmptyPayloadHash, sigv4.Credentials{AccessKeyID: key, SecretAccessKey: secret}, "us-east-1", "lambda", time.Now()); err != nil {
			t.Fatal(err)
		}
		raw, err := newRawRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		r := http1.ParseHead(raw, false)
		if r == nil {
			t.Fatalf("ParseHead refused %q", raw)
		}
		r.RemoteAddr = "127.0.0.1:40000"
		return r
	}
	// runtime answers the next invocation with result and returns the
	// event it was sent.
	runtime := func(t *testing.T, f *floor, result string) <-chan []byte {
		events := make(chan []byte, 1)
		server, client := net.Pipe()
		t.Cleanup(func() { server.Close(); client.Close() })
		f.next <- server
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(client), nil)
			if err != nil {
				events <- nil
				return
			}
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			events <- b.Bytes()
			f.results <- []byte(result)
		}()
		return events
	}

	t.Run("allowed", func(t *testing.T) {
		f := newFloor(t, cfg)
		events := runtime(t, f, `{"statusCode":201,"headers":{"X-A":"b"},"body":"made"}`)
		resp := string(f.proto.serve(f, request(t, cfg.KeyID, cfg.Secret), nil))
		if !strings.HasPrefix(resp, "HTTP/1.1 201 Created\r\n") || !strings.Contains(resp, "\r\nX-A: b\r\n") || !strings.HasSuffix(resp, "\r\nContent-Length: 4\r\n\r\nmade") {
			t.Errorf("response %q", resp)
		}
		var ev struct {
			RawPath        string `json:"rawPath"`
			RawQueryString string `json:"rawQueryString"`
			RequestContext struct {
				APIID      string `json:"apiId"`
				Authorizer struct {
					IAM struct {
						AccessKey, UserArn string
					} `json:"iam"`
				} `json:"authorizer"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal(<-events, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.RawPath != "/path" || ev.RawQueryString != "a=1" || ev.RequestContext.APIID != cfg.URLID ||
			ev.RequestContext.Authorizer.IAM.AccessKey != cfg.KeyID || ev.RequestContext.Authorizer.IAM.UserArn != cfg.UserARN {
			t.Errorf("event %+v", ev)
		}
	})
	for _, tc := range []struct {
		name, key, secret, resource string
	}{
		{"wrong signature", cfg.KeyID, "wrong", fnARN},
		{"another key", "AKIAOTHER", cfg.Secret, fnARN},
		{"resource not allowed", cfg.KeyID, cfg.Secret, fnARN + "-other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Resource = tc.resource
			f := newFloor(t, c)
			events := runtime(t, f, `"invoked"`)
			resp := string(f.proto.serve(f, request(t, tc.key, tc.secret), nil))
			if !strings.HasPrefix(resp, "HTTP/1.1 403 Forbidden\r\n") {
				t.Errorf("response %q, want 403", resp)
			}
			select {
			case ev := <-events:
				t.Errorf("the function was invoked with %s", ev)
			case <-time.After(50 * time.Millisecond):
			}
		})
	}
}
