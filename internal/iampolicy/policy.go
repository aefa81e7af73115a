package iampolicy

import (
	"bytes"
	"encoding/json"
	"sync"
)

// Versions of the policy language. Only Version2012 substitutes policy
// variables; under Version2008 (or no Version) "${aws:username}" is literal
// text ("IAM JSON policy elements: Version").
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect: Allow or Deny (case-sensitive).
type Effect string

// The two effects.
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Policy is a parsed policy document. Its exported fields describe the
// document; Parse fills them, and MarshalJSON writes them back with the
// original key order and string-or-list shapes.
//
// A Policy is compiled for evaluation the first time it is evaluated (Parse
// compiles it at once). Do not modify a Policy after it has been evaluated or
// placed in a PolicySet that has been evaluated; parse or build a new one.
type Policy struct {
	Version    string // "" when absent
	ID         string // the "Id" element; "" when absent
	Statements []Statement

	// shape, for MarshalJSON
	singleStatement bool     // "Statement" was an object, not a list
	order           []string // top-level keys in document order

	once        sync.Once
	compiled    []*cstmt
	contextFree bool // see ContextFree; set with compiled
}

// Statement is one element of a policy's Statement list. Absent elements are
// zero: a nil *Principals, a Strings with IsSet() false, a nil Condition.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principals
	NotPrincipal *Principals
	Action       Strings
	NotAction    Strings
	Resource     Strings
	NotResource  Strings
	Condition    Condition

	hasSid bool     // "Sid" present (possibly empty)
	order  []string // statement keys in document order
}

// Strings is a policy element that is either one string or a list of
// strings, such as Action or a condition's values. List records the shape for
// round trips; a Strings with several values is always written as a list.
type Strings struct {
	Values []string
	List   bool

	kinds []nodeKind // JSON kinds of condition values when not all strings
}

// One returns a single-string element.
func One(s string) Strings { return Strings{Values: []string{s}} }

// List returns a list element.
func List(values ...string) Strings {
	if values == nil {
		values = []string{}
	}
	return Strings{Values: values, List: true}
}

// IsSet reports whether the element is present in the document (an empty list
// counts as present).
func (s Strings) IsSet() bool { return s.Values != nil || s.List }

// Principals is a Principal or NotPrincipal element: either "*" or an object
// mapping principal types (AWS, Service, Federated, CanonicalUser) to values.
type Principals struct {
	Wildcard bool // "Principal": "*"
	Entries  []PrincipalEntry
}

// PrincipalEntry is one type of a Principals object, such as
// "AWS": ["arn:aws:iam::111122223333:root"].
type PrincipalEntry struct {
	Type   string
	Values Strings
}

// Principal element types.
const (
	PrincipalAWS           = "AWS"
	PrincipalService       = "Service"
	PrincipalFederated     = "Federated"
	PrincipalCanonicalUser = "CanonicalUser"
)

// Condition is a statement's Condition element: operator blocks in document
// order, each holding condition keys and their values.
type Condition []ConditionBlock

// ConditionBlock is one operator of a Condition element, such as
// "StringEquals": {"aws:username": "alice"}.
type ConditionBlock struct {
	Operator string
	Entries  []ConditionEntry
}

// ConditionEntry is one condition key and its values within an operator block.
type ConditionEntry struct {
	Key    string
	Values Strings
}

// Parse parses a policy document. It accepts any document whose meaning is
// clear — every version, resource policies with Principal, numbers and
// booleans as condition values — and rejects documents that are not JSON, have
// the wrong shape, repeat a key, or have an Effect other than "Allow" or
// "Deny". Errors are *ValidationError with AWS's message texts. Use Validate
// for the full checks IAM applies when storing a policy.
func Parse(doc []byte) (*Policy, error) {
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, errMalformed(msgSyntax)
	}
	if root.hasDuplicateKeys() {
		return nil, errMalformed(msgSyntax)
	}
	if !syntaxOK(&root, false) {
		return nil, errMalformed(msgSyntax)
	}
	p := build(&root)
	for i := range p.Statements {
		if e := p.Statements[i].Effect; e != EffectAllow && e != EffectDeny {
			return nil, errMalformed(msgLegacy)
		}
	}
	p.compile()
	return p, nil
}

