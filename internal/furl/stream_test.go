package furl

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/fnurl/fnurl/internal/lambda"
)

// TestStreamPrelude checks how a streamed result's HTTP prelude sets the
// status and headers, and that the answer does not depend on map order.
func TestStreamPrelude(t *testing.T) {
	const sep = "\x00\x00\x00\x00\x00\x00\x00\x00"
	tests := []struct {
		name       string
		stream     string
		wantStatus int
		wantHeader http.Header
		wantBody   string
	}{
		{"no prelude", "hello", 200, http.Header{"Content-Type": {"application/octet-stream"}}, "hello"},
		{"prelude", `{"statusCode":202,"headers":{"Content-Type":"text/plain","X-A":"1"},"cookies":["a=1","b=2"]}` + sep + "body",
			202, http.Header{"Content-Type": {"text/plain"}, "X-A": {"1"}, "Set-Cookie": {"a=1", "b=2"}}, "body"},
		{"names differing in case: the later wins", `{"statusCode":200,"headers":{"x-a":"1","X-A":"2","x-b":"3","X-b":"4","X-B":null}}` + sep + "b",
			200, http.Header{"Content-Type": {"application/octet-stream"}, "X-A": {"2"}, "X-B": {""}}, "b"},
		{"the last headers member counts", `{"statusCode":200,"headers":{"x-a":"1"},"Headers":{"x-c":"\u00e9"}}` + sep,
			200, http.Header{"Content-Type": {"application/octet-stream"}, "X-C": {"é"}}, ""},
		{"a non-string header is no prelude", `{"statusCode":200,"headers":{"x-a":1}}` + sep + "b",
			200, http.Header{"Content-Type": {"application/octet-stream"}}, `{"statusCode":200,"headers":{"x-a":1}}` + sep + "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 {
				rec := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/", nil)
				(&Handler{}).stream(rec, r, &lambda.URLConfig{}, strings.NewReader(tt.stream))
				if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody || !reflect.DeepEqual(rec.Header(), tt.wantHeader) {
					t.Fatalf("got %d %v %q, want %d %v %q", rec.Code, rec.Header(), rec.Body, tt.wantStatus, tt.wantHeader, tt.wantBody)
				}
			}
		})
	}
}
