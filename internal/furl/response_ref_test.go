package furl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
)

// This file keeps the first implementation of MapResponse, which decoded
// the whole payload into a map and each member again, as the reference
// that FuzzMapResponseMatchesReference compares the current one with.

var errBadResponseRef = errors.New("function returned an invalid response")

func mapResponseRef(payload []byte) (*Response, error) {
	payload = bytes.TrimSpace(payload)
	if !json.Valid(payload) {
		return nil, errBadResponseRef
	}
	resp := &Response{Status: http.StatusOK, Header: http.Header{}}
	resp.Header.Set("Content-Type", "application/json")
	var obj map[string]json.RawMessage
	if payload[0] == '{' && json.Unmarshal(payload, &obj) == nil {
		if sc, ok := obj["statusCode"]; ok {
			return structuredRef(obj, sc)
		}
	}
	if payload[0] == '"' {
		var s string
		if err := json.Unmarshal(payload, &s); err != nil {
			return nil, errBadResponseRef
		}
		resp.Body = []byte(s)
		return resp, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, payload); err != nil {
		return nil, errBadResponseRef
	}
	resp.Body = buf.Bytes()
	return resp, nil
}

func structuredRef(obj map[string]json.RawMessage, sc json.RawMessage) (*Response, error) {
	resp := &Response{Header: http.Header{}}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(sc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errBadResponseRef
	}
	switch x := v.(type) {
	case json.Number:
		n = x
	case string:
		n = json.Number(x)
	default:
		return nil, errBadResponseRef
	}
	status, err := strconv.Atoi(string(n))
	if err != nil || status < 100 || status > 599 {
		return nil, errBadResponseRef
	}
	resp.Status = status
	if raw, ok := obj["headers"]; ok && string(raw) != "null" {
		// Members are applied in document order: of two names that
		// differ only in case, the later wins.
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, errBadResponseRef
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, errBadResponseRef
			}
			k := tok.(string)
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, errBadResponseRef
			}
			switch x := v.(type) {
			case string:
				resp.Header.Set(k, x)
			case float64, bool:
				b, _ := json.Marshal(x)
				resp.Header.Set(k, string(b))
			default:
				return nil, errBadResponseRef
			}
		}
	}
	if raw, ok := obj["cookies"]; ok && string(raw) != "null" {
		var cs []string
		if err := json.Unmarshal(raw, &cs); err != nil {
			return nil, errBadResponseRef
		}
		for _, c := range cs {
			resp.Header.Add("Set-Cookie", c)
		}
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	var b64 bool
	if raw, ok := obj["isBase64Encoded"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, errBadResponseRef
		}
	}
	if raw, ok := obj["body"]; ok && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if b64 {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, errBadResponseRef
				}
				resp.Body = b
			} else {
				resp.Body = []byte(s)
			}
		} else {
			// A body that is a JSON value other than a string is sent as
			// compact JSON.
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, errBadResponseRef
			}
			resp.Body = buf.Bytes()
		}
	}
	return resp, nil
}

// FuzzMapResponseMatchesReference checks that MapResponse answers exactly
// as the reference implementation does: same error, status, headers and
// body.
func FuzzMapResponseMatchesReference(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":200,"body":"x"}`, `"s"`, `[1]`, `{"statusCode":"200","headers":{"a":1},"cookies":["c"]}`, `{`,
		`{"statusCode":201,"headers":{"Content-Type":"text/plain","X-A":"1","X-B":true},"cookies":["a=1; Path=/","b=2"],"body":"ok"}`,
		`{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w=="}`, `{"statusCode":200,"body":{"a": [1, 2]}}`,
		`{"statusCode":200,"statusCode":"204"}`, `{"status\u0043ode":302,"headers":{"Location":"/x"}}`, `{"StatusCode":200}`,
		`{"statusCode":null}`, `{"statusCode":2e2}`, `{"statusCode":-0}`, `{"statusCode":200,"body":"caf\u00e9 \ud800"}`,
		` {"statusCode" : 200 , "body" : "\"quoted\"" } `, `{"statusCode":200,"isBase64Encoded":"true","body":"x"}`,
		`{"statusCode":200,"body":null,"headers":null,"cookies":null,"isBase64Encoded":null}`, `"\u00e9\n"`, `3.10`, `{"a":{"statusCode":1}}`,
		"{\"statusCode\":200,\"body\":\"\xff\"}", `{"statusCode":200,"headers":{"a":[1]}}`, `{"statusCode":200,"cookies":[1]}`,
		`{"statusCode":200,"headers":{"x-a":"1","X-A":"2","x-A":3}}`, `{"statusCode":200,"headers":{"a":1e400}}`, `{"statusCode":200,"headers":{"a":1e21,"b":-0.0000001}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := MapResponse(b)
		want, werr := mapResponseRef(b)
		if (err != nil) != (werr != nil) {
			t.Fatalf("MapResponse(%q) error %v, reference %v", b, err, werr)
		}
		if err != nil {
			return
		}
		if got.Status != want.Status || !bytes.Equal(got.Body, want.Body) || !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("MapResponse(%q) = %d %v %q, reference %d %v %q", b, got.Status, got.Header, got.Body, want.Status, want.Header, want.Body)
		}
	})
}

// FuzzUnquote checks unquote against encoding/json on every valid JSON
// string.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"plain"`, `"caf\u00e9"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`, `"\ud800\u0041"`, `"a\"b\\c\/d\b\f\n\r\t"`, "\"\xff\xfe\"", `"\u00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &want) != nil {
			return
		}
		got, err := unquote(bytes.Trim(b, " \t\r\n"))
		if err != nil || string(got) != want {
			t.Fatalf("unquote(%q) = %q, %v, want %q", b, got, err, want)
		}
	})
}