// MustParse is like Parse but panics on error; for tests and constants.
func MustParse(doc string) *Policy {
	p, err := Parse([]byte(doc))
	if err != nil {
		panic("iampolicy: MustParse: " + err.Error())
	}
	return p
}

// UnmarshalJSON implements json.Unmarshaler with Parse's rules.
func (p *Policy) UnmarshalJSON(b []byte) error {
	q, err := Parse(b)
	if err != nil {
		return err
	}
	*p = Policy{
		Version: q.Version, ID: q.ID, Statements: q.Statements,
		singleStatement: q.singleStatement, order: q.order,
	}
	return nil
}

// build converts a syntax-checked tree into a Policy.
func build(root *node) *Policy {
	p := &Policy{}
	for _, m := range root.members {
		p.order = append(p.order, m.key)
		v := m.val
		switch m.key {
		case "Version":
			p.Version = v.str
		case "Id":
			p.ID = v.str
		case "Statement":
			if v.kind == kindObject {
				p.singleStatement = true
				p.Statements = []Statement{buildStatement(&v)}
			} else {
				for i := range v.items {
					p.Statements = append(p.Statements, buildStatement(&v.items[i]))
				}
			}
		}
	}
	return p
}

func buildStatement(n *node) Statement {
	var s Statement
	for _, m := range n.members {
		s.order = append(s.order, m.key)
		v := m.val
		switch m.key {
		case "Sid":
			s.Sid, s.hasSid = v.str, true
		case "Effect":
			s.Effect = Effect(v.str)
		case "Principal":
			s.Principal = buildPrincipals(&v)
		case "NotPrincipal":
			s.NotPrincipal = buildPrincipals(&v)
		case "Action":
			s.Action = buildStrings(&v)
		case "NotAction":
			s.NotAction = buildStrings(&v)
		case "Resource":
			s.Resource = buildStrings(&v)
		case "NotResource":
			s.NotResource = buildStrings(&v)
		case "Condition":
			s.Condition = Condition{}
			for _, op := range v.members {
				b := ConditionBlock{Operator: op.key}
				for _, e := range op.val.members {
					b.Entries = append(b.Entries, ConditionEntry{Key: e.key, Values: buildStrings(&e.val)})
				}
				s.Condition = append(s.Condition, b)
			}
		}
	}
	return s
}

// buildStrings converts a scalar or a list of scalars. Null list elements are
// dropped: AWS ignores them, and they match nothing.
func buildStrings(n *node) Strings {
	if n.kind != kindArray {
		s := Strings{Values: []string{n.str}}
		if n.kind != kindString {
			s.kinds = []nodeKind{n.kind}
		}
		return s
	}
	s := Strings{Values: make([]string, 0, len(n.items)), List: true}
	mixed := false
	for i := range n.items {
		if n.items[i].kind != kindString && n.items[i].kind != kindNull {
			mixed = true
		}
	}
	for i := range n.items {
		it := &n.items[i]
		if it.kind == kindNull {
			continue
		}
		s.Values = append(s.Values, it.str)
		if mixed {
			s.kinds = append(s.kinds, it.kind)
		}
	}
	return s
}

func buildPrincipals(n *node) *Principals {
	if n.kind == kindString {
		return &Principals{Wildcard: true}
	}
	p := &Principals{}
	for _, m := range n.members {
		p.Entries = append(p.Entries, PrincipalEntry{Type: m.key, Values: buildStrings(&m.val)})
	}
	return p
}

