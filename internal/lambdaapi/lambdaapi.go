// Package lambdaapi serves the AWS Lambda control-plane REST-JSON API:
// functions, their resource-based policies and function URL
// configurations, with Lambda's routes, status codes and error bodies.
//
// Every call is authorized by the policy engine as lambda:<Action> on the
// function's ARN, with the function's own resource-based policy taking part
// as AWS evaluates it.
package lambdaapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/authz"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/awsproto"
	"github.com/fnurl/fnurl/internal/lambda"
)

// Handler serves the Lambda API.
type Handler struct {
	fns   *lambda.Service
	authz *authz.Authorizer
	// URLBase turns a url-id into the FunctionUrl clients are given.
	URLBase func(urlID string) string
	// Invoker runs functions; nil means this server cannot run them.
	Invoker lambda.Invoker
	mux     *http.ServeMux
}

// NewHandler returns the Lambda API handler.
func NewHandler(fns *lambda.Service, az *authz.Authorizer, urlBase func(string) string) *Handler {
	h := &Handler{fns: fns, authz: az, URLBase: urlBase, mux: http.NewServeMux()}
	h.routes()
	return h
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h *Handler) handle(pattern string, f handlerFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			if e := awsproto.WriteJSONError(w, r, err); e.Internal() {
				awsproto.LogInternal(r.Context(), e)
			}
		}
	})
}

func (h *Handler) routes() {
	h.handle("POST /2015-03-31/functions", h.createFunction)
	h.handle("POST /2015-03-31/functions/{$}", h.createFunction)
	h.handle("GET /2015-03-31/functions", h.listFunctions)
	h.handle("GET /2015-03-31/functions/{$}", h.listFunctions)
	h.handle("GET /2015-03-31/functions/{name}", h.getFunction)
	h.handle("DELETE /2015-03-31/functions/{name}", h.deleteFunction)
	h.handle("GET /2015-03-31/functions/{name}/configuration", h.getFunctionConfiguration)
	h.handle("PUT /2015-03-31/functions/{name}/configuration", h.updateFunctionConfiguration)
	h.handle("PUT /2015-03-31/functions/{name}/code", h.updateFunctionCode)
	h.handle("PUT /2017-10-31/functions/{name}/concurrency", h.putFunctionConcurrency)
	h.handle("DELETE /2017-10-31/functions/{name}/concurrency", h.deleteFunctionConcurrency)
	h.handle("GET /2019-09-30/functions/{name}/concurrency", h.getFunctionConcurrency)

	h.handle("POST /2015-03-31/functions/{name}/invocations", h.invoke)
	h.handle("POST /2015-03-31/functions/{name}/versions", h.publishVersion)
	h.handle("GET /2015-03-31/functions/{name}/versions", h.listVersions)
	h.handle("POST /2015-03-31/functions/{name}/aliases", h.createAlias)
	h.handle("GET /2015-03-31/functions/{name}/aliases", h.listAliases)
	h.handle("GET /2015-03-31/functions/{name}/aliases/{alias}", h.getAlias)
	h.handle("PUT /2015-03-31/functions/{name}/aliases/{alias}", h.updateAlias)
	h.handle("DELETE /2015-03-31/functions/{name}/aliases/{alias}", h.deleteAlias)
	h.handle("POST /2015-03-31/functions/{name}/policy", h.addPermission)
	h.handle("GET /2015-03-31/functions/{name}/policy", h.getPolicy)
	h.handle("DELETE /2015-03-31/functions/{name}/policy/{sid}", h.removePermission)

	h.handle("POST /2021-10-31/functions/{name}/url", h.createURL)
	h.handle("GET /2021-10-31/functions/{name}/url", h.getURL)
	h.handle("PUT /2021-10-31/functions/{name}/url", h.updateURL)
	h.handle("DELETE /2021-10-31/functions/{name}/url", h.deleteURL)
	h.handle("GET /2021-10-31/functions/{name}/urls", h.listURLs)

	h.handle("/", func(w http.ResponseWriter, r *http.Request) error {
		return awserr.New("UnknownOperationException", http.StatusNotFound, "Unknown operation "+r.Method+" "+r.URL.Path)
	})
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// authorize checks lambda:<action> on resource for the caller, with the
// function's resource-based policy when it has one.
func (h *Handler) authorize(r *http.Request, action, resource, function, qualifier string) error {
	p := authn.PrincipalFrom(r.Context())
	q := authz.Query{Action: "lambda:" + action, Resource: resource}
	if function != "" {
		doc, err := h.fns.ResourcePolicy(r.Context(), function, qualifier)
		if err != nil {
			return err
		}
		if q.ResourcePolicy, err = h.authz.NamedPolicy("function policy", "function "+function, doc); err != nil {
			return err
		}
	}
	d, err := h.authz.Decide(r.Context(), p, q)
	if err != nil {
		return err
	}
	if !d.Allowed() {
		return authz.Denied(p, d)
	}
	return nil
}

// target resolves the {name} path value and authorizes action on it. The
// function need not exist: authorization uses the ARN it would have, so
// that callers without permission cannot learn which functions exist.
func (h *Handler) target(r *http.Request, action string) (name, qualifier string, err error) {
	name, qualifier, err = h.fns.ParseName(r.PathValue("name"))
	if err != nil {
		return "", "", err
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if qualifier != "" && q != qualifier {
			return "", "", awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest,
				"The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = q
	}
	resource := h.fns.ARN(name)
	if qualifier != "" {
		resource += ":" + qualifier
	}
	return name, qualifier, h.authorize(r, action, resource, name, qualifier)
}

// decode reads a JSON body into v; an empty body is an empty object.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return awserr.Errorf("SerializationException", http.StatusBadRequest, "Unexpected value for %s", te.Field)
		}
		return awserr.New("InvalidRequestContentException", http.StatusBadRequest, "Could not parse request body into json: "+errText(err))
	}
	return nil
}

func errText(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// lambdaTime formats times as Lambda's LastModified does.
func lambdaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func write(w http.ResponseWriter, status int, v any) error {
	return awsproto.WriteJSON(w, status, v)
}

// noContent answers 204 with no body.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func intParam(r *http.Request, name string, def, min, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, awserr.Errorf(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have value between %d and %d",
			s, strings.ToLower(name[:1])+name[1:], min, max)
	}
	return n, nil
}
