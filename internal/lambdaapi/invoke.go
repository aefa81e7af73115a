package lambdaapi

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/lambda"
)

// MaxPayload is the largest synchronous invocation payload.
const MaxPayload = 6291456

// invoke serves Invoke: RequestResponse (200 with the result), Event (202;
// the invocation runs after the answer) and DryRun (204 after
// authorization).
func (h *Handler) invoke(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "InvokeFunction")
	if err != nil {
		return err
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(payload) > MaxPayload {
		return awserr.Errorf("RequestTooLargeException", http.StatusRequestEntityTooLarge,
			"Request must be smaller than %d bytes for the InvokeFunction operation", MaxPayload)
	}
	f, err := h.fns.Resolve(r.Context(), name, q)
	if err != nil {
		return err
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	switch typ {
	case "", "RequestResponse", "Event", "DryRun":
	default:
		return awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", typ)
	}
	if typ == "DryRun" {
		return noContent(w)
	}
	if f.ReservedConcurrency != nil && *f.ReservedConcurrency == 0 {
		return awserr.New(lambda.CodeTooManyRequests, http.StatusTooManyRequests, "Rate Exceeded.")
	}
	if h.Invoker == nil {
		return awserr.New("ServiceException", http.StatusInternalServerError, "This fnurl server cannot run functions.")
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	inv := &lambda.Invocation{Function: f, RequestID: awsproto.RequestID(r.Context()), Payload: payload,
		ClientContext: r.Header.Get("X-Amz-Client-Context"), LogTail: r.Header.Get("X-Amz-Log-Type") == "Tail"}
	if typ == "Event" {
		inv.LogTail = false
		go func() {
			ctx := context.WithoutCancel(r.Context())
			if res, err := h.Invoker.Invoke(ctx, inv); err == nil && res.Stream != nil {
				io.Copy(io.Discard, res.Stream)
				res.Stream.Close()
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	res, err := h.Invoker.Invoke(r.Context(), inv)
	if err != nil {
		return err
	}
	lambda.RecordInvocation(w, res)
	body := res.Payload
	if res.Stream != nil {
		// Invoke is buffered: a streamed answer is collected.
		body, err = io.ReadAll(io.LimitReader(res.Stream, MaxPayload+1))
		res.Stream.Close()
		if err != nil {
			return err
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Amz-Executed-Version", f.Version)
	if res.FunctionError != "" {
		hd.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if inv.LogTail {
		hd.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.LogTail))
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}
