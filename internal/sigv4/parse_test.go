package sigv4

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testSig    = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
)

// newServerRequest builds a request the way net/http's server would present
// it; headers are name, value pairs.
func newServerRequest(method, target string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, "http://example.amazonaws.com"+target, nil)
	r.Host = "example.amazonaws.com"
	r.RequestURI = target
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

const goodAuthz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + testSig

func TestParseHeaderForm(t *testing.T) {
	r := newServerRequest("GET", "/", "X-Amz-Date", "20150830T123600Z", "Authorization", goodAuthz, "X-Amz-Security-Token", "tok")
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	want := Auth{
		AccessKeyID:   testAKID,
		Date:          "20150830",
		Region:        "us-east-1",
		Service:       "service",
		SignedHeaders: []string{"host", "x-amz-date"},
		Signature:     testSig,
		Time:          time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
		SecurityToken: "tok",
		terminator:    Terminator,
		fromWire:      true,
	}
	if a.Presigned || a.AccessKeyID != want.AccessKeyID || a.Date != want.Date || a.Region != want.Region ||
		a.Service != want.Service || !slices.Equal(a.SignedHeaders, want.SignedHeaders) || a.Signature != want.Signature ||
		!a.Time.Equal(want.Time) || a.SecurityToken != want.SecurityToken || a.terminator != want.terminator || !a.fromWire {
		t.Errorf("Parse = %+v, want %+v", *a, want)
	}
	if got, want := a.Scope(), "20150830/us-east-1/service/aws4_request"; got != want {
		t.Errorf("Scope() = %q, want %q", got, want)
	}
}

func TestParseVariants(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		check   func(*Auth) bool
	}{
		{"last duplicate parameter wins", []string{"X-Amz-Date", "20150830T123600Z", "Authorization",
			"AWS4-HMAC-SHA256 Signature=00, Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=" + testSig},
			func(a *Auth) bool { return a.Signature == testSig }},
		{"no spaces after commas", []string{"X-Amz-Date", "20150830T123600Z", "Authorization",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host,Signature=" + testSig},
			func(a *Auth) bool { return a.Signature == testSig && a.Region == "us-east-1" }},
		{"Date header fallback RFC 1123", []string{"Date", "Sun, 30 Aug 2015 12:36:00 GMT", "Authorization", goodAuthz},
			func(a *Auth) bool { return a.Time.Equal(time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)) }},
		{"Date header in ISO 8601 basic format", []string{"Date", "20150830T123600Z", "Authorization", goodAuthz},
			func(a *Auth) bool { return a.Time.Equal(time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)) }},
		{"X-Amz-Date wins over Date", []string{"Date", "Mon, 31 Aug 2015 12:36:00 GMT", "X-Amz-Date", "20150830T123600Z", "Authorization", goodAuthz},
			func(a *Auth) bool { return a.Time.Day() == 30 }},
		{"extended ISO 8601 in X-Amz-Date", []string{"X-Amz-Date", "2015-08-30T12:36:00Z", "Authorization", goodAuthz},
			func(a *Auth) bool { return a.Time.Equal(time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)) }},
		{"first Authorization header is used", []string{"X-Amz-Date", "20150830T123600Z", "Authorization", goodAuthz, "Authorization", "garbage"},
			func(a *Auth) bool { return a.Signature == testSig }},
		{"unknown parameters ignored", []string{"X-Amz-Date", "20150830T123600Z", "Authorization", goodAuthz + ", Foo=bar"},
			func(a *Auth) bool { return a.Signature == testSig }},
		{"wrong terminator is parsed for CheckScope", []string{"X-Amz-Date", "20150830T123600Z", "Authorization",
			strings.Replace(goodAuthz, "aws4_request", "aws5_request", 1)},
			func(a *Auth) bool { return a.terminator == "aws5_request" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(newServerRequest("GET", "/", tt.headers...))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tt.check(a) {
				t.Errorf("Parse = %+v, check failed", *a)
			}
		})
	}
}

