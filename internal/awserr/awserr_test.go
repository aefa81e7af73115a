package awserr_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/fnurl/fnurl/internal/awserr"
)

func TestAs(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   string
		wantStatus int
	}{
		{"aws error", awserr.New("NoSuchEntity", 404, "The user with name bob cannot be found."), "NoSuchEntity", 404},
		{"wrapped aws error", fmt.Errorf("get user: %w", awserr.New("NoSuchEntity", 404, "x")), "NoSuchEntity", 404},
		{"default status", awserr.New("ValidationError", 0, "x"), "ValidationError", 400},
		{"foreign error", errors.New("disk on fire"), awserr.CodeInternalFailure, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := awserr.As(tt.err)
			if got, want := e.Code, tt.wantCode; got != want {
				t.Errorf("As(%v).Code = %q, want %q", tt.err, got, want)
			}
			if got, want := e.HTTPStatus(), tt.wantStatus; got != want {
				t.Errorf("As(%v).HTTPStatus() = %d, want %d", tt.err, got, want)
			}
		})
	}
}

func TestForeignErrorKeepsCauseButNotMessage(t *testing.T) {
	cause := errors.New("open /secret/path: permission denied")
	e := awserr.As(cause)
	if !errors.Is(e, cause) {
		t.Errorf("As(cause) does not wrap cause")
	}
	if e.Message == cause.Error() {
		t.Errorf("internal cause leaked into the client message: %q", e.Message)
	}
	if !e.Internal() {
		t.Errorf("foreign error is not internal")
	}
}

func TestAccessDenied(t *testing.T) {
	e := awserr.AccessDenied("arn:aws:iam::123456789012:user/bob", "iam:CreateUser",
		"arn:aws:iam::123456789012:user/alice", "because no identity-based policy allows the iam:CreateUser action")
	want := "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/alice because no identity-based policy allows the iam:CreateUser action"
	if e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	if e.HTTPStatus() != http.StatusForbidden || e.Code != "AccessDenied" {
		t.Errorf("got %s %d", e.Code, e.HTTPStatus())
	}
}
