package awsproto

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awserr"
)

// jsonCodes translates the query protocol's spelling of common errors into
// the JSON protocol's (Lambda's) spelling.
var jsonCodes = map[string]string{
	awserr.CodeAccessDenied:               "AccessDeniedException",
	awserr.CodeExpiredToken:               "ExpiredTokenException",
	awserr.CodeIncompleteSignature:        "IncompleteSignatureException",
	awserr.CodeInternalFailure:            "ServiceException",
	awserr.CodeInvalidClientTokenID:       "UnrecognizedClientException",
	awserr.CodeMissingAuthenticationToken: "MissingAuthenticationTokenException",
	awserr.CodeRequestEntityTooLarge:      "RequestTooLargeException",
	awserr.CodeSignatureDoesNotMatch:      "InvalidSignatureException",
	awserr.CodeThrottling:                 "ThrottlingException",
	awserr.CodeValidationError:            "ValidationException",
}

// jsonLowerMessage lists the exceptions whose model spells the message
// member "message"; the others use "Message".
var jsonLowerMessage = map[string]bool{
	"InvalidParameterValueException":      true,
	"ResourceConflictException":           true,
	"TooManyRequestsException":            true,
	"PreconditionFailedException":         true,
	"PolicyLengthExceededException":       true,
	"RequestTooLargeException":            true,
	"UnsupportedMediaTypeException":       true,
	"InvalidRequestContentException":      true,
	"UnrecognizedClientException":         true,
	"InvalidSignatureException":           true,
	"ExpiredTokenException":               true,
	"IncompleteSignatureException":        true,
	"MissingAuthenticationTokenException": true,
	"ThrottlingException":                 true,
}

// JSONCode returns the JSON protocol's code for an error code.
func JSONCode(code string) string {
	if c, ok := jsonCodes[code]; ok {
		return c
	}
	return code
}

// WriteJSONError writes err as the REST-JSON protocol does: the code in the
// x-amzn-ErrorType header and a JSON body with Type and the message.
// It returns the *awserr.Error it wrote.
func WriteJSONError(w http.ResponseWriter, r *http.Request, err error) *awserr.Error {
	e := awserr.As(err)
	code := JSONCode(e.Code)
	audit.FromContext(r.Context()).Update(func(ev *audit.Event) { ev.ErrorCode = code })
	typ := "User"
	if e.Internal() {
		typ = "Service"
	}
	msgKey := "Message"
	if jsonLowerMessage[code] {
		msgKey = "message"
	}
	body, _ := json.Marshal(map[string]string{"Type": typ, msgKey: e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", code)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.HTTPStatus())
	w.Write(body)
	return e
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}
