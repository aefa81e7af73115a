package sigv4

import "errors"

// Kind classifies a verification failure; callers map it to each protocol's
// AWS error code.
type Kind int

const (
	// KindMissing: no Authorization header and no X-Amz-Algorithm query
	// parameter, or an X-Amz-Algorithm other than AWS4-HMAC-SHA256 (AWS
	// answers MissingAuthenticationToken in both cases).
	KindMissing Kind = iota + 1
	// KindIncomplete: malformed or incomplete Authorization header or
	// presign parameters, malformed query string, a signed header absent
	// from the request (AWS: IncompleteSignature).
	KindIncomplete
	// KindMismatch: the signature does not match, or the client did not sign
	// the host header (AWS: SignatureDoesNotMatch / InvalidSignatureException).
	KindMismatch
	// KindScope: the credential scope has the wrong region, service,
	// terminator or date. AWS reports these as signature errors with
	// "Credential should be scoped to ..." messages.
	KindScope
	// KindExpired: outside the clock-skew window, or a presigned URL used
	// at or after X-Amz-Date+X-Amz-Expires.
	KindExpired
	// KindPayload: x-amz-content-sha256 present but not equal to the body
	// hash, including UNSIGNED-PAYLOAD and STREAMING-* (not allowed for
	// lambda, iam or sts).
	KindPayload
)

var kindNames = [...]string{
	KindMissing:    "missing authentication",
	KindIncomplete: "incomplete signature",
	KindMismatch:   "signature mismatch",
	KindScope:      "credential scope",
	KindExpired:    "expired",
	KindPayload:    "payload hash",
}

// String returns a short lower-case name for k, for logs.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Error is a verification failure. Message is client-visible and mirrors
// AWS wording. It never contains secrets: it may quote what the client sent
// (an Authorization header, a credential scope, a date) but never a secret
// key, a derived key or a signature we computed.
type Error struct {
	Kind    Kind
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	return "sigv4: " + e.Kind.String() + ": " + e.Message
}

// KindOf returns the Kind of err if err is (or wraps) an *Error, and 0
// otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Messages that mirror AWS's wording (see doc.go for the sources).
const (
	// MsgSignatureMismatch is AWS's text for SignatureDoesNotMatch and
	// InvalidSignatureException.
	MsgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// MsgMissingAuthToken is AWS's text for MissingAuthenticationToken.
	MsgMissingAuthToken = "Request is missing Authentication Token"

	msgHostNotSigned   = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgBothAuthForms   = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified."
	msgReexamineQuery  = "Re-examine the query-string parameters."
	msgPayloadMismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."
)
