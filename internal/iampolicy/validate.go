package iampolicy

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Kind is the kind of policy a document is validated as.
type Kind uint8

// Policy kinds.
const (
	// Identity policies attach to users, groups and roles (and serve as
	// permissions boundaries and session policies): no Principal.
	Identity Kind = iota
	// Resource policies attach to resources: Principal required.
	Resource
	// Trust is a role's trust (assume-role) policy: Principal required, no
	// Resource, and only sts:AssumeRole-style actions.
	Trust
)

func (k Kind) String() string {
	switch k {
	case Resource:
		return "resource"
	case Trust:
		return "trust"
	}
	return "identity"
}

// ValidationError is a policy document rejected with AWS's
// MalformedPolicyDocument error. Message is the exact text AWS sends.
type ValidationError struct {
	Message string
}

// CodeMalformedPolicyDocument is the AWS error code of a ValidationError
// (HTTP 400).
const CodeMalformedPolicyDocument = "MalformedPolicyDocument"

func (e *ValidationError) Error() string { return CodeMalformedPolicyDocument + ": " + e.Message }

// Code returns the AWS error code, CodeMalformedPolicyDocument.
func (e *ValidationError) Code() string { return CodeMalformedPolicyDocument }

func errMalformed(msg string) *ValidationError { return &ValidationError{Message: msg} }

// AWS's MalformedPolicyDocument messages, in the order IAM checks them
// (moto's validator reproduces them; see iam-and-sigv4.md §3.10).
const (
	msgSyntax          = "Syntax errors in policy."
	msgVersion         = "Policy document must be version 2012-10-17 or greater."
	msgLegacy          = "The policy failed legacy parsing"
	msgSidUnique       = "Statement IDs (SID) in a single policy must be unique."
	msgNoActions       = "Policy statement must contain actions."
	msgNoResources     = "Policy statement must contain resources."
	msgVendorMissing   = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon        = "Actions/Condition can contain only one colon."
	msgTrustActions    = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
	msgTrustResource   = "Has prohibited field Resource."
	msgResourceVendor  = "Resource vendor must be fully qualified and cannot contain regexes."
	msgIAMResourcePath = `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`

	// Checks real IAM makes that moto's validator does not; applied after
	// moto's. Texts as reported from AWS (terraform-provider-aws#10419,
	// terraform-aws-modules/terraform-aws-iam#47).
	msgPrincipalForbidden = "Policy document should not specify a principal."
	msgTrustNoPrincipal   = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	// Resource-based policies (S3's wording; UNCONFIRMED for other services).
	msgResourceNoPrincipal = "Missing required field Principal"
	// IAM Sids are alphanumeric; resource policies of other services accept
	// more. Text UNCONFIRMED.
	msgSidCharacters = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
)

// Size limits of IAM policy documents, in characters, not counting white
// space ("IAM and AWS STS quotas"). The IAM service compares Size with them
// and answers LimitExceeded.
const (
	MaxManagedPolicySize   = 6144
	MaxInlineUserPolicies  = 2048 // aggregate of a user's inline policies
	MaxInlineGroupPolicies = 5120
	MaxInlineRolePolicies  = 10240
	DefaultMaxTrustPolicy  = 2048 // role trust policy; can be raised to 4096
	MaxSessionPolicy       = 2048 // plaintext of inline + managed session policies
)

// Size returns the size of a policy document as IAM counts it: characters,
// without white space.
func Size(doc []byte) int {
	n := 0
	for _, r := range string(doc) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// ValidCharacters reports whether doc uses only the characters IAM accepts in
// policy documents: TAB, LF, CR and U+0020 to U+00FF (the PolicyDocument
// pattern of the IAM API). Violations are a ValidationError of the API layer,
// not a MalformedPolicyDocument.
func ValidCharacters(doc []byte) bool {
	for _, r := range string(doc) {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xFF) {
			return false
		}
	}
	return true
}

// partitions are the partitions IAM knows (moto's list).
var partitions = []string{"aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-eusc", "aws"}

// trustActions are the actions a trust policy may name.
var trustActions = []string{
	"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
	"sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo", "sts:GetCallerIdentity",
	"sts:GetFederationToken", "sts:GetServiceBearerToken", "sts:GetSessionToken",
	"sts:SetSourceIdentity", "sts:TagSession",
}