func TestParsePresigned(t *testing.T) {
	q := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request" +
		"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-amz-meta&X-Amz-Security-Token=a%2Bb" +
		"&X-Amz-Signature=" + testSig + "&X-Amz-Expires=90"
	a, err := Parse(newServerRequest("GET", "/?"+q))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Presigned || a.AccessKeyID != testAKID || a.Service != "service" || a.Expires != 60*time.Second ||
		a.SecurityToken != "a+b" || !slices.Equal(a.SignedHeaders, []string{"host", "x-amz-meta"}) || a.Signature != testSig {
		t.Errorf("Parse = %+v", *a)
	}
}

func TestParseErrors(t *testing.T) {
	const date = "20150830T123600Z"
	presign := func(drop string, extra string) string {
		params := []string{
			"X-Amz-Algorithm=AWS4-HMAC-SHA256",
			"X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request",
			"X-Amz-Date=" + date,
			"X-Amz-Expires=60",
			"X-Amz-SignedHeaders=host",
			"X-Amz-Signature=" + testSig,
		}
		var keep []string
		for _, p := range params {
			if !strings.HasPrefix(p, drop+"=") || drop == "" {
				keep = append(keep, p)
			}
		}
		if extra != "" {
			keep = append(keep, extra)
		}
		return "/?" + strings.Join(keep, "&")
	}
	tests := []struct {
		name    string
		target  string
		headers []string
		kind    Kind
		msg     string // exact message when it starts with '=', else a substring
	}{
		{"nothing", "/", nil, KindMissing, "=Request is missing Authentication Token"},
		{"both forms", presign("", ""), []string{"Authorization", goodAuthz, "X-Amz-Date", date}, KindIncomplete, "Only one auth mechanism"},
		{"bad algorithm in header", "/", []string{"Authorization", "AWS4-HMAC-SHA512 Credential=x", "X-Amz-Date", date},
			KindIncomplete, "=Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
		{"bearer token", "/", []string{"Authorization", "Bearer abc"}, KindIncomplete, "=Unsupported AWS 'algorithm': 'Bearer'."},
		{"empty authorization", "/", []string{"Authorization", ""}, KindIncomplete, "=Unsupported AWS 'algorithm': ''."},
		{"missing equal sign", "/", []string{"Authorization", "AWS4-HMAC-SHA256 Credential=1234, SignedHeadersdate;host", "X-Amz-Date", date},
			KindIncomplete, "='SignedHeadersdate;host' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=1234, SignedHeadersdate;host'"},
		{"all parameters missing", "/", []string{"Authorization", "AWS4-HMAC-SHA256"}, KindIncomplete,
			"=Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{"signature missing", "/", []string{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host", "X-Amz-Date", date},
			KindIncomplete, "=Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256"},
		{"date missing", "/", []string{"Authorization", goodAuthz}, KindIncomplete,
			"=Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{"host not signed", "/", []string{"Authorization", strings.Replace(goodAuthz, "host;x-amz-date", "x-amz-date", 1), "X-Amz-Date", date},
			KindMismatch, "='Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"signed headers unsorted", "/", []string{"Authorization", strings.Replace(goodAuthz, "host;x-amz-date", "x-amz-date;host", 1), "X-Amz-Date", date},
			KindIncomplete, "SignedHeaders must be"},
		{"signed headers upper case", "/", []string{"Authorization", strings.Replace(goodAuthz, "host;x-amz-date", "Host;x-amz-date", 1), "X-Amz-Date", date},
			KindIncomplete, "SignedHeaders must be"},
		{"signed headers duplicate", "/", []string{"Authorization", strings.Replace(goodAuthz, "host;x-amz-date", "host;host", 1), "X-Amz-Date", date},
			KindIncomplete, "SignedHeaders must be"},
		{"signed headers empty element", "/", []string{"Authorization", strings.Replace(goodAuthz, "host;x-amz-date", "host;;x-amz-date", 1), "X-Amz-Date", date},
			KindIncomplete, "SignedHeaders must be"},
		{"bad date", "/", []string{"Authorization", goodAuthz, "X-Amz-Date", "2015-08-30 12:36:00"},
			KindIncomplete, "=Date must be in ISO-8601 'basic format'. Got '2015-08-30 12:36:00'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"impossible date", "/", []string{"Authorization", goodAuthz, "X-Amz-Date", "20150230T123600Z"}, KindIncomplete, "basic format"},
		{"bad Date header", "/", []string{"Authorization", goodAuthz, "Date", "yesterday"}, KindIncomplete, "Got 'yesterday'"},
		{"credential with four elements", "/", []string{"Authorization", strings.Replace(goodAuthz, "/aws4_request", "", 1), "X-Amz-Date", date},
			KindIncomplete, "=Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/service'"},
		{"credential with six elements", "/", []string{"Authorization", strings.Replace(goodAuthz, "/aws4_request", "/aws4_request/x", 1), "X-Amz-Date", date},
			KindIncomplete, "exactly 5 slash-delimited"},
		{"malformed query escape", "/?a=%zz", []string{"Authorization", goodAuthz, "X-Amz-Date", date},
			KindIncomplete, "=Illegal hex character in escape % pattern: %zz"},
		{"truncated query escape", "/?a=%4", nil, KindIncomplete, "=Incomplete trailing escape % sequence"},
		{"presign: bad algorithm", "/?X-Amz-Algorithm=AWS4-HMAC-SHA1", nil, KindMissing, "=Request is missing Authentication Token"},
		{"presign: everything missing", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", nil, KindIncomplete,
			"=AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters."},
		{"presign: credential missing", presign("X-Amz-Credential", ""), nil, KindIncomplete,
			"=AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the query-string parameters."},
		{"presign: signature missing", presign("X-Amz-Signature", ""), nil, KindIncomplete, "must include 'X-Amz-Signature'"},
		{"presign: signed headers missing", presign("X-Amz-SignedHeaders", ""), nil, KindIncomplete, "must include 'X-Amz-SignedHeaders'"},
		{"presign: date missing", presign("X-Amz-Date", ""), nil, KindIncomplete, "must include 'X-Amz-Date'"},
		{"presign: expires missing", presign("X-Amz-Expires", ""), nil, KindIncomplete, "must include 'X-Amz-Expires'"},
		{"presign: expires not a number", presign("X-Amz-Expires", "X-Amz-Expires=1h"), nil, KindIncomplete, "=X-Amz-Expires should be a number"},
		{"presign: bad date", presign("X-Amz-Date", "X-Amz-Date=2015"), nil, KindIncomplete, "Got '2015'"},
		{"presign: host not signed", presign("X-Amz-SignedHeaders", "X-Amz-SignedHeaders=x-amz-date"), nil, KindMismatch, "'Host' or ':authority'"},
		{"presign: short credential", presign("X-Amz-Credential", "X-Amz-Credential=AKID%2F20150830"), nil, KindIncomplete, "got 'AKID/20150830'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(newServerRequest("GET", tt.target, tt.headers...))
			if err == nil {
				t.Fatalf("Parse = %+v, want error", *a)
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse error %T %v, want *Error", err, err)
			}
			if e.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v (%s)", e.Kind, tt.kind, e.Message)
			}
			if want, exact := strings.CutPrefix(tt.msg, "="); exact && e.Message != want {
				t.Errorf("Message =\n%q\nwant\n%q", e.Message, want)
			} else if !exact && !strings.Contains(e.Message, want) {
				t.Errorf("Message = %q, want it to contain %q", e.Message, want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestCheckScope(t *testing.T) {
	base := func() *Auth {
		return &Auth{Date: "20240101", Region: "us-east-1", Service: "lambda", terminator: Terminator, fromWire: true,
			Time: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)}
	}
	tests := []struct {
		name            string
		mod             func(*Auth)
		region, service string
		want            string // "" = accepted
	}{
		{"ok", nil, "us-east-1", "lambda", ""},
		{"any region", func(a *Auth) { a.Region = "eu-west-1" }, "", "lambda", ""},
		{"hand-built auth without terminator", func(a *Auth) { a.terminator, a.fromWire = "", false }, "us-east-1", "lambda", ""},
		{"empty terminator", func(a *Auth) { a.terminator = "" }, "us-east-1", "lambda",
			"Credential should be scoped with a valid terminator: 'aws4_request', not ''. "},
		{"wrong region", func(a *Auth) { a.Region = "eu-west-1" }, "us-east-1", "lambda",
			"Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{"wrong service", func(a *Auth) { a.Service = "iam" }, "us-east-1", "lambda",
			"Credential should be scoped to correct service: 'lambda'. "},
		{"wrong terminator", func(a *Auth) { a.terminator = "aws5_request" }, "us-east-1", "lambda",
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{"wrong date", func(a *Auth) { a.Date = "20231231" }, "us-east-1", "lambda",
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T120000Z'."},
		{"date compared in UTC", func(a *Auth) { a.Time = time.Date(2024, 1, 1, 23, 30, 0, 0, time.FixedZone("x", -3600)) }, "us-east-1", "lambda",
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240101' != '20240102', from '20240102T003000Z'."},
		{"everything wrong", func(a *Auth) {
			a.Region, a.Service, a.terminator, a.Date = "wrong-region", "wrong-service", "aws5_request", "20130101"
		},
			"us-east-1", "lambda",
			"Credential should be scoped to a valid region, not 'wrong-region'. Credential should be scoped to correct service: 'lambda'. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20130101' != '20240101', from '20240101T120000Z'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base()
			if tt.mod != nil {
				tt.mod(a)
			}
			err := a.CheckScope(tt.region, tt.service)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckScope(%q, %q) = %v, want nil", tt.region, tt.service, err)
				}
				return
			}
			if KindOf(err) != KindScope {
				t.Fatalf("CheckScope(%q, %q) = %v, want KindScope", tt.region, tt.service, err)
			}
			if got := err.(*Error).Message; got != tt.want {
				t.Errorf("message =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestCheckTime(t *testing.T) {
	reqTime := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	header := func() *Auth { return &Auth{Time: reqTime} }
	presigned := func(exp time.Duration) *Auth { return &Auth{Time: reqTime, Presigned: true, Expires: exp} }
	tests := []struct {
		name string
		a    *Auth
		skew time.Duration
		now  time.Time
		kind Kind // 0 = accepted
		msg  string
	}{
		{"header: now", header(), 0, reqTime, 0, ""},
		{"header: 15 min - 1 s late", header(), 0, reqTime.Add(15*time.Minute - time.Second), 0, ""},
		{"header: exactly 15 min late", header(), 0, reqTime.Add(15 * time.Minute), 0, ""},
		{"header: 15 min + 1 s late", header(), 0, reqTime.Add(15*time.Minute + time.Second), KindExpired,
			"Signature expired: 20240101T120000Z is now earlier than 20240101T120001Z (20240101T121501Z - 15 min.)"},
		{"header: 15 min - 1 s early", header(), 0, reqTime.Add(-15*time.Minute + time.Second), 0, ""},
		{"header: 15 min + 1 s early", header(), 0, reqTime.Add(-15*time.Minute - time.Second), KindExpired,
			"Signature not yet current: 20240101T120000Z is still later than 20240101T115959Z (20240101T114459Z + 15 min.)"},
		{"header: sub-second clock truncated", header(), 0, reqTime.Add(15*time.Minute + 999*time.Millisecond), 0, ""},
		{"lambda skew: 5 min - 1 s late", header(), 5 * time.Minute, reqTime.Add(5*time.Minute - time.Second), 0, ""},
		{"lambda skew: AWS example", &Auth{Time: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)}, 5 * time.Minute,
			time.Date(2024, 1, 1, 12, 10, 1, 0, time.UTC), KindExpired,
			"Signature expired: 20240101T120000Z is now earlier than 20240101T120501Z (20240101T121001Z - 5 min.)"},
		{"lambda skew: AWS future example", &Auth{Time: time.Date(2024, 1, 1, 12, 30, 0, 0, time.UTC)}, 5 * time.Minute,
			time.Date(2024, 1, 1, 12, 15, 0, 0, time.UTC), KindExpired,
			"Signature not yet current: 20240101T123000Z is still later than 20240101T122000Z (20240101T121500Z + 5 min.)"},
		{"lambda skew: 5 min + 1 s early", header(), 5 * time.Minute, reqTime.Add(-5*time.Minute - time.Second), KindExpired, "not yet current"},
		{"odd skew in seconds", header(), 90 * time.Second, reqTime.Add(91 * time.Second), KindExpired, "(20240101T120131Z - 90 sec.)"},
		{"presigned: just before expiry", presigned(60 * time.Second), 0, reqTime.Add(59 * time.Second), 0, ""},
		{"presigned: at expiry", presigned(60 * time.Second), 0, reqTime.Add(60 * time.Second), KindExpired, "Request has expired"},
		{"presigned: long expiry beyond skew", presigned(MaxExpires), 0, reqTime.Add(MaxExpires - time.Second), 0, ""},
		{"presigned: 7 days exactly expired", presigned(MaxExpires), 0, reqTime.Add(MaxExpires), KindExpired, "Request has expired"},
		{"presigned: 15 min - 1 s early", presigned(time.Hour), 0, reqTime.Add(-15*time.Minute + time.Second), 0, ""},
		{"presigned: 15 min + 1 s early", presigned(time.Hour), 0, reqTime.Add(-15*time.Minute - time.Second), KindExpired, "not yet current"},
		{"presigned: expires 0", presigned(0), 0, reqTime, KindIncomplete, "X-Amz-Expires must be at least 1 second"},
		{"presigned: expires negative", presigned(-time.Second), 0, reqTime, KindIncomplete, "X-Amz-Expires must be non-negative"},
		{"presigned: expires 604801", presigned(MaxExpires + time.Second), 0, reqTime, KindIncomplete,
			"X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{"presigned: expires 1", presigned(time.Second), 0, reqTime, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Verifier{Now: fixedClock(tt.now), MaxSkew: tt.skew}
			err := v.CheckTime(tt.a)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("CheckTime at %v = %v, want nil", tt.now, err)
				}
				return
			}
			if got := KindOf(err); got != tt.kind {
				t.Fatalf("CheckTime at %v = %v, want kind %v", tt.now, err, tt.kind)
			}
			if got := err.(*Error).Message; !strings.Contains(got, tt.msg) {
				t.Errorf("message = %q, want it to contain %q", got, tt.msg)
			}
		})
	}
}

func TestParseExpiresOverflow(t *testing.T) {
	for _, s := range []string{"99999999999999999999999", "604801"} {
		d, ok := parseExpires(s)
		if !ok || d <= MaxExpires {
			t.Errorf("parseExpires(%q) = %v, %v; want > MaxExpires", s, d, ok)
		}
	}
	for _, s := range []string{"", "-", "1e3", "+5", " 5"} {
		if _, ok := parseExpires(s); ok {
			t.Errorf("parseExpires(%q) ok, want failure", s)
		}
	}
}

// TestParseAmzDateAsTimeParse checks that the fast path for the basic
// date format accepts exactly what time.Parse accepts, with the same time:
// every field at and around its bounds, and random digits.
func TestParseAmzDateAsTimeParse(t *testing.T) {
	var inputs []string
	for _, y := range []string{"0000", "1970", "2024", "2026", "2100", "9999"} {
		for _, m := range []string{"00", "01", "02", "12", "13", "99"} {
			for _, d := range []string{"00", "01", "28", "29", "30", "31", "32"} {
				for _, hms := range []string{"000000", "235959", "240000", "236000", "235960", "999999"} {
					inputs = append(inputs, y+m+d+"T"+hms+"Z")
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte(TimeFormat)
		for i, c := range b {
			if c >= '0' && c <= '9' {
				b[i] = byte('0' + rng.IntN(10))
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		got, ok := parseAmzDate(s)
		want, err := time.Parse(TimeFormat, s)
		if ok != (err == nil) || ok && !got.Equal(want) {
			t.Fatalf("parseAmzDate(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
}
