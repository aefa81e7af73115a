// Package arn parses, formats and matches Amazon Resource Names.
//
// An ARN has six colon-separated parts:
//
//	arn:partition:service:region:account-id:resource
//
// The resource part is everything after the fifth colon and may itself contain
// colons and slashes (arn:aws:lambda:us-east-1:111122223333:function:f:prod).
//
// Matching follows IAM's rules for the Resource element ("IAM JSON policy
// elements: Resource"): a pattern is compared part by part, case-sensitively;
// '*' matches any run of characters and '?' exactly one character within a
// part; in the resource part '*' also crosses '/' and ':'; the service part
// takes no wildcards; and the pattern "*" alone matches every ARN.
//
// The wildcard matcher runs in time linear in the input for patterns without
// '?', and in O(len(s)·len(chunk)) for chunks containing '?': there is no
// backtracking, so hostile patterns such as "*a*a*a*a*b" cannot blow up.
package arn

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string // "aws", "aws-cn", "aws-us-gov", ...
	Service   string // "lambda", "iam", "sts", "s3", ...
	Region    string // "us-east-1"; empty for global services (IAM, S3 buckets)
	AccountID string // 12-digit account ID; empty for S3 buckets, "aws" for AWS-managed policies
	Resource  string // everything after the fifth colon
}

// Errors returned by Parse.
var (
	ErrNotARN      = errors.New("arn: not an ARN (missing \"arn:\" prefix)")
	ErrTooFewParts = errors.New("arn: an ARN has six colon-separated parts")
	ErrEmptyPart   = errors.New("arn: partition, service and resource must not be empty")
)

// Parse parses s as an ARN. It requires the "arn:" prefix, six parts and a
// non-empty partition, service and resource; region and account may be empty.
func Parse(s string) (ARN, error) {
	parts, ok := Split(s)
	if !ok {
		if !strings.HasPrefix(s, "arn:") {
			return ARN{}, ErrNotARN
		}
		return ARN{}, ErrTooFewParts
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}
	if a.Partition == "" || a.Service == "" || a.Resource == "" {
		return ARN{}, ErrEmptyPart
	}
	return a, nil
}

// MustParse is like Parse but panics on error. Use it only for constants.
func MustParse(s string) ARN {
	a, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// String formats a as arn:partition:service:region:account:resource.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// IsARN reports whether s looks like an ARN: the "arn:" prefix and six parts.
func IsARN(s string) bool {
	_, ok := Split(s)
	return ok
}

// Split splits s into its six parts without allocating: parts[0] is "arn",
// parts[5] the resource (which may contain colons). It reports false if s does
// not start with "arn:" or has fewer than six parts.
func Split(s string) (parts [6]string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return parts, false
	}
	rest := s
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return parts, false
		}
		parts[i] = rest[:j]
		rest = rest[j+1:]
	}
	parts[5] = rest
	return parts, true
}

// Match reports whether the ARN s matches pattern, part by part, with the rules
// described in the package documentation. The pattern "*" matches any s, even
// one that is not an ARN; otherwise both must have six parts.
func Match(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	p, ok := Split(pattern)
	if !ok {
		return false
	}
	v, ok := Split(s)
	if !ok {
		return false
	}
	return Glob(p[1], v[1]) && p[2] == v[2] && Glob(p[3], v[3]) && Glob(p[4], v[4]) && Glob(p[5], v[5])
}

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one character. Comparison is
// case-sensitive.
func Glob(pattern, s string) bool { return glob(pattern, s, false) }

// GlobFold is like Glob but compares letters case-insensitively, as IAM does
// for action names.
func GlobFold(pattern, s string) bool { return glob(pattern, s, true) }

func glob(p, s string, fold bool) bool {
	star := strings.IndexByte(p, '*')
	if star < 0 {
		n, ok := matchChunk(p, s, fold)
		return ok && n == len(s)
	}
	// Leading chunk must match at the start.
	n, ok := matchChunk(p[:star], s, fold)
	if !ok {
		return false
	}
	s = s[n:]
	p = p[star+1:]
	for {
		star = strings.IndexByte(p, '*')
		if star < 0 {
			break
		}
		chunk := p[:star]
		p = p[star+1:]
		if chunk == "" {
			continue
		}
		// Leftmost occurrence of a middle chunk is always the best choice:
		// any later match leaves less room for what follows.
		i, n, found := findChunk(chunk, s, fold)
		if !found {
			return false
		}
		s = s[i+n:]
	}
	// Trailing chunk must match at the end. Each rune of a chunk (literal or
	// '?') consumes exactly one rune of s.
	if p == "" {
		return true
	}
	need := utf8.RuneCountInString(p)
	start := len(s)
	for k := 0; k < need; k++ {
		if start == 0 {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	n, ok = matchChunk(p, s[start:], fold)
	return ok && n == len(s)-start
}

// matchChunk matches chunk (no '*') against a prefix of s and returns the
// number of bytes of s consumed.
func matchChunk(chunk, s string, fold bool) (int, bool) {
	if !fold && strings.IndexByte(chunk, '?') < 0 {
		if strings.HasPrefix(s, chunk) {
			return len(chunk), true
		}
		return 0, false
	}
	i := 0
	for _, pc := range chunk {
		if i >= len(s) {
			return 0, false
		}
		sc, size := utf8.DecodeRuneInString(s[i:])
		if pc != '?' && pc != sc && !(fold && foldEq(pc, sc)) {
			return 0, false
		}
		i += size
	}
	return i, true
}

// findChunk finds the leftmost position in s where chunk matches.
func findChunk(chunk, s string, fold bool) (at, n int, ok bool) {
	if !fold && strings.IndexByte(chunk, '?') < 0 {
		i := strings.Index(s, chunk)
		if i < 0 {
			return 0, 0, false
		}
		return i, len(chunk), true
	}
	for i := 0; i < len(s); {
		if n, ok := matchChunk(chunk, s[i:], fold); ok {
			return i, n, true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return 0, 0, false
}

// foldEq compares ASCII letters case-insensitively.
func foldEq(a, b rune) bool {
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}
