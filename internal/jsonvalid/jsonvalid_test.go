package jsonvalid

import (
	"encoding/json"
	"strings"
	"testing"
)

var cases = []string{
	``, ` `, `{}`, `[]`, ` { } `, `[ ]`, `{"a":1}`, `{"a" : [1, 2.5, -3e10, 0, -0.0e+1, 1E-2]}`,
	`"x"`, `"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, `"\u00G0"`, `"\x"`, `"\u12"`, "\"\x01\"", "\"\x7f\xff\xfe\"",
	"\"tab\there\"", `true`, `false`, `null`, `nul`, `truee`, `True`, `01`, `-`, `-01`, `1.`, `.5`, `1e`, `1e+`, `+1`,
	`1.5e3`, `-0`, `0x10`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a":1 "b":2}`, `[1 2]`,
	`[1],`, `[1]]`, `[[1]`, `{"a":[}`, `{"a":{"b":[true,false,null,{"c":"d"}]}}`, `[] []`, `1 2`, "\t\n\r 1 \r\n\t",
	"\v1", `"unterminated`, `"a\`, `[`, `{`, `{"`, `{"a"`, `{"a":`, `"\u`, `[1e1000]`, `{"a":1}x`,
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
	strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
}

// TestValidAsEncodingJSON compares Valid with encoding/json.Valid on
// valid and invalid texts of every kind, and on every prefix of each.
func TestValidAsEncodingJSON(t *testing.T) {
	for _, c := range cases {
		for n := 0; n <= len(c); n++ {
			if n < len(c) && len(c) > 200 && n%97 != 0 {
				continue // the deep ones: a sample of their prefixes
			}
			b := []byte(c[:n])
			if got, want := Valid(b), json.Valid(b); got != want {
				t.Errorf("Valid(%.80q) = %v, encoding/json says %v", b, got, want)
			}
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range cases {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

// BenchmarkValid checks a function's structured response like the echo
// function's (1.8 KB, a JSON body in a string), with encoding/json's
// validator beside it.
func BenchmarkValid(b *testing.B) {
	body, _ := json.Marshal(map[string]any{"items": strings.Repeat(`{"id":12345,"name":"widget \"deluxe\""},`, 30)})
	payload, _ := json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"content-type": "application/json", "x-echo": "1"},
		"cookies": []string{"a=b; Path=/"}, "body": string(body), "isBase64Encoded": false})
	for _, v := range []struct {
		name  string
		valid func([]byte) bool
	}{{"jsonvalid", Valid}, {"encoding-json", json.Valid}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if !v.valid(payload) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
