package lambdaapi

import (
	"net/http"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/lambda"
)

func (h *Handler) publishVersion(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "PublishVersion")
	if err != nil {
		return err
	}
	var in struct{ Description, RevisionId string }
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := h.fns.PublishVersion(r.Context(), name, in.Description, in.RevisionId)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.configuration(f))
}

func (h *Handler) listVersions(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "ListVersionsByFunction")
	if err != nil {
		return err
	}
	fs, err := h.fns.ListVersions(r.Context(), name)
	if err != nil {
		return err
	}
	out := struct {
		Versions []configurationJSON `json:"Versions"`
	}{Versions: []configurationJSON{}}
	for _, f := range fs {
		out.Versions = append(out.Versions, h.configuration(f))
	}
	return write(w, http.StatusOK, out)
}

type aliasJSON struct {
	AliasArn        string `json:"AliasArn"`
	Name            string `json:"Name"`
	FunctionVersion string `json:"FunctionVersion"`
	Description     string `json:"Description"`
	RevisionID      string `json:"RevisionId"`
}

func (h *Handler) aliasJSON(a *lambda.Alias) aliasJSON {
	return aliasJSON{AliasArn: h.fns.ARN(a.FunctionName) + ":" + a.Name, Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID}
}

func (h *Handler) createAlias(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "CreateAlias")
	if err != nil {
		return err
	}
	var in struct{ Name, FunctionVersion, Description string }
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" || in.FunctionVersion == "" {
		return awserr.New(awserr.CodeValidationError, http.StatusBadRequest, "1 validation error detected: Name and FunctionVersion are required")
	}
	a, err := h.fns.CreateAlias(r.Context(), name, in.Name, in.FunctionVersion, in.Description)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.aliasJSON(a))
}

func (h *Handler) getAlias(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "GetAlias")
	if err != nil {
		return err
	}
	a, err := h.fns.Alias(r.Context(), name, r.PathValue("alias"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.aliasJSON(a))
}

func (h *Handler) listAliases(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "ListAliases")
	if err != nil {
		return err
	}
	as, err := h.fns.ListAliases(r.Context(), name)
	if err != nil {
		return err
	}
	out := struct {
		Aliases []aliasJSON `json:"Aliases"`
	}{Aliases: []aliasJSON{}}
	for _, a := range as {
		out.Aliases = append(out.Aliases, h.aliasJSON(a))
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) updateAlias(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "UpdateAlias")
	if err != nil {
		return err
	}
	var in struct {
		FunctionVersion, Description *string
		RevisionId                   string
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := h.fns.UpdateAlias(r.Context(), name, r.PathValue("alias"), in.FunctionVersion, in.Description, in.RevisionId)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.aliasJSON(a))
}

func (h *Handler) deleteAlias(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "DeleteAlias")
	if err != nil {
		return err
	}
	if err := h.fns.DeleteAlias(r.Context(), name, r.PathValue("alias")); err != nil {
		return err
	}
	return noContent(w)
}