// Validate checks a policy document the way IAM does before storing it, and
// returns a *ValidationError whose Message is AWS's MalformedPolicyDocument
// text, or nil. Checks run in IAM's order, so a document with several
// problems reports the one AWS would:
//
//  1. JSON and shape ("Syntax errors in policy."), including unknown keys,
//     unknown Version values, Action with NotAction, unknown operators;
//  2. Version must be 2012-10-17 (identity and trust policies);
//  3. legacy parsing: Effect exactly Allow/Deny, Date condition values,
//     some malformed resources;
//  4. unique Sids; 5. every statement has actions;
//  6. resource ARN format; 7. action vendor prefixes;
//  8. identity and resource policies need resources; trust policies take
//     only sts actions and no Resource;
//  9. then checks moto does not make: no Principal in identity policies, a
//     Principal in trust and resource policies, alphanumeric IAM Sids.
func Validate(doc []byte, kind Kind) error {
	root, err := decodeJSON(doc)
	if err != nil || root.hasDuplicateKeys() || !syntaxOK(&root, true) {
		return errMalformed(msgSyntax)
	}
	var stmts []*node
	st, _ := root.get("Statement")
	if st.kind == kindObject {
		stmts = []*node{st}
	} else {
		for i := range st.items {
			stmts = append(stmts, &st.items[i])
		}
	}
	if kind != Resource {
		if v, ok := root.get("Version"); !ok || v.str != Version2012 {
			return errMalformed(msgVersion)
		}
	}

	// Legacy parsing: effects and date conditions, then resource formats.
	for _, s := range stmts {
		if e, _ := s.get("Effect"); e.str != string(EffectAllow) && e.str != string(EffectDeny) {
			return errMalformed(msgLegacy)
		}
		if c, ok := s.get("Condition"); ok && !legacyConditionOK(c) {
			return errMalformed(msgLegacy)
		}
	}
	resourceErr := ""
	for _, key := range []string{"Resource", "NotResource"} {
		for _, s := range stmts {
			v, ok := s.get(key)
			if !ok {
				continue
			}
			if v.kind == kindString {
				if msg := resourceFormatError(v.str); msg != "" {
					resourceErr = msg
				}
			} else {
				var rs []string
				for _, it := range v.items {
					if it.kind == kindString && it.str != "" {
						rs = append(rs, it.str)
					}
				}
				sort.Sort(sort.Reverse(sort.StringSlice(rs)))
				for _, r := range rs {
					if msg := resourceFormatError(r); msg != "" {
						resourceErr = msg
					}
				}
			}
			if resourceErr == "" && !legacyResourceOK(v) {
				return errMalformed(msgLegacy)
			}
		}
	}

	sids := map[string]bool{}
	for _, s := range stmts {
		if v, ok := s.get("Sid"); ok && v.str != "" {
			if sids[v.str] {
				return errMalformed(msgSidUnique)
			}
			sids[v.str] = true
		}
	}
	for _, s := range stmts {
		a, okA := s.get("Action")
		na, okN := s.get("NotAction")
		switch {
		case !okA && !okN:
			return errMalformed(msgNoActions)
		case okA && a.kind == kindArray && len(a.items) == 0:
			return errMalformed(msgNoActions)
		case !okA && na.kind == kindArray && len(na.items) == 0:
			return errMalformed(msgNoActions)
		}
	}
	if resourceErr != "" {
		return errMalformed(resourceErr)
	}
	for _, key := range []string{"Action", "NotAction"} {
		for _, s := range stmts {
			v, ok := s.get(key)
			if !ok {
				continue
			}
			for _, a := range stringsOf(v) {
				if msg := actionPrefixError(a); msg != "" {
					return errMalformed(msg)
				}
			}
		}
	}

	switch kind {
	case Identity, Resource:
		for _, s := range stmts {
			r, okR := s.get("Resource")
			nr, okN := s.get("NotResource")
			switch {
			case !okR && !okN:
				return errMalformed(msgNoResources)
			case okR && r.kind == kindArray && len(r.items) == 0:
				return errMalformed(msgNoResources)
			case !okR && nr.kind == kindArray && len(nr.items) == 0:
				return errMalformed(msgNoResources)
			}
		}
	case Trust:
		for _, s := range stmts {
			a, ok := s.get("Action")
			if !ok {
				return errMalformed(msgTrustActions)
			}
			for _, act := range stringsOf(a) {
				if !contains(trustActions, act) {
					return errMalformed(msgTrustActions)
				}
			}
		}
		for _, s := range stmts {
			if _, ok := s.get("Resource"); ok {
				return errMalformed(msgTrustResource)
			}
			if _, ok := s.get("NotResource"); ok {
				return errMalformed(msgTrustResource)
			}
		}
	}

	// Beyond moto.
	for _, s := range stmts {
		_, hasP := s.get("Principal")
		_, hasNP := s.get("NotPrincipal")
		switch kind {
		case Identity:
			if hasP || hasNP {
				return errMalformed(msgPrincipalForbidden)
			}
		case Trust:
			if !hasP && !hasNP {
				return errMalformed(msgTrustNoPrincipal)
			}
		case Resource:
			if !hasP && !hasNP {
				return errMalformed(msgResourceNoPrincipal)
			}
		}
		if kind != Resource {
			if v, ok := s.get("Sid"); ok && strings.TrimFunc(v.str, isAlnum) != "" {
				return errMalformed(msgSidCharacters)
			}
		}
	}
	return nil
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// stringsOf returns the strings of a string-or-list node.
func stringsOf(n *node) []string {
	if n.kind == kindString {
		return []string{n.str}
	}
	var out []string
	for _, it := range n.items {
		if it.kind == kindString {
			out = append(out, it.str)
		}
	}
	return out
}

// actionPrefixError checks that an action is vendor:name with a plausible
// vendor.
func actionPrefixError(a string) string {
	parts := strings.Split(a, ":")
	if len(parts) == 1 && parts[0] != "*" {
		return msgVendorMissing
	}
	if len(parts) > 2 {
		return msgOneColon
	}
	if parts[0] != "*" {
		for _, r := range parts[0] {
			if !(isAlnum(r) || r == '-' || r == '.') {
				return "Vendor " + parts[0] + " is not valid"
			}
		}
	}
	return ""
}

// resourceFormatError returns AWS's message for a malformed Resource value,
// or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return `Resource ` + r + ` must be in ARN format or "*".`
	}
	partition, rest1, hasSep := strings.Cut(rest, ":")
	if partition != "*" && !contains(partitions, partition) {
		remaining := strings.Split(rest1, ":")
		arn1 := "*"
		if remaining[0] != "" || len(remaining) > 1 {
			arn1 = remaining[0]
		}
		arn2, arn3, arn4 := "*", "*", "*"
		if len(remaining) > 1 {
			arn2 = remaining[1]
		}
		if len(remaining) > 2 {
			arn3 = remaining[2]
		}
		if len(remaining) > 3 {
			arn4 = strings.Join(remaining[3:], ":")
		}
		return `Partition "` + partition + `" is not valid for resource "arn:` + partition + ":" + arn1 + ":" + arn2 + ":" + arn3 + ":" + arn4 + `".`
	}
	if !hasSep {
		return msgResourceVendor
	}
	service, regionAndRest, _ := strings.Cut(rest1, ":")
	_, acctAndRest, _ := strings.Cut(regionAndRest, ":")
	_, resourceID, _ := strings.Cut(acctAndRest, ":")
	regionEmpty := strings.HasPrefix(regionAndRest, ":")
	switch service {
	case "iam":
		if !regionEmpty {
			return "IAM resource " + r + " cannot contain region information."
		}
	case "s3":
		if !regionEmpty && !strings.HasPrefix(resourceID, "accesspoint/") {
			return "Resource " + r + " can not contain region information."
		}
	}
	if service == "iam" {
		for _, p := range []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
			"server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"} {
			if strings.HasPrefix(resourceID, p) {
				return ""
			}
		}
		return msgIAMResourcePath
	}
	return ""
}

