package lambdaapi

import (
	"net/http"
	"time"

	"github.com/fnurl/fnurl/internal/lambda"
)

func (h *Handler) addPermission(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "AddPermission")
	if err != nil {
		return err
	}
	var in struct {
		StatementId           string
		Action                string
		Principal             string
		SourceArn             string
		SourceAccount         string
		PrincipalOrgID        string
		EventSourceToken      string
		FunctionUrlAuthType   string
		InvokedViaFunctionUrl bool
		RevisionId            string
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	stmt, err := h.fns.AddPermission(r.Context(), name, q, lambda.PermissionInput{StatementID: in.StatementId, Action: in.Action,
		Principal: in.Principal, SourceArn: in.SourceArn, SourceAccount: in.SourceAccount, PrincipalOrgID: in.PrincipalOrgID,
		EventSourceToken: in.EventSourceToken, FunctionURLAuthType: in.FunctionUrlAuthType,
		InvokedViaFunctionURL: in.InvokedViaFunctionUrl, RevisionID: in.RevisionId})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, map[string]string{"Statement": stmt})
}

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "GetPolicy")
	if err != nil {
		return err
	}
	doc, rev, err := h.fns.Policy(r.Context(), name, q)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, map[string]string{"Policy": doc, "RevisionId": rev})
}

func (h *Handler) removePermission(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "RemovePermission")
	if err != nil {
		return err
	}
	if err := h.fns.RemovePermission(r.Context(), name, q, r.PathValue("sid"), r.URL.Query().Get("RevisionId")); err != nil {
		return err
	}
	return noContent(w)
}

type corsJSON = lambda.Cors

// urlConfigJSON is Lambda's FunctionUrlConfig.
type urlConfigJSON struct {
	FunctionUrl      string    `json:"FunctionUrl"`
	FunctionArn      string    `json:"FunctionArn"`
	AuthType         string    `json:"AuthType"`
	Cors             *corsJSON `json:"Cors,omitempty"`
	CreationTime     string    `json:"CreationTime"`
	LastModifiedTime string    `json:"LastModifiedTime,omitempty"`
	InvokeMode       string    `json:"InvokeMode,omitempty"`
}

func urlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// urlConfig renders a URL configuration. Get, Update and List report the
// invoke mode (BUFFERED when none was set); Create reports it only when it
// was given, as Lambda does.
func (h *Handler) urlConfig(u *lambda.URLConfig, create bool) urlConfigJSON {
	arn := h.fns.ARN(u.FunctionName)
	if u.Qualifier != "" {
		arn += ":" + u.Qualifier
	}
	out := urlConfigJSON{FunctionUrl: h.URLBase(u.ID), FunctionArn: arn, AuthType: u.AuthType, Cors: u.Cors,
		CreationTime: urlTime(u.Created), InvokeMode: u.InvokeMode}
	if !create {
		out.LastModifiedTime = urlTime(u.Modified)
		if out.InvokeMode == "" {
			out.InvokeMode = "BUFFERED"
		}
	}
	return out
}

type urlInput struct {
	AuthType   *string
	Cors       *corsJSON
	InvokeMode *string
}

func (in urlInput) domain() lambda.URLInput {
	return lambda.URLInput{AuthType: in.AuthType, Cors: in.Cors, InvokeMode: in.InvokeMode}
}

func (h *Handler) createURL(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "CreateFunctionUrlConfig")
	if err != nil {
		return err
	}
	var in urlInput
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := h.fns.CreateURL(r.Context(), name, q, in.domain())
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.urlConfig(u, true))
}

func (h *Handler) getURL(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "GetFunctionUrlConfig")
	if err != nil {
		return err
	}
	u, err := h.fns.URL(r.Context(), name, q)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.urlConfig(u, false))
}

func (h *Handler) updateURL(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "UpdateFunctionUrlConfig")
	if err != nil {
		return err
	}
	var in urlInput
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := h.fns.UpdateURL(r.Context(), name, q, in.domain())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.urlConfig(u, false))
}

func (h *Handler) deleteURL(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "DeleteFunctionUrlConfig")
	if err != nil {
		return err
	}
	if err := h.fns.DeleteURL(r.Context(), name, q); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) listURLs(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "ListFunctionUrlConfigs")
	if err != nil {
		return err
	}
	us, err := h.fns.ListURLs(r.Context(), name)
	if err != nil {
		return err
	}
	out := struct {
		FunctionUrlConfigs []urlConfigJSON `json:"FunctionUrlConfigs"`
	}{FunctionUrlConfigs: []urlConfigJSON{}}
	for _, u := range us {
		out.FunctionUrlConfigs = append(out.FunctionUrlConfigs, h.urlConfig(u, false))
	}
	return write(w, http.StatusOK, out)
}
