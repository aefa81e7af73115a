package lambdaapi

import (
	"encoding/base64"
	"net/http"

	"github.com/fnurl/fnurl/internal/authn"
	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/iam"
	"github.com/fnurl/fnurl/internal/lambda"
)

type environmentJSON struct {
	Variables map[string]string `json:"Variables"`
}

// configurationJSON is Lambda's FunctionConfiguration.
type configurationJSON struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime"`
	Role             string            `json:"Role"`
	Handler          string            `json:"Handler,omitempty"`
	CodeSize         int64             `json:"CodeSize"`
	Description      string            `json:"Description"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified"`
	CodeSha256       string            `json:"CodeSha256"`
	Version          string            `json:"Version"`
	Environment      *environmentJSON  `json:"Environment,omitempty"`
	TracingConfig    map[string]string `json:"TracingConfig"`
	RevisionID       string            `json:"RevisionId"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage map[string]int    `json:"EphemeralStorage"`
	LoggingConfig    map[string]string `json:"LoggingConfig"`
}

func (h *Handler) configuration(f *lambda.Function) configurationJSON {
	arn := h.fns.ARN(f.Name)
	if f.Version != "$LATEST" {
		arn += ":" + f.Version
	}
	c := configurationJSON{FunctionName: f.Name, FunctionArn: arn, Runtime: f.Runtime, Role: f.Role,
		Handler: f.Handler, CodeSize: f.CodeSize, Description: f.Description, Timeout: f.Timeout, MemorySize: f.MemorySize,
		LastModified: lambdaTime(f.LastModified), CodeSha256: f.CodeSha256, Version: f.Version,
		TracingConfig: map[string]string{"Mode": "PassThrough"}, RevisionID: f.RevisionID,
		// fnurl creates and updates functions synchronously, so they are
		// Active and their updates Successful at once; the CLI's waiters
		// (function-active-v2, function-updated-v2) succeed on first poll.
		State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip", Architectures: f.Architectures,
		EphemeralStorage: map[string]int{"Size": 512},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + f.Name}}
	if len(f.Environment) > 0 {
		c.Environment = &environmentJSON{Variables: f.Environment}
	}
	return c
}

type createFunctionInput struct {
	FunctionName  string
	Runtime       string
	Role          string
	Handler       string
	Description   string
	Timeout       *int
	MemorySize    *int
	Environment   *environmentJSON
	Architectures []string
	PackageType   string
	Publish       bool
	Code          struct {
		ZipFile  []byte // base64 in JSON
		S3Bucket string
		ImageUri string
	}
	Tags map[string]string
}

func (h *Handler) createFunction(w http.ResponseWriter, r *http.Request) error {
	var in createFunctionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.FunctionName == "" {
		return awserr.New(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	name, q, err := h.fns.ParseName(in.FunctionName)
	if err != nil {
		return err
	}
	if q != "" {
		return awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, "Qualifier is not supported when creating a function.")
	}
	if err := h.authorize(r, "CreateFunction", h.fns.ARN(name), "", ""); err != nil {
		return err
	}
	// Handing a role to Lambda needs iam:PassRole on it, as on AWS.
	if p := authn.PrincipalFrom(r.Context()); p.Type != iam.PrincipalAccount && in.Role != "" {
		if err := h.authz.Authorize(r.Context(), p, "iam:PassRole", in.Role); err != nil {
			return err
		}
	}
	if in.PackageType == "Image" || in.Code.ImageUri != "" {
		return awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, "fnurl supports only Zip deployment packages.")
	}
	if in.Code.S3Bucket != "" {
		return awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, "fnurl has no S3: upload the package with Code.ZipFile.")
	}
	ci := lambda.CreateInput{Name: name, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, Architectures: in.Architectures, ZipFile: in.Code.ZipFile, Tags: in.Tags}
	if in.Environment != nil {
		ci.Environment = in.Environment.Variables
	}
	f, err := h.fns.CreateFunction(r.Context(), ci)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.configuration(f))
}

func (h *Handler) getFunction(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "GetFunction")
	if err != nil {
		return err
	}
	f, err := h.fns.Function(r.Context(), name+qual(q))
	if err != nil {
		return err
	}
	out := map[string]any{
		"Configuration": h.configuration(f),
		"Code":          map[string]string{"RepositoryType": "S3", "Location": ""},
	}
	if len(f.Tags) > 0 {
		out["Tags"] = f.Tags
	}
	if f.ReservedConcurrency != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *f.ReservedConcurrency}
	}
	return write(w, http.StatusOK, out)
}

func qual(q string) string {
	if q == "" {
		return ""
	}
	return ":" + q
}

func (h *Handler) getFunctionConfiguration(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "GetFunctionConfiguration")
	if err != nil {
		return err
	}
	f, err := h.fns.Function(r.Context(), name+qual(q))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.configuration(f))
}

func (h *Handler) listFunctions(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "MaxItems", 50, 1, 10000)
	if err != nil {
		return err
	}
	after := ""
	if m := r.URL.Query().Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, "Invalid Marker.")
		}
		after = string(b)
	}
	if err := h.authorize(r, "ListFunctions", "*", "", ""); err != nil {
		return err
	}
	fs, err := h.fns.ListFunctions(r.Context(), after, limit+1)
	if err != nil {
		return err
	}
	out := struct {
		Functions  []configurationJSON `json:"Functions"`
		NextMarker string              `json:"NextMarker,omitempty"`
	}{Functions: []configurationJSON{}}
	if len(fs) > limit {
		fs = fs[:limit]
		out.NextMarker = base64.RawURLEncoding.EncodeToString([]byte(fs[limit-1].Name))
	}
	for _, f := range fs {
		out.Functions = append(out.Functions, h.configuration(f))
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) deleteFunction(w http.ResponseWriter, r *http.Request) error {
	name, q, err := h.target(r, "DeleteFunction")
	if err != nil {
		return err
	}
	if q != "" {
		return awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, "Deleting a version or alias is not supported by fnurl yet.")
	}
	if err := h.fns.DeleteFunction(r.Context(), name); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) updateFunctionCode(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "UpdateFunctionCode")
	if err != nil {
		return err
	}
	var in struct {
		ZipFile    []byte
		S3Bucket   string
		RevisionId string
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.S3Bucket != "" {
		return awserr.New(lambda.CodeInvalidParameterValue, http.StatusBadRequest, "fnurl has no S3: upload the package with ZipFile.")
	}
	f, err := h.fns.UpdateCode(r.Context(), name, in.ZipFile, in.RevisionId)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.configuration(f))
}

func (h *Handler) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "UpdateFunctionConfiguration")
	if err != nil {
		return err
	}
	var in struct {
		Runtime, Role, Handler, Description *string
		Timeout, MemorySize                 *int
		Environment                         *environmentJSON
		RevisionId                          string
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Role != nil {
		if p := authn.PrincipalFrom(r.Context()); p.Type != iam.PrincipalAccount {
			if err := h.authz.Authorize(r.Context(), p, "iam:PassRole", *in.Role); err != nil {
				return err
			}
		}
	}
	ci := lambda.ConfigInput{Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize}
	if in.Environment != nil {
		env := in.Environment.Variables
		ci.Environment = &env
	}
	f, err := h.fns.UpdateConfiguration(r.Context(), name, ci, in.RevisionId)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.configuration(f))
}

func (h *Handler) putFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "PutFunctionConcurrency")
	if err != nil {
		return err
	}
	var in struct{ ReservedConcurrentExecutions *int }
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return awserr.New(awserr.CodeValidationError, http.StatusBadRequest,
			"1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	if _, err := h.fns.SetConcurrency(r.Context(), name, in.ReservedConcurrentExecutions); err != nil {
		return err
	}
	return write(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *in.ReservedConcurrentExecutions})
}

func (h *Handler) deleteFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "DeleteFunctionConcurrency")
	if err != nil {
		return err
	}
	if _, err := h.fns.SetConcurrency(r.Context(), name, nil); err != nil {
		return err
	}
	return noContent(w)
}

func (h *Handler) getFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	name, _, err := h.target(r, "GetFunctionConcurrency")
	if err != nil {
		return err
	}
	f, err := h.fns.Function(r.Context(), name)
	if err != nil {
		return err
	}
	if f.ReservedConcurrency == nil {
		return write(w, http.StatusOK, map[string]any{})
	}
	return write(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *f.ReservedConcurrency})
}