// legacyResourceOK applies IAM's legacy resource parser: a resource with
// "::" needs at least five colons, and a single resource needs a service.
// (For lists AWS's check, as moto reproduces it, only looks at a
// character that is never empty.)
func legacyResourceOK(n *node) bool {
	if n.kind == kindString {
		r := n.str
		if r == "*" {
			return true
		}
		if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
			return false
		}
		parts := strings.Split(r, ":")
		return len(parts) > 2 && parts[2] != ""
	}
	for _, it := range n.items {
		if it.kind != kindString || it.str == "" || it.str == "*" {
			continue
		}
		if strings.Count(it.str, ":") < 5 && strings.Contains(it.str, "::") {
			return false
		}
		if len(it.str) < 3 {
			return false
		}
	}
	return true
}

// legacyConditionOK checks the values of Date operators.
func legacyConditionOK(c *node) bool {
	for _, op := range c.members {
		name := stripOperator(op.key)
		if !strings.HasPrefix(name, "Date") {
			continue
		}
		for _, e := range op.val.members {
			v := e.val
			switch v.kind {
			case kindString:
				if !legacyDateOK(v.str) {
					return false
				}
			case kindArray:
				for _, it := range v.items {
					if it.kind != kindString || !legacyDateOK(it.str) {
						return false
					}
				}
			default:
				return false
			}
		}
	}
	return true
}

