package iampolicy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
)

// family is a condition operator family.
type family uint8

const (
	fString family = iota
	fStringIgnoreCase
	fStringLike
	fNumeric
	fDate
	fBool
	fBinary
	fIP
	fARN
	fNull
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type setOp uint8

const (
	setNone setOp = iota
	setForAll
	setForAny
)

// operator is a parsed condition operator name such as
// "ForAnyValue:StringNotLikeIfExists".
type operator struct {
	family   family
	cmp      cmpOp
	negated  bool
	ifExists bool
	set      setOp
}

type baseOp struct {
	name    string
	family  family
	cmp     cmpOp
	negated bool
}

// baseOps lists the operators of "IAM JSON policy elements: Condition
// operators".
var baseOps = []baseOp{
	{"StringEquals", fString, cmpEq, false},
	{"StringNotEquals", fString, cmpEq, true},
	{"StringEqualsIgnoreCase", fStringIgnoreCase, cmpEq, false},
	{"StringNotEqualsIgnoreCase", fStringIgnoreCase, cmpEq, true},
	{"StringLike", fStringLike, cmpEq, false},
	{"StringNotLike", fStringLike, cmpEq, true},
	{"NumericEquals", fNumeric, cmpEq, false},
	{"NumericNotEquals", fNumeric, cmpEq, true},
	{"NumericLessThan", fNumeric, cmpLt, false},
	{"NumericLessThanEquals", fNumeric, cmpLe, false},
	{"NumericGreaterThan", fNumeric, cmpGt, false},
	{"NumericGreaterThanEquals", fNumeric, cmpGe, false},
	{"DateEquals", fDate, cmpEq, false},
	{"DateNotEquals", fDate, cmpEq, true},
	{"DateLessThan", fDate, cmpLt, false},
	{"DateLessThanEquals", fDate, cmpLe, false},
	{"DateGreaterThan", fDate, cmpGt, false},
	{"DateGreaterThanEquals", fDate, cmpGe, false},
	{"Bool", fBool, cmpEq, false},
	{"BinaryEquals", fBinary, cmpEq, false},
	{"IpAddress", fIP, cmpEq, false},
	{"NotIpAddress", fIP, cmpEq, true},
	{"ArnEquals", fARN, cmpEq, false},
	{"ArnLike", fARN, cmpEq, false},
	{"ArnNotEquals", fARN, cmpEq, true},
	{"ArnNotLike", fARN, cmpEq, true},
	{"Null", fNull, cmpEq, false},
}

// parseOperator parses an operator name. strict requires AWS's exact
// spelling (the validator's rule); evaluation accepts any letter case.
func parseOperator(name string, strict bool) (operator, bool) {
	var op operator
	hasPrefix := func(s, p string) bool {
		if strict {
			return strings.HasPrefix(s, p)
		}
		return len(s) >= len(p) && equalFoldASCII(s[:len(p)], p)
	}
	hasSuffix := func(s, p string) bool {
		if strict {
			return strings.HasSuffix(s, p)
		}
		return len(s) >= len(p) && equalFoldASCII(s[len(s)-len(p):], p)
	}
	switch {
	case hasPrefix(name, "ForAllValues:"):
		op.set, name = setForAll, name[len("ForAllValues:"):]
	case hasPrefix(name, "ForAnyValue:"):
		op.set, name = setForAny, name[len("ForAnyValue:"):]
	}
	if hasSuffix(name, "IfExists") {
		op.ifExists, name = true, name[:len(name)-len("IfExists")]
	}
	for _, b := range baseOps {
		if name == b.name || (!strict && equalFoldASCII(name, b.name)) {
			op.family, op.cmp, op.negated = b.family, b.cmp, b.negated
			return op, true
		}
	}
	return operator{}, false
}

// ccond is one compiled condition: an operator, a key and its values.
type ccond struct {
	opName string
	key    string // as written
	lkey   string // lower case, for lookup
	op     operator
	known  bool // operator recognised
	values []string

	tmpls []tmpl      // string, bool: one per value
	arns  [][6]tmpl   // ARN: one per value
	nums  []decimal   // numeric
	dates []time.Time // date
	ips   []netip.Prefix
	bins  [][]byte
	bad   []bool // per value: the policy value cannot be parsed for its family
}

func compileCondition(opName, key string, values []string, vars bool) ccond {
	c := ccond{opName: opName, key: key, lkey: strings.ToLower(key), values: values}
	c.op, c.known = parseOperator(opName, false)
	if !c.known {
		return c
	}
	n := len(values)
	c.bad = make([]bool, n)
	switch c.op.family {
	case fString, fStringIgnoreCase, fBool:
		c.tmpls = make([]tmpl, n)
		for i, v := range values {
			c.tmpls[i] = compileTmpl(v, false, vars)
		}
	case fStringLike:
		c.tmpls = make([]tmpl, n)
		for i, v := range values {
			c.tmpls[i] = compileTmpl(v, true, vars)
		}
	case fARN:
		c.arns = make([][6]tmpl, n)
		for i, v := range values {
			parts, ok := splitSixVars(v, vars)
			if !ok {
				c.bad[i] = true
				continue
			}
			for j := 1; j < 6; j++ {
				c.arns[i][j] = compileTmpl(parts[j], true, vars)
			}
		}
	case fNumeric:
		c.nums = make([]decimal, n)
		for i, v := range values {
			d, ok := parseDecimal(v)
			c.nums[i], c.bad[i] = d, !ok
		}
	case fDate:
		c.dates = make([]time.Time, n)
		for i, v := range values {
			d, ok := parseDate(v)
			c.dates[i], c.bad[i] = d, !ok
		}
	case fIP:
		c.ips = make([]netip.Prefix, n)
		for i, v := range values {
			p, ok := parseCIDR(v)
			c.ips[i], c.bad[i] = p, !ok
		}
	case fBinary:
		c.bins = make([][]byte, n)
		for i, v := range values {
			if b, err := base64.StdEncoding.Strict().DecodeString(v); err == nil {
				c.bins[i] = b
			}
		}
	}
	return c
}

// splitSix splits an ARN-shaped string into six parts at its first five
// colons (parts[0] is not checked to be "arn", as in IAM's ARN operators).
func splitSix(s string) ([6]string, bool) {
	var parts [6]string
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[5] = s
	return parts, true
}

// splitSixVars is splitSix for policy values, where the colon of a
// variable such as ${aws:PrincipalAccount} does not separate parts.
func splitSixVars(s string, vars bool) ([6]string, bool) {
	if !vars || !strings.Contains(s, "${") {
		return splitSix(s)
	}
	var parts [6]string
	n, start, depth := 0, 0, false
	for i := 0; i < len(s) && n < 5; i++ {
		switch {
		case !depth && s[i] == '$' && i+1 < len(s) && s[i+1] == '{' && strings.IndexByte(s[i:], '}') > 0:
			depth = true
		case depth && s[i] == '}':
			depth = false
		case !depth && s[i] == ':':
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = s[start:]
	return parts, true
}

// tri is the outcome of comparing one request value with one policy value.
type tri uint8

const (
	triNo  tri = iota
	triYes     // the values match (before negation)
	triErr     // a value cannot be compared: the operator fails whether negated or not
)

// condResult is the outcome of one condition, with what explanations need.
type condResult struct {
	matched    bool
	missing    bool   // the key is absent from the request
	unresolved string // a policy variable that had no value
}

// eval evaluates the condition ("IAM JSON policy elements: Condition
// operators", "Single-valued vs. multivalued context keys").
func (c *ccond) eval(ev *evalState) condResult {
	v := ev.lookup(c.lkey)
	if !c.known {
		return condResult{missing: !v.ok}
	}
	if c.op.family == fNull {
		// Null tests presence: "true" matches an absent key, "false" a
		// present one.
		want := "false"
		if !v.ok {
			want = "true"
		}
		for _, pv := range c.values {
			if equalFoldASCII(pv, want) {
				return condResult{matched: true, missing: !v.ok}
			}
		}
		return condResult{missing: !v.ok}
	}
	var r condResult
	switch c.op.set {
	case setNone:
		if !v.ok {
			// Missing key: false, except negated operators and ...IfExists.
			return condResult{matched: c.op.negated || c.op.ifExists, missing: true}
		}
		if v.multi {
			// A plain operator never matches a multivalued key; set
			// operators are required (iam-simulate, citing AWS).
			return condResult{}
		}
		r.matched = c.matchOne(v.single, ev, &r)
	case setForAll:
		// True when every request value matches; true for a missing key or
		// an empty set. IfExists changes nothing here.
		if !v.ok {
			return condResult{matched: true, missing: true}
		}
		r.matched = true
		for i, n := 0, v.count(); i < n; i++ {
			if !c.matchOne(v.at(i), ev, &r) {
				r.matched = false
				break
			}
		}
	case setForAny:
		// True when some request value matches; false for a missing key.
		if !v.ok {
			return condResult{missing: true}
		}
		for i, n := 0, v.count(); i < n; i++ {
			if c.matchOne(v.at(i), ev, &r) {
				r.matched = true
				break
			}
		}
	}
	return r
}

// matchOne applies the operator to one request value: the policy values are
// OR-ed, and for a negated operator NOR-ed ("Conditions with multiple context
// keys or values").
func (c *ccond) matchOne(rv string, ev *evalState, r *condResult) bool {
	if c.op.negated {
		for i := range c.values {
			switch c.compare(i, rv, ev, r) {
			case triYes, triErr:
				return false
			}
		}
		return true
	}
	for i := range c.values {
		if c.compare(i, rv, ev, r) == triYes {
			return true
		}
	}
	return false
}

// compare compares request value rv with policy value i, before negation.
func (c *ccond) compare(i int, rv string, ev *evalState, r *condResult) tri {
	if c.bad[i] {
		return triErr
	}
	switch c.op.family {
	case fString, fStringLike:
		ok, missing := c.tmpls[i].match(rv, ev, false)
		if missing != "" {
			r.unresolved = missing
		}
		return triOf(ok)
	case fStringIgnoreCase:
		ok, missing := c.tmpls[i].match(rv, ev, true)
		if missing != "" {
			r.unresolved = missing
		}
		return triOf(ok)
	case fBool:
		var buf [4]tok
		toks, missing, ok := c.tmpls[i].expand(ev, buf[:])
		if !ok {
			r.unresolved = missing
			return triErr
		}
		pv := joinLits(toks)
		if !isBool(pv) || !isBool(rv) {
			return triErr
		}
		return triOf(equalFoldASCII(pv, rv))
	case fNumeric:
		d, ok := parseDecimal(rv)
		if !ok {
			return triErr
		}
		return triOf(cmpHolds(c.op.cmp, compareDecimal(d, c.nums[i])))
	case fDate:
		t, ok := parseDate(rv)
		if !ok {
			return triErr
		}
		return triOf(cmpHolds(c.op.cmp, t.Compare(c.dates[i])))
	case fIP:
		a, err := netip.ParseAddr(rv)
		if err != nil || a.Zone() != "" {
			return triErr
		}
		return triOf(c.ips[i].Contains(a))
	case fBinary:
		if c.bins[i] != nil {
			if b, err := base64.StdEncoding.Strict().DecodeString(rv); err == nil {
				return triOf(bytes.Equal(b, c.bins[i]))
			}
		}
		return triOf(rv == c.values[i])
	case fARN:
		parts, ok := splitSix(rv)
		if !ok {
			return triErr
		}
		for j := 1; j < 6; j++ {
			ok, missing := c.arns[i][j].match(parts[j], ev, false)
			if missing != "" {
				r.unresolved = missing
				return triNo
			}
			if !ok {
				return triNo
			}
		}
		return triYes
	}
	return triErr
}

func triOf(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

func joinLits(toks []tok) string {
	if len(toks) == 1 && toks[0].kind == tLit {
		return toks[0].s
	}
	var b strings.Builder
	for _, k := range toks {
		b.WriteString(k.s)
	}
	return b.String()
}

func isBool(s string) bool { return equalFoldASCII(s, "true") || equalFoldASCII(s, "false") }

// cmpHolds reports whether c (request compared with policy: -1, 0, +1)
// satisfies op. NumericLessThan means "request value < policy value".
func cmpHolds(op cmpOp, c int) bool {
	switch op {
	case cmpEq:
		return c == 0
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return false
}

// decimal is an exact decimal number: integer digits without leading zeros
// and fraction digits without trailing zeros, so "1.0" equals "1" and large
// integers compare exactly.
type decimal struct {
	neg       bool
	intDigits string
	frac      string
}

// parseDecimal parses an optionally signed decimal number ("-1", "+2.50",
// ".5", "3."). Exponents are not accepted.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.neg = s[0] == '-'
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[:i]
	frac := ""
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac = s[i+1 : j]
		i = j
	}
	if i != len(s) || (intPart == "" && frac == "") {
		return decimal{}, false
	}
	d.intDigits = strings.TrimLeft(intPart, "0")
	d.frac = strings.TrimRight(frac, "0")
	if d.intDigits == "" && d.frac == "" {
		d.neg = false // -0 == 0
	}
	return d, true
}

// compareDecimal returns -1, 0 or +1 as a is less than, equal to or greater
// than b.
func compareDecimal(a, b decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := compareMagnitude(a, b)
	if a.neg {
		return -c
	}
	return c
}

func compareMagnitude(a, b decimal) int {
	if len(a.intDigits) != len(b.intDigits) {
		if len(a.intDigits) < len(b.intDigits) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.intDigits, b.intDigits); c != 0 {
		return c
	}
	return strings.Compare(a.frac, b.frac)
}

// parseDate parses the date forms IAM accepts: epoch seconds, or W3C
// ISO 8601 (YYYY, YYYY-MM, YYYY-MM-DD, with THH:MM[:SS[.fff]] and a Z or
// ±HH:MM zone; no zone means UTC). Epoch and ISO values compare with each
// other.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	digits := s
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if digits != "" && len(digits) <= 18 && strings.Trim(digits, "0123456789") == "" {
		var n int64
		for i := 0; i < len(digits); i++ {
			n = n*10 + int64(digits[i]-'0')
		}
		if s[0] == '-' {
			n = -n
		}
		return time.Unix(n, 0).UTC(), true
	}
	u := strings.ToUpper(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, u); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var dateLayouts = []string{
	"2006-01-02T15:04:05Z07:00", // fractional seconds are accepted by time.Parse
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseCIDR parses a CIDR block or a bare address (= /32 or /128).
func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}
