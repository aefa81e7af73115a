package awsproto_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
)

func TestNewRequestID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	before := time.Now().UnixMilli()
	prev := ""
	for range 1000 {
		id := awsproto.NewRequestID()
		if !re.MatchString(id) {
			t.Fatalf("NewRequestID() = %q, not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate request ID %q", id)
		}
		seen[id] = true
		// The first 48 bits are the time in milliseconds: IDs sort by it.
		ms, err := strconv.ParseInt(id[:8]+id[9:13], 16, 64)
		if err != nil || ms < before || ms > time.Now().UnixMilli() {
			t.Fatalf("NewRequestID() = %q: time %d, want between %d and now", id, ms, before)
		}
		if prev != "" && id[:13] < prev[:13] {
			t.Fatalf("%q sorts before the earlier %q", id, prev)
		}
		prev = id
	}
}

func TestQueryParams(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		target   string
		ct       string
		body     string
		wantCode string
		want     map[string]string
	}{
		{"get", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", "", "", "", map[string]string{"Action": "GetCallerIdentity", "Version": "2011-06-15"}},
		{"post form", "POST", "/", "application/x-www-form-urlencoded; charset=utf-8", "Action=CreateUser&UserName=a%2Bb+c", "", map[string]string{"Action": "CreateUser", "UserName": "a+b c"}},
		{"post no content type", "POST", "/", "", "Action=GetCallerIdentity", "", map[string]string{"Action": "GetCallerIdentity"}},
		{"query wins", "POST", "/?Action=A", "application/x-www-form-urlencoded", "Action=B", "", map[string]string{"Action": "A"}},
		{"bad escape in body", "POST", "/", "application/x-www-form-urlencoded", "Action=%zz", "MalformedQueryString", nil},
		{"bad escape in query", "GET", "/?Action=%", "", "", "MalformedQueryString", nil},
		{"json body", "POST", "/", "application/json", `{"Action":"x"}`, "UnsupportedMediaType", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			v, err := awsproto.QueryParams(r, []byte(tt.body))
			if got := awserr.CodeOf(err); got != tt.wantCode {
				t.Fatalf("QueryParams error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			for k, want := range tt.want {
				if got := v.Get(k); got != want {
					t.Errorf("param %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

type callerIdentity struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

func TestWriteQueryResult(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(awsproto.WithRequestID(r.Context(), "req-1"))
	w := httptest.NewRecorder()
	if err := awsproto.WriteQueryResult(w, r, "GetCallerIdentity", awsproto.NamespaceSTS,
		callerIdentity{Arn: "arn:aws:iam::123456789012:root", UserID: "123456789012", Account: "123456789012"}); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/xml" {
		t.Fatalf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var got struct {
		XMLName xml.Name
		Result  callerIdentity `xml:"GetCallerIdentityResult"`
		ReqID   string         `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("unmarshal %s: %v", w.Body, err)
	}
	if got.XMLName.Local != "GetCallerIdentityResponse" || got.XMLName.Space != awsproto.NamespaceSTS {
		t.Errorf("root element = %v", got.XMLName)
	}
	if got.Result.Account != "123456789012" || got.Result.Arn != "arn:aws:iam::123456789012:root" || got.ReqID != "req-1" {
		t.Errorf("decoded = %+v", got)
	}
}

func TestWriteQueryError(t *testing.T) {
	tests := []struct {
		name               string
		err                error
		ns                 string
		wantStatus         int
		wantType, wantCode string
	}{
		{"sender", awserr.New("SignatureDoesNotMatch", 403, "bad sig"), awsproto.NamespaceSTS, 403, "Sender", "SignatureDoesNotMatch"},
		{"internal sts", errors.New("boom"), awsproto.NamespaceSTS, 500, "Receiver", "InternalFailure"},
		{"internal iam", errors.New("boom"), awsproto.NamespaceIAM, 500, "Receiver", "ServiceFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r = r.WithContext(awsproto.WithRequestID(r.Context(), "req-2"))
			w := httptest.NewRecorder()
			awsproto.WriteQueryError(w, r, tt.ns, tt.err)
			var got struct {
				XMLName xml.Name
				Type    string `xml:"Error>Type"`
				Code    string `xml:"Error>Code"`
				Message string `xml:"Error>Message"`
				ReqID   string `xml:"RequestId"`
			}
			if err := xml.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.wantStatus || got.Type != tt.wantType || got.Code != tt.wantCode || got.ReqID != "req-2" || got.XMLName.Local != "ErrorResponse" {
				t.Errorf("got %d %+v", w.Code, got)
			}
			if strings.Contains(w.Body.String(), "boom") {
				t.Error("internal cause leaked to the client")
			}
		})
	}
}

func TestWriteJSONError(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantType   string
		wantKey    string
		wantMsg    string
	}{
		{awserr.New("SignatureDoesNotMatch", 403, "sig"), 403, "InvalidSignatureException", "message", "sig"},
		{awserr.New("InvalidClientTokenId", 403, "The security token included in the request is invalid."), 403, "UnrecognizedClientException", "message", "The security token included in the request is invalid."},
		{awserr.New("ResourceNotFoundException", 404, "Function not found"), 404, "ResourceNotFoundException", "Message", "Function not found"},
		{errors.New("boom"), 500, "ServiceException", "Message", "An internal error occurred. Try again."},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		w := httptest.NewRecorder()
		awsproto.WriteJSONError(w, r, tt.err)
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != tt.wantStatus || w.Header().Get("x-amzn-ErrorType") != tt.wantType || body[tt.wantKey] != tt.wantMsg {
			t.Errorf("WriteJSONError(%v): %d %s %v", tt.err, w.Code, w.Header().Get("x-amzn-ErrorType"), body)
		}
	}
	_ = http.StatusOK
}

func FuzzQueryParams(f *testing.F) {
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", "application/x-www-form-urlencoded", "Action=X")
	f.Add("%zz", "", "a=%")
	f.Add("", "application/json", "{}")
	f.Fuzz(func(t *testing.T, query, ct, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.URL.RawQuery = query
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		v, err := awsproto.QueryParams(r, []byte(body))
		if err != nil {
			if e := awserr.As(err); e.Internal() {
				t.Fatalf("bad input gave an internal error: %v", err)
			}
			return
		}
		_ = v.Get("Action")
	})
}
