// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256)
// requests on the server side, and signs requests on the client side.
//
// Verification rebuilds the canonical request from the request exactly as it
// arrived on the wire, using the signed-header list the client sent. It never
// re-signs with an SDK signer: SDK signers choose for themselves which headers
// to sign, so a client that signed another set would not verify. Only the
// standard library is used.
//
// # Verification order
//
// A server calls, in this order:
//
//	a, err := sigv4.Parse(r)                 // syntax only
//	// route by a.Service
//	err = a.CheckScope(region, service)      // credential scope
//	err = v.CheckTime(a)                     // clock skew, presign expiry
//	// look up the secret (and session) by a.AccessKeyID and a.SecurityToken
//	err = v.CheckSignature(r, a, secret, sigv4.PayloadHash(body))
//
// Every failure is an *Error whose Kind the caller maps to its protocol's
// error code, and whose Message mirrors AWS's wording.
//
// AWS's own order, as documented by the scratchstack-aws-signature project
// ("AWS Auth Error Ordering", measured against AWS), differs in three small
// ways. (1) AWS checks the request time (expired / not yet current) before
// the credential scope, and counts the credential's elements only after the
// time; this package counts the elements in Parse, and callers check the
// scope before the time, so a request wrong in both ways gets the scope
// error where AWS would give the time error. (2) AWS rejects a query string
// with a malformed percent-escape (MalformedQueryString) before anything
// else; Parse does too, reporting it as KindIncomplete with AWS's message.
// (3) AWS answers a request carrying both an Authorization header and
// X-Amz-Algorithm with SignatureDoesNotMatch and no message; Parse reports
// KindIncomplete. Following that same document, a SignedHeaders list without
// host yields KindMismatch ("'Host' or ':authority' must be a 'SignedHeader'
// in the AWS Authorization."), and an X-Amz-Algorithm other than
// AWS4-HMAC-SHA256 yields KindMissing (MissingAuthenticationToken). Within
// the Authorization header the last occurrence of a parameter wins; of
// repeated X-Amz-* query parameters the first wins.
//
// # Canonical request
//
// The canonical request is built from the wire, not from r.URL, which
// net/http has already decoded and middleware may have rewritten:
//
//   - Method as received.
//   - URI: the raw path of r.RequestURI (r.URL.RequestURI() for a request
//     built by a client), URI-encoded once more: every byte outside
//     A-Za-z0-9-_.~ and '/' becomes %XX with upper-case hex, so '%' becomes
//     "%25" (the "double encoding" of non-S3 services). An empty path is
//     "/". S3's single encoding is not supported.
//   - Query: the raw query split on '&' (empty segments ignored), each part
//     split on the first '=' (no '=' means an empty value), percent-decoded
//     ('+' stays a literal plus, as smithy-rs and AWS's suite treat it),
//     re-encoded with the unreserved set, sorted by encoded key and then
//     encoded value, duplicates kept. X-Amz-Signature is left out of
//     presigned requests. A malformed escape is rejected (KindIncomplete),
//     never taken literally.
//   - Headers: exactly the client's SignedHeaders, which must be lower-case,
//     sorted and free of duplicates (every SDK and curl send them so; other
//     lists are rejected as malformed rather than guessed at). The values of a
//     repeated header are joined with ',' in arrival order, each trimmed with
//     internal runs of spaces and tabs collapsed to one space. net/http moves
//     some headers out of r.Header: host comes from r.Host, content-length
//     falls back to r.ContentLength (HTTP/2), transfer-encoding comes from
//     r.TransferEncoding. A signed header absent from the request is
//     rejected (KindIncomplete); unsigned extra headers are ignored.
//   - Payload: the caller passes the hex SHA-256 of the body it received and
//     the canonical request always uses it. An x-amz-content-sha256 header
//     (or presigned query parameter) must equal it: UNSIGNED-PAYLOAD and
//     STREAMING-* are refused (KindPayload), since Lambda, IAM and STS only
//     accept signed payloads.
//
// The string to sign is "AWS4-HMAC-SHA256", the request time in ISO 8601
// basic format, the scope "yyyymmdd/region/service/aws4_request" and the
// hex SHA-256 of the canonical request, joined by newlines. The signature is
// compared in constant time; hex digits of either case are accepted.
//
// # Forms tried
//
// If the signature does not match the request as received, CheckSignature
// also tries, in this order:
//
//  1. the path with empty, "." and ".." segments removed (NormalizePath).
//     botocore, @smithy/signature-v4, aws4 and aws-c-auth sign the
//     normalised path but send the path unchanged, so the wire path of a
//     request signed by them may hold segments the signature does not
//     cover. The cost is that such segments are malleable: "/a/x/../b"
//     verifies where "/a/b" was signed. aws-sdk-go-v2 and curl do not
//     normalise; their paths verify in the first attempt.
//  2. for presigned requests carrying X-Amz-Security-Token, the query
//     without it: a session token appended to the URL after signing, the
//     presigned counterpart of the suite's post-sts-header-after case (a
//     token header that is present but not signed needs no retry, since
//     only signed headers enter the canonical request). The token is still
//     returned in Auth.SecurityToken, and the caller must check it against
//     the access key.
//
// # Time
//
// The request time comes from X-Amz-Date (ISO 8601 basic format, or the
// extended format AWS also tolerates in headers), or failing that the Date
// header (RFC 1123 and the other forms net/http parses); presigned requests
// need the X-Amz-Date query parameter. The scope date must equal its UTC
// date. Header-signed requests must be within MaxSkew (15 minutes by default;
// function URLs use 5) of the server clock both ways. Presigned requests
// need X-Amz-Expires of 1 to 604800 seconds, are valid strictly before
// X-Amz-Date+X-Amz-Expires, and must not be dated more than MaxSkew ahead.
//
// # Signing keys
//
// Verifier caches signing keys per (secret, date, region, service), keyed by
// the SHA-256 of those values so that no secret is held as a map key. The
// cache holds at most 2048 keys in two generations and is safe for
// concurrent use. With a cached key a typical verification takes a few
// microseconds and two allocations (see BenchmarkVerify).
//
// # Client side
//
// Sign adds an Authorization header signing host, x-amz-date,
// x-amz-security-token, content-type and any other x-amz-* header. Presign
// returns a URL signing method, path, query, host and an empty payload.
//
// Messages never contain secrets, derived keys or computed signatures;
// Credentials print only their access key ID.
package sigv4
