// Package awserr defines the error type that carries an AWS error code, the
// client-visible message AWS would send, and the HTTP status, plus an
// optional cause that is logged but never sent.
//
// Domain packages choose the AWS meaning of a failure; only the protocol
// layer (awsproto) turns an *Error into a response. Any error that is not an
// *Error is an internal failure: the client sees a bland message and the
// cause is logged once, with the request ID.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Common codes, spelled as the query protocol (IAM, STS) spells them. The
// JSON protocol (Lambda) translates some of them; see awsproto.
const (
	CodeAccessDenied               = "AccessDenied"
	CodeExpiredToken               = "ExpiredToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeInternalFailure            = "InternalFailure"
	CodeInvalidAction              = "InvalidAction"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeMissingAction              = "MissingAction"
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeRequestEntityTooLarge      = "RequestEntityTooLarge"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeThrottling                 = "Throttling"
	CodeValidationError            = "ValidationError"
	CodeInvalidParameterValue      = "InvalidParameterValue"
	CodeInvalidInput               = "InvalidInput"
)

// Error is an AWS-shaped error.
type Error struct {
	Code    string // AWS error code, e.g. "NoSuchEntity"
	Message string // client-visible text, worded as AWS words it
	Status  int    // HTTP status; 0 means 400
	Err     error  // optional cause, for logs only
}

// New returns an error with the given code, status and message.
func New(code string, status int, message string) *Error {
	return &Error{Code: code, Status: status, Message: message}
}

// Errorf returns an error with the given code and status and a formatted message.
func Errorf(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns a copy of e that records cause for the logs.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status to answer with.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// Internal reports whether the error is the server's fault (5xx).
func (e *Error) Internal() bool { return e.HTTPStatus() >= 500 }

// As returns err as an *Error. An error that is not an *Error becomes an
// internal failure (500) that keeps err as its cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternalFailure, Status: http.StatusInternalServerError,
		Message: "An internal error occurred. Try again.", Err: err}
}

// CodeOf returns the AWS code of err, CodeInternalFailure for foreign errors
// and "" for nil.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	return As(err).Code
}

// AccessDenied returns AWS's AccessDenied error for principal, action and
// resource, with the reason AWS appends ("because no identity-based policy
// allows the iam:CreateUser action", "with an explicit deny in an
// identity-based policy").
func AccessDenied(principalARN, action, resource, reason string) *Error {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", principalARN, action, resource)
	if reason != "" {
		msg += " " + reason
	}
	return New(CodeAccessDenied, http.StatusForbidden, msg)
}