// syntaxOK checks the JSON shape of a policy: the "Syntax errors in policy."
// class of checks, in the way moto's validator (which reproduces AWS) does.
// strict applies the validator's exact rules; Parse is more lenient about
// value types in conditions.
func syntaxOK(root *node, strict bool) bool {
	if root.kind != kindObject {
		return false
	}
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.val.kind != kindString || (m.val.str != Version2012 && m.val.str != Version2008) {
				return false
			}
		case "Id":
			if m.val.kind != kindString {
				return false
			}
		case "Statement":
		case "Conditions":
			// Accepted and ignored by AWS's parser (moto lists it as a valid
			// top-level element).
		default:
			return false
		}
	}
	st, ok := root.get("Statement")
	if !ok {
		return false
	}
	switch st.kind {
	case kindObject:
		return statementSyntaxOK(st, strict)
	case kindArray:
		if len(st.items) == 0 {
			return false
		}
		for i := range st.items {
			if !statementSyntaxOK(&st.items[i], strict) {
				return false
			}
		}
		return true
	}
	return false
}

func statementSyntaxOK(n *node, strict bool) bool {
	if n.kind != kindObject {
		return false
	}
	has := map[string]bool{}
	for _, m := range n.members {
		switch m.key {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
			"Resource", "NotResource", "Condition":
			has[m.key] = true
		default:
			return false
		}
	}
	if (has["Action"] && has["NotAction"]) || (has["Resource"] && has["NotResource"]) {
		return false
	}
	if has["Principal"] && has["NotPrincipal"] {
		return false
	}
	eff, ok := n.get("Effect")
	if !ok || eff.kind != kindString || (!equalFoldASCII(eff.str, "allow") && !equalFoldASCII(eff.str, "deny")) {
		return false
	}
	for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v, ok := n.get(k); ok && !stringsSyntaxOK(v) {
			return false
		}
	}
	if v, ok := n.get("Sid"); ok && v.kind != kindString {
		return false
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if v, ok := n.get(k); ok && !principalSyntaxOK(v) {
			return false
		}
	}
	if v, ok := n.get("Condition"); ok && !conditionSyntaxOK(v, strict) {
		return false
	}
	return true
}

// stringsSyntaxOK: a string, or a list whose elements are strings or null.
func stringsSyntaxOK(n *node) bool {
	switch n.kind {
	case kindString:
		return true
	case kindArray:
		for i := range n.items {
			if k := n.items[i].kind; k != kindString && k != kindNull {
				return false
			}
		}
		return true
	}
	return false
}

// principalSyntaxOK: "*" or an object of type → string or list of strings.
func principalSyntaxOK(n *node) bool {
	switch n.kind {
	case kindString:
		return n.str == "*"
	case kindObject:
		for _, m := range n.members {
			if !stringsSyntaxOK(&m.val) {
				return false
			}
		}
		return true
	}
	return false
}

// conditionSyntaxOK: an object of operator → object of key → value, where a
// value is a string, a boolean, or a list (strict, as moto) — Parse also takes
// numbers and lists of scalars. Unknown operators are a syntax error unless
// their block is empty.
func conditionSyntaxOK(n *node, strict bool) bool {
	if n.kind != kindObject {
		return false
	}
	for _, op := range n.members {
		if op.val.kind != kindObject {
			return false
		}
		for _, e := range op.val.members {
			v := e.val
			switch v.kind {
			case kindString, kindBool:
			case kindNumber:
				if strict {
					return false
				}
			case kindArray:
				if !strict {
					for i := range v.items {
						if !v.items[i].isScalar() && v.items[i].kind != kindNull {
							return false
						}
					}
				}
			default:
				return false
			}
		}
		if strict {
			if _, ok := parseOperator(op.key, true); !ok && len(op.val.members) > 0 {
				return false
			}
		}
	}
	return true
}

