// Package awsproto holds the wire conventions shared by fnurl's AWS APIs:
// request IDs, the query protocol (form parameters in, XML envelopes out)
// used by IAM and STS, and the REST-JSON error shape used by Lambda.
//
// It is the only place that turns an error into a response: an
// *awserr.Error is written in the protocol's envelope, anything else becomes
// the protocol's generic 500 and its cause is returned to the caller to log.
package awsproto
