package iampolicy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tmpl is a compiled policy string: literal text, wildcards ('*', '?') and
// policy variables (${key}, ${key, 'default'}, ${*}, ${?}, ${$}).
//
// Text substituted for a variable is literal: a '*' in a user name does not
// act as a wildcard (iam-simulate "replace a policy value and not match
// wildcards"; IAM UG "Special characters"). That is why matching works on
// tokens rather than on a rewritten pattern string.
type tmpl struct {
	raw   string // as written in the policy
	lit   string // the text to compare when plain
	toks  []tok
	plain bool // only literal text: compare with raw directly
	vars  bool // contains variables
}

type tokKind uint8

const (
	tLit  tokKind = iota // literal text
	tStar                // '*': any run of characters
	tAny                 // '?': exactly one character
	tVar                 // ${key} or ${key, 'default'}
)

type tok struct {
	kind   tokKind
	s      string // literal text, or the lower-cased variable key
	name   string // variable key as written
	def    string
	hasDef bool
}

// compileTmpl compiles s. wild enables '*' and '?'; vars enables policy
// variables (Version 2012-10-17 only).
func compileTmpl(s string, wild, vars bool) tmpl {
	t := tmpl{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.toks = append(t.toks, tok{kind: tLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			t.toks = append(t.toks, tok{kind: tStar})
			i++
		case wild && c == '?':
			flush()
			t.toks = append(t.toks, tok{kind: tAny})
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteString(s[i:])
				i = len(s)
				continue
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end + 1
			switch inner {
			case "*", "?", "$":
				lit.WriteString(inner)
				continue
			}
			flush()
			v := tok{kind: tVar}
			name := inner
			// Default values: "${aws:PrincipalTag/team, 'company-wide'}" —
			// a comma and a space, then a single-quoted value.
			if parts := strings.Split(inner, ", "); len(parts) == 2 &&
				len(parts[1]) >= 2 && parts[1][0] == '\'' && parts[1][len(parts[1])-1] == '\'' {
				name = parts[0]
				v.def, v.hasDef = parts[1][1:len(parts[1])-1], true
			} else if len(parts) > 1 {
				name = parts[0]
			}
			name = strings.TrimSpace(name)
			v.name, v.s = name, strings.ToLower(name)
			t.toks = append(t.toks, v)
			t.vars = true
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	t.plain = len(t.toks) == 0 || (len(t.toks) == 1 && t.toks[0].kind == tLit)
	if t.plain && len(t.toks) == 1 {
		t.lit = t.toks[0].s // with ${*} and friends resolved
	}
	return t
}

// expand substitutes variables, looking up single-valued keys in r (which
// may be nil when t has no variables). It reports false, and the first unresolved
// variable, if a variable has no single value and no default: such a value
// matches nothing ("Policy variables with no value").
func (t *tmpl) expand(r *evalState, buf []tok) ([]tok, string, bool) {
	if !t.vars {
		return t.toks, "", true
	}
	out := buf[:0]
	for _, k := range t.toks {
		if k.kind != tVar {
			out = append(out, k)
			continue
		}
		v, ok := r.resolve(k.s)
		switch {
		case ok:
		case k.hasDef:
			v = k.def
		default:
			return nil, k.name, false
		}
		out = append(out, tok{kind: tLit, s: v})
	}
	return out, "", true
}

// resolved returns the text of t after substitution, with wildcards as
// written, for explanations.
func (t *tmpl) resolved(r *evalState) string {
	if !t.vars {
		return t.raw
	}
	var b strings.Builder
	for _, k := range t.toks {
		switch k.kind {
		case tLit:
			b.WriteString(k.s)
		case tStar:
			b.WriteByte('*')
		case tAny:
			b.WriteByte('?')
		case tVar:
			if v, ok := r.resolve(k.s); ok {
				b.WriteString(v)
			} else if k.hasDef {
				b.WriteString(k.def)
			} else {
				b.WriteString("${" + k.name + "}")
			}
		}
	}
	return b.String()
}

// match reports whether s matches t. unresolved names a variable without a
// value (then matched is false).
func (t *tmpl) match(s string, r *evalState, fold bool) (matched bool, unresolved string) {
	if t.plain {
		if fold {
			return strings.EqualFold(t.lit, s), ""
		}
		return t.lit == s, ""
	}
	var buf [8]tok
	toks, missing, ok := t.expand(r, buf[:])
	if !ok {
		return false, missing
	}
	return matchToks(toks, s, fold), ""
}

// matchToks matches s against a token list without variables. Segments
// between stars are matched greedily leftmost, which is exact for glob
// patterns and never backtracks: time is O(len(s)·len(segment)) at worst.
func matchToks(toks []tok, s string, fold bool) bool {
	star := -1
	for i, k := range toks {
		if k.kind == tStar {
			star = i
			break
		}
	}
	if star < 0 {
		n, ok := matchSeg(toks, s, fold)
		return ok && n == len(s)
	}
	n, ok := matchSeg(toks[:star], s, fold)
	if !ok {
		return false
	}
	s = s[n:]
	toks = toks[star+1:]
	for {
		next := -1
		for i, k := range toks {
			if k.kind == tStar {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		seg := toks[:next]
		toks = toks[next+1:]
		if len(seg) == 0 {
			continue
		}
		at, n, found := findSeg(seg, s, fold)
		if !found {
			return false
		}
		s = s[at+n:]
	}
	if len(toks) == 0 {
		return true
	}
	// The last segment is anchored at the end; it consumes a fixed number of
	// runes.
	need := 0
	for _, k := range toks {
		if k.kind == tAny {
			need++
		} else {
			need += utf8.RuneCountInString(k.s)
		}
	}
	start := len(s)
	for i := 0; i < need; i++ {
		if start == 0 {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	n, ok = matchSeg(toks, s[start:], fold)
	return ok && n == len(s)-start
}

// matchSeg matches a star-free segment against a prefix of s.
func matchSeg(seg []tok, s string, fold bool) (int, bool) {
	i := 0
	for _, k := range seg {
		switch k.kind {
		case tAny:
			if i >= len(s) {
				return 0, false
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		case tLit:
			if !fold {
				if !strings.HasPrefix(s[i:], k.s) {
					return 0, false
				}
				i += len(k.s)
				continue
			}
			for _, pc := range k.s {
				if i >= len(s) {
					return 0, false
				}
				sc, size := utf8.DecodeRuneInString(s[i:])
				if !runeEqualFold(pc, sc) {
					return 0, false
				}
				i += size
			}
		}
	}
	return i, true
}

// findSeg finds the leftmost match of seg in s.
func findSeg(seg []tok, s string, fold bool) (at, n int, ok bool) {
	if !fold && seg[0].kind == tLit {
		first := seg[0].s
		off := 0
		for {
			j := strings.Index(s[off:], first)
			if j < 0 {
				return 0, 0, false
			}
			if n, ok := matchSeg(seg, s[off+j:], false); ok {
				return off + j, n, true
			}
			_, size := utf8.DecodeRuneInString(s[off+j:])
			off += j + size
		}
	}
	for i := 0; i <= len(s); {
		if n, ok := matchSeg(seg, s[i:], fold); ok {
			return i, n, true
		}
		if i == len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return 0, 0, false
}

func runeEqualFold(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	return unicode.ToLower(a) == unicode.ToLower(b) || unicode.ToUpper(a) == unicode.ToUpper(b)
}

// SubstituteVariables replaces the policy variables in s — ${key},
// ${key, 'default'}, ${*}, ${?} and ${$} — with their values for req, as IAM
// does in Version 2012-10-17 policies. Keys are looked up in req.Context and
// among the keys Evaluate derives from the principal. It reports the first
// variable that has neither a single value nor a default.
func SubstituteVariables(s string, req *Request) (string, error) {
	t := compileTmpl(s, false, true)
	ev := newEvalState(req)
	var buf [8]tok
	toks, missing, ok := t.expand(&ev, buf[:])
	if !ok {
		return "", &UnresolvedVariableError{Name: missing}
	}
	return joinLits(toks), nil
}

// UnresolvedVariableError is returned by SubstituteVariables for a variable
// without a value.
type UnresolvedVariableError struct{ Name string }

func (e *UnresolvedVariableError) Error() string {
	return "iampolicy: policy variable ${" + e.Name + "} has no value"
}