// MarshalJSON writes the policy back as JSON, keeping the key order and
// string-or-list shapes it was parsed with; policies built in code get AWS's
// usual order (Version, Id, Statement; Sid, Effect, Principal, Action,
// Resource, Condition).
func (p *Policy) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	key := func(k string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(&b, k)
		b.WriteByte(':')
	}
	for _, k := range mergeOrder(p.order, []string{"Version", "Id", "Statement"}) {
		switch k {
		case "Version":
			if p.Version != "" || contains(p.order, "Version") {
				key(k)
				writeString(&b, p.Version)
			}
		case "Id":
			if p.ID != "" || contains(p.order, "Id") {
				key(k)
				writeString(&b, p.ID)
			}
		case "Statement":
			key(k)
			if p.singleStatement && len(p.Statements) == 1 {
				p.Statements[0].marshal(&b)
				continue
			}
			b.WriteByte('[')
			for i := range p.Statements {
				if i > 0 {
					b.WriteByte(',')
				}
				p.Statements[i].marshal(&b)
			}
			b.WriteByte(']')
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// String returns the policy as compact JSON.
func (p *Policy) String() string {
	b, _ := p.MarshalJSON()
	return string(b)
}

func (s *Statement) marshal(b *bytes.Buffer) {
	b.WriteByte('{')
	first := true
	key := func(k string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(b, k)
		b.WriteByte(':')
	}
	canonical := []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
		"Resource", "NotResource", "Condition"}
	for _, k := range mergeOrder(s.order, canonical) {
		switch k {
		case "Sid":
			if s.Sid != "" || s.hasSid {
				key(k)
				writeString(b, s.Sid)
			}
		case "Effect":
			key(k)
			writeString(b, string(s.Effect))
		case "Principal":
			if s.Principal != nil {
				key(k)
				s.Principal.marshal(b)
			}
		case "NotPrincipal":
			if s.NotPrincipal != nil {
				key(k)
				s.NotPrincipal.marshal(b)
			}
		case "Action":
			if s.Action.IsSet() {
				key(k)
				s.Action.marshal(b)
			}
		case "NotAction":
			if s.NotAction.IsSet() {
				key(k)
				s.NotAction.marshal(b)
			}
		case "Resource":
			if s.Resource.IsSet() {
				key(k)
				s.Resource.marshal(b)
			}
		case "NotResource":
			if s.NotResource.IsSet() {
				key(k)
				s.NotResource.marshal(b)
			}
		case "Condition":
			if s.Condition != nil {
				key(k)
				s.Condition.marshal(b)
			}
		}
	}
	b.WriteByte('}')
}

func (p *Principals) marshal(b *bytes.Buffer) {
	if p.Wildcard {
		writeString(b, "*")
		return
	}
	b.WriteByte('{')
	for i, e := range p.Entries {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, e.Type)
		b.WriteByte(':')
		e.Values.marshal(b)
	}
	b.WriteByte('}')
}

func (c Condition) marshal(b *bytes.Buffer) {
	b.WriteByte('{')
	for i, blk := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, blk.Operator)
		b.WriteString(":{")
		for j, e := range blk.Entries {
			if j > 0 {
				b.WriteByte(',')
			}
			writeString(b, e.Key)
			b.WriteByte(':')
			e.Values.marshal(b)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func (s Strings) marshal(b *bytes.Buffer) {
	one := func(i int) {
		if i < len(s.kinds) && (s.kinds[i] == kindBool || s.kinds[i] == kindNumber) && json.Valid([]byte(s.Values[i])) {
			b.WriteString(s.Values[i])
			return
		}
		writeString(b, s.Values[i])
	}
	if !s.List && len(s.Values) == 1 {
		one(0)
		return
	}
	b.WriteByte('[')
	for i := range s.Values {
		if i > 0 {
			b.WriteByte(',')
		}
		one(i)
	}
	b.WriteByte(']')
}

// writeString writes s as a JSON string without HTML escaping, so that
// policies read back byte-for-byte like AWS returns them.
func writeString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}

// mergeOrder returns the keys of order (those known in canonical), followed
// by the canonical keys not in order.
func mergeOrder(order, canonical []string) []string {
	out := make([]string, 0, len(canonical))
	for _, k := range order {
		if contains(canonical, k) && !contains(out, k) {
			out = append(out, k)
		}
	}
	for _, k := range canonical {
		if !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
