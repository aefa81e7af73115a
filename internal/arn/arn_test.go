package arn

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    ARN
		wantErr error
	}{
		{"arn:aws:lambda:us-east-1:111122223333:function:f", ARN{"aws", "lambda", "us-east-1", "111122223333", "function:f"}, nil},
		{"arn:aws:lambda:us-east-1:111122223333:function:f:prod", ARN{"aws", "lambda", "us-east-1", "111122223333", "function:f:prod"}, nil},
		{"arn:aws:iam::111122223333:role/path/r", ARN{"aws", "iam", "", "111122223333", "role/path/r"}, nil},
		{"arn:aws:s3:::bucket/key:with:colons", ARN{"aws", "s3", "", "", "bucket/key:with:colons"}, nil},
		{"arn:aws-cn:sts::111122223333:assumed-role/r/s", ARN{"aws-cn", "sts", "", "111122223333", "assumed-role/r/s"}, nil},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", ARN{"aws", "iam", "", "aws", "policy/ReadOnlyAccess"}, nil},
		{"*", ARN{}, ErrNotARN},
		{"aws:lambda:us-east-1:1:function:f", ARN{}, ErrNotARN},
		{"arn:aws:lambda:us-east-1", ARN{}, ErrTooFewParts},
		{"arn:aws:s3::", ARN{}, ErrTooFewParts},
		{"arn:aws:s3:::", ARN{}, ErrEmptyPart},
		{"arn::s3:::b", ARN{}, ErrEmptyPart},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("Parse(%q).String() = %q, want the input back", tt.in, got.String())
			}
		})
	}
}

func TestMatch(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:111122223333:function:f"
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", fn, true},
		{"*", "not-an-arn", true},
		{fn, fn, true},
		{"arn:aws:lambda:*:*:function:*", fn, true},
		{"arn:aws:lambda:us-east-?:111122223333:function:f", fn, true},
		{"arn:aws:lambda:*:111122223333:*", fn, true},
		// Unqualified function ARN does not match a qualified one (Lambda DG).
		{fn, fn + ":prod", false},
		{fn + "*", fn + ":prod", true},
		{fn + ":*", fn + ":prod", true},
		{fn + ":*", fn, false},
		// '*' in the resource part crosses ':' and '/'.
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true},
		// ...but not in the other parts: a region wildcard stays in the region.
		{"arn:aws:lambda:us-*", fn, false},
		{"arn:aws:lambda:us-*:function:f", fn, false},
		// Case-sensitive.
		{"arn:aws:lambda:us-east-1:111122223333:function:F", fn, false},
		{"arn:AWS:lambda:us-east-1:111122223333:function:f", fn, false},
		// No wildcards in the service part.
		{"arn:aws:*:us-east-1:111122223333:function:f", fn, false},
		{"arn:aws:lamb?a:us-east-1:111122223333:function:f", fn, false},
		// Short patterns and non-ARNs.
		{"arn:aws:lambda", fn, false},
		{fn, "function:f", false},
		// Empty parts must be empty (or wildcard).
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:*:*:bucket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:?::bucket", "arn:aws:s3:::bucket", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "abc", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abdc", true},
		{"a*c", "abd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"?", "é", true},
		{"??", "é", false},
		{"*é?", "xxéy", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXcYb", false},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aba", false},
		{"*a?b*", "xaXbY", true},
		{"x*?", "x", false},
		{"x*?", "xy", true},
		{"*?*?*", "a", false},
		{"*?*?*", "ab", true},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
	if !GlobFold("lambda:Invoke*", "LAMBDA:invokefunctionurl") {
		t.Errorf("GlobFold(lambda:Invoke*, LAMBDA:invokefunctionurl) = false, want true")
	}
	if Glob("lambda:Invoke*", "LAMBDA:invokefunctionurl") {
		t.Errorf("Glob is case-sensitive, got a match")
	}
}

// globRegexp is an independent reference implementation.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`(?s:.*)`)
		case '?':
			b.WriteString(`(?s:.)`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func TestGlobAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []rune("ab*?/:é")
	str := func(n int, withWild bool) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			r := alphabet[rng.Intn(len(alphabet))]
			if !withWild && (r == '*' || r == '?') {
				r = 'b'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		p := str(rng.Intn(8), true)
		s := str(rng.Intn(10), false)
		want := globRegexp(p).MatchString(s)
		if got := Glob(p, s); got != want {
			t.Fatalf("Glob(%q, %q) = %v, want %v", p, s, got, want)
		}
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*a*a*a*a*a*a*a*b", strings.Repeat("a", 200))
	f.Add("?*?", "é")
	f.Fuzz(func(t *testing.T, p, s string) {
		if len(p) > 64 || len(s) > 256 {
			return
		}
		got := Glob(p, s)
		if !utf8Valid(p) || !utf8Valid(s) {
			return // the regexp reference treats invalid UTF-8 differently
		}
		if want := globRegexp(p).MatchString(s); got != want {
			t.Fatalf("Glob(%q, %q) = %v, want %v", p, s, got, want)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func FuzzParse(f *testing.F) {
	f.Add("arn:aws:lambda:us-east-1:111122223333:function:f")
	f.Add("arn:aws:s3:::b/k")
	f.Add("arn::::::")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("Parse(%q).String() = %q, want the input back", s, a.String())
		}
		if !Match(s, s) && !strings.ContainsAny(s, "*?") {
			t.Fatalf("Match(%q, itself) = false", s)
		}
	})
}

func BenchmarkGlobPathological(b *testing.B) {
	p := strings.Repeat("*a", 30) + "*b"
	s := strings.Repeat("a", 4096)
	for b.Loop() {
		if Glob(p, s) {
			b.Fatal("unexpected match")
		}
	}
}