// stripOperator removes one set prefix and the IfExists suffix (exact case).
func stripOperator(name string) string {
	for _, p := range []string{"ForAnyValue:", "ForAllValues:"} {
		if strings.HasPrefix(name, p) {
			name = name[len(p):]
			break
		}
	}
	return strings.TrimSuffix(name, "IfExists")
}

// legacyDateOK is IAM's legacy date check: ISO 8601 with range-checked
// fields, or a non-negative epoch.
func legacyDateOK(v string) bool {
	lower := strings.ToLower(v)
	if strings.Contains(lower, "t") || strings.Contains(v, "-") {
		return legacyISODateOK(lower)
	}
	n, ok := pyInt(v)
	return ok && n >= 0
}

func legacyISODateOK(s string) bool {
	date, timePart, _ := strings.Cut(s, "t")
	neg := strings.HasPrefix(date, "-")
	var dateParts []string
	if neg {
		dateParts = strings.Split(date[1:], "-")
	} else {
		dateParts = strings.Split(date, "-")
	}
	year := dateParts[0]
	if neg {
		year = "-" + year
	}
	if !inRange(year, -292275054, 292278993) {
		return false
	}
	if len(dateParts) > 1 && !inRange(dateParts[1], 1, 12) {
		return false
	}
	if len(dateParts) > 2 && !inRange(dateParts[2], 1, 31) {
		return false
	}
	if len(dateParts) >= 4 {
		return false
	}
	tp := strings.Split(timePart, ":")
	if tp[0] != "" && !inRange(tp[0], 0, 23) {
		return false
	}
	if len(tp) > 1 && !inRange(tp[1], 0, 59) {
		return false
	}
	if len(tp) > 2 {
		sec := tp[2]
		switch {
		case strings.Contains(tp[2], "z"):
			var after string
			sec, after, _ = strings.Cut(tp[2], "z")
			if after != "" {
				return false
			}
		case strings.Contains(tp[2], "+"):
			var tz string
			sec, tz, _ = strings.Cut(tp[2], "+")
			h, m, hasM := strings.Cut(tz, ":")
			if len(h) != 2 || !inRange(h, 0, 23) {
				return false
			}
			if hasM && (len(m) != 2 || !inRange(m, 0, 59)) {
				return false
			}
		}
		whole, frac, hasFrac := strings.Cut(sec, ".")
		if !inRange(whole, 0, 59) {
			return false
		}
		if hasFrac && !inRange(frac, 0, 999999999) {
			return false
		}
	}
	return true
}

func inRange(s string, lo, hi int64) bool {
	n, ok := pyInt(s)
	return ok && n >= lo && n <= hi
}

// pyInt parses an integer the way Python's int() does for the inputs that
// matter here: surrounding white space, a sign, digits with single
// underscores between them.
func pyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	s = strings.ReplaceAll(s, "_", "")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > 1<<63-1 {
		return 0, false
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}
