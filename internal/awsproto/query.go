package awsproto

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/fnurl/fnurl/internal/audit"
	"github.com/fnurl/fnurl/internal/awserr"
)

// XML namespaces of the query services.
const (
	NamespaceIAM = "https://iam.amazonaws.com/doc/2010-05-08/"
	NamespaceSTS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// QueryParams returns the parameters of a query-protocol request: those of
// the URL's query string and, for a form-encoded body, those of the body.
// Body parameters come after query-string ones, so Get prefers the query
// string, as the query protocol's GET form is the primary one.
func QueryParams(r *http.Request, body []byte) (url.Values, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, awserr.New("MalformedQueryString", http.StatusBadRequest, "The query string is malformed: "+errText(err))
	}
	if len(body) == 0 {
		return v, nil
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct != "" && (err != nil || mt != "application/x-www-form-urlencoded") {
		return nil, awserr.New("UnsupportedMediaType", http.StatusUnsupportedMediaType,
			"The request body must be application/x-www-form-urlencoded.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, awserr.New("MalformedQueryString", http.StatusBadRequest, "The request body is malformed: "+errText(err))
	}
	for k, vs := range form {
		v[k] = append(v[k], vs...)
	}
	return v, nil
}

// errText gives the part of a url parse error a client can act on without
// echoing the whole input back.
func errText(err error) string {
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return "invalid escape " + strconv.Quote(string(ee))
	}
	return "invalid syntax"
}

// WriteQueryResult writes a query-protocol success envelope:
//
//	<ActionResponse xmlns="ns"><ActionResult>result</ActionResult>
//	<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
//
// result is marshalled with encoding/xml as the ActionResult element; a nil
// result writes no result element, as for actions with no output.
func WriteQueryResult(w http.ResponseWriter, r *http.Request, action, ns string, result any) error {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	buf.WriteString("<" + action + `Response xmlns="` + ns + `">`)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return err
		}
		if err := enc.Flush(); err != nil {
			return err
		}
	}
	buf.WriteString("<ResponseMetadata><RequestId>")
	xml.EscapeText(&buf, []byte(RequestID(r.Context())))
	buf.WriteString("</RequestId></ResponseMetadata></" + action + "Response>\n")
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// WriteQueryError writes err in the query protocol's ErrorResponse envelope.
// It returns the *awserr.Error it wrote, so the caller can log the cause of
// internal failures.
func WriteQueryError(w http.ResponseWriter, r *http.Request, ns string, err error) *awserr.Error {
	e := awserr.As(err)
	audit.FromContext(r.Context()).Update(func(ev *audit.Event) { ev.ErrorCode = e.Code })
	typ := "Sender"
	if e.Internal() {
		typ = "Receiver"
	}
	code := e.Code
	if code == awserr.CodeInternalFailure && ns == NamespaceIAM {
		code = "ServiceFailure"
	}
	body, _ := xml.Marshal(queryError{Xmlns: ns, Type: typ, Code: code, Message: e.Message, RequestID: RequestID(r.Context())})
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.HTTPStatus())
	w.Write(body)
	return e
}

// QueryAction reads a query-protocol request of service ("iam", "sts")
// speaking version: its parameters and its Action, which it also records
// in the request's audit entry. A missing Action or another version is
// answered as AWS answers it.
func QueryAction(r *http.Request, service, version string) (params url.Values, action string, err error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, "", err
	}
	if params, err = QueryParams(r, body); err != nil {
		return nil, "", err
	}
	action = params.Get("Action")
	if action == "" {
		return nil, "", awserr.New(awserr.CodeMissingAction, http.StatusBadRequest, "Missing Action")
	}
	audit.FromContext(r.Context()).Update(func(ev *audit.Event) { ev.Action = service + ":" + action })
	if v := params.Get("Version"); v != "" && v != version {
		return nil, "", UnknownAction(action, v)
	}
	return params, action, nil
}

// UnknownAction is AWS's answer for an action the version does not have.
func UnknownAction(action, version string) error {
	return awserr.Errorf(awserr.CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", action, version)
}
