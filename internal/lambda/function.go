// Package lambda holds fnurl's function domain: function configurations
// and their code, published versions and aliases, resource-based policies
// and function URL configurations. It owns Lambda's rules and error texts
// and declares the Store it needs.
package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
)

// Lambda error codes.
const (
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeResourceConflict      = "ResourceConflictException"
	CodeInvalidParameterValue = "InvalidParameterValueException"
	CodeValidation            = "ValidationException"
	CodePreconditionFailed    = "PreconditionFailedException"
	CodeRequestTooLarge       = "RequestEntityTooLargeException"
	CodeTooManyRequests       = "TooManyRequestsException"
)

// Store sentinel errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Limits.
const (
	MaxZipSize     = 50 << 20 // a deployment package uploaded directly
	DefaultTimeout = 3
	MaxTimeout     = 900
	DefaultMemory  = 128
	MinMemory      = 128
	MaxMemory      = 10240
)

// Runtimes fnurl can run: the OS-only runtimes run the package's own
// bootstrap; the others run the machine's node or python3.
var Runtimes = []string{
	"provided.al2023", "provided.al2",
	"nodejs18.x", "nodejs20.x", "nodejs22.x",
	"python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
}

// Function is a function's configuration, as stored and as
// GetFunctionConfiguration reports it.
type Function struct {
	Name                string            `json:"name"`
	Runtime             string            `json:"runtime"`
	Role                string            `json:"role"`
	Handler             string            `json:"handler,omitempty"`
	Description         string            `json:"description,omitempty"`
	Timeout             int               `json:"timeout"`
	MemorySize          int               `json:"memory"`
	Environment         map[string]string `json:"env,omitempty"`
	Architectures       []string          `json:"arch"`
	CodeSha256          string            `json:"codeSha256"` // base64, as Lambda reports it
	CodeSize            int64             `json:"codeSize"`
	LastModified        time.Time         `json:"lastModified"`
	RevisionID          string            `json:"revision"`
	Version             string            `json:"version"` // "$LATEST" or a published number
	ReservedConcurrency *int              `json:"reserved,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

// CodeKey is the store key of the function's code: the hex SHA-256.
func (f *Function) CodeKey() string {
	b, _ := base64.StdEncoding.DecodeString(f.CodeSha256)
	return hex.EncodeToString(b)
}

// Store is the persistence the lambda package needs.
type Store interface {
	// PutCode stores a deployment package under its hex SHA-256 (idempotent).
	PutCode(ctx context.Context, key string, zip []byte) error
	// Code returns a deployment package, or ErrNotFound.
	Code(ctx context.Context, key string) ([]byte, error)
	// CreateFunction stores a new function, or returns ErrExists.
	CreateFunction(ctx context.Context, f *Function) error
	// Function returns the function's $LATEST configuration, or ErrNotFound.
	Function(ctx context.Context, name string) (*Function, error)
	// UpdateFunction replaces the configuration if its stored RevisionID is
	// prevRevision; ErrNotFound otherwise.
	UpdateFunction(ctx context.Context, f *Function, prevRevision string) error
	// ListFunctions lists functions whose name sorts after after.
	ListFunctions(ctx context.Context, after string, limit int) ([]*Function, error)
	// DeleteFunction deletes a function with its versions, aliases,
	// policies and URL configurations, or returns ErrNotFound.
	DeleteFunction(ctx context.Context, name string) error

	// FunctionPolicy returns the resource policy of a qualifier ("" = unqualified)
	// and its revision, or ErrNotFound.
	FunctionPolicy(ctx context.Context, name, qualifier string) (doc, revision string, err error)
	// PutFunctionPolicy replaces the policy if the stored revision is prevRevision
	// ("" = none stored); an empty doc deletes it. ErrNotFound otherwise.
	PutFunctionPolicy(ctx context.Context, name, qualifier, doc, revision, prevRevision string) error

	URLStore
	VersionStore
}

// Account and region this service answers for.
type Service struct {
	store   Store
	roles   Roles
	account string
	region  string
	now     func() time.Time
}

// Roles checks execution roles.
type Roles interface {
	// LambdaCanAssume reports whether the role with the ARN exists in this
	// account and its trust policy lets lambda.amazonaws.com assume it.
	LambdaCanAssume(ctx context.Context, roleARN string) (bool, error)
}

// New returns the Lambda domain service.
func New(store Store, roles Roles, account, region string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, roles: roles, account: account, region: region, now: now}
}

// Region returns the service's region.
func (s *Service) Region() string { return s.region }

// Account returns the account ID.
func (s *Service) Account() string { return s.account }

// ARN returns the unqualified ARN of the named function.
func (s *Service) ARN(name string) string {
	return "arn:aws:lambda:" + s.region + ":" + s.account + ":function:" + name
}

func newRevision() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func validation(value, field, constraint string) error {
	return awserr.Errorf(CodeValidation, http.StatusBadRequest,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func invalidParam(format string, args ...any) error {
	return awserr.Errorf(CodeInvalidParameterValue, http.StatusBadRequest, format, args...)
}

var (
	nameRE     = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	functionRE = regexp.MustCompile(`^(?:arn:aws:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$`)
	roleRE     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-/]+$`)
)

// ParseName resolves a FunctionName parameter: a name, name:qualifier, a
// partial ARN (ACCT:function:NAME) or a full ARN. It returns the bare name
// and the qualifier ("" when none). A name of another account or region
// is not found here.
func (s *Service) ParseName(in string) (name, qualifier string, err error) {
	m := functionRE.FindStringSubmatch(in)
	if m == nil || len(in) > 140 && !strings.HasPrefix(in, "arn:") {
		return "", "", validation(in, "functionName",
			`Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`)
	}
	if len(m[4]) > 64 {
		return "", "", validation(in, "functionName", "Member must have length less than or equal to 64")
	}
	acct := m[2] + m[3]
	if (m[1] != "" && m[1] != s.region) || (acct != "" && acct != s.account) {
		return "", "", notFound(in)
	}
	return m[4], m[5], nil
}

func notFound(name string) error {
	return awserr.Errorf(CodeResourceNotFound, http.StatusNotFound, "Function not found: %s", name)
}

// CreateInput is what CreateFunction takes.
type CreateInput struct {
	Name          string
	Runtime       string
	Role          string
	Handler       string
	Description   string
	Timeout       *int
	MemorySize    *int
	Environment   map[string]string
	Architectures []string
	ZipFile       []byte
	Tags          map[string]string
}

func checkRuntime(r string) error {
	if r == "" {
		return invalidParam("Runtime is required for deployment packages of type Zip.")
	}
	if !slices.Contains(Runtimes, r) {
		return invalidParam("The runtime parameter of %s is not supported by fnurl. Supported runtimes: %s.", r, strings.Join(Runtimes, ", "))
	}
	return nil
}

func checkZip(b []byte) error {
	if len(b) == 0 {
		return invalidParam("Code.ZipFile is required.")
	}
	if len(b) > MaxZipSize {
		return awserr.Errorf(CodeRequestTooLarge, http.StatusRequestEntityTooLarge,
			"Zipped size must be smaller than %d bytes", MaxZipSize)
	}
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
		return invalidParam("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	return nil
}

func (s *Service) checkConfig(ctx context.Context, f *Function) error {
	if f.Timeout < 1 || f.Timeout > MaxTimeout {
		return validation(fmt.Sprint(f.Timeout), "timeout", fmt.Sprintf("Member must have value less than or equal to %d", MaxTimeout))
	}
	if f.MemorySize < MinMemory || f.MemorySize > MaxMemory {
		return validation(fmt.Sprint(f.MemorySize), "memorySize", fmt.Sprintf("Member must have value between %d and %d", MinMemory, MaxMemory))
	}
	if err := checkRuntime(f.Runtime); err != nil {
		return err
	}
	if !strings.HasPrefix(f.Runtime, "provided") && f.Handler == "" {
		return invalidParam("Handler is required for the %s runtime.", f.Runtime)
	}
	if len(f.Handler) > 128 {
		return validation(f.Handler, "handler", "Member must have length less than or equal to 128")
	}
	for _, a := range f.Architectures {
		if a != "x86_64" && a != "arm64" {
			return validation(a, "architectures", "Member must satisfy enum value set: [x86_64, arm64]")
		}
	}
	size := 0
	for k, v := range f.Environment {
		size += len(k) + len(v)
		if strings.HasPrefix(k, "AWS_") && reservedEnv[k] {
			return invalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", k)
		}
	}
	if size > 4096 {
		return invalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d", size)
	}
	if !roleRE.MatchString(f.Role) {
		return validation(f.Role, "role", `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)
	}
	ok, err := s.roles.LambdaCanAssume(ctx, f.Role)
	if err != nil {
		return err
	}
	if !ok {
		return invalidParam("The role defined for the function cannot be assumed by Lambda.")
	}
	return nil
}

// reservedEnv are the variables Lambda sets and refuses to let users set.
var reservedEnv = map[string]bool{
	"AWS_REGION": true, "AWS_DEFAULT_REGION": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_EXECUTION_ENV": true,
	"AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_LAMBDA_RUNTIME_API": true,
}

func codeSha(zip []byte) (b64, hexKey string) {
	sum := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(sum[:]), hex.EncodeToString(sum[:])
}

// CreateFunction creates a function from a zip deployment package.
// Returns ResourceConflictException if the name is taken.
func (s *Service) CreateFunction(ctx context.Context, in CreateInput) (*Function, error) {
	if !nameRE.MatchString(in.Name) {
		return nil, validation(in.Name, "functionName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
	}
	f := &Function{Name: in.Name, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: DefaultTimeout, MemorySize: DefaultMemory, Environment: in.Environment, Architectures: in.Architectures,
		Version: "$LATEST", Tags: in.Tags}
	if in.Timeout != nil {
		f.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		f.MemorySize = *in.MemorySize
	}
	if len(f.Architectures) == 0 {
		f.Architectures = []string{"x86_64"}
	}
	if err := s.checkConfig(ctx, f); err != nil {
		return nil, err
	}
	if err := checkZip(in.ZipFile); err != nil {
		return nil, err
	}
	b64, key := codeSha(in.ZipFile)
	f.CodeSha256, f.CodeSize = b64, int64(len(in.ZipFile))
	f.LastModified = s.now().UTC()
	f.RevisionID = newRevision()
	if err := s.store.PutCode(ctx, key, in.ZipFile); err != nil {
		return nil, err
	}
	if err := s.store.CreateFunction(ctx, f); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeResourceConflict, http.StatusConflict, "Function already exist: %s", in.Name)
	} else if err != nil {
		return nil, err
	}
	return f, nil
}

// Function returns a function's configuration. name may be any form
// ParseName accepts; a qualifier selects a version or an alias.
func (s *Service) Function(ctx context.Context, nameOrARN string) (*Function, error) {
	name, q, err := s.ParseName(nameOrARN)
	if err != nil {
		return nil, err
	}
	return s.Resolve(ctx, name, q)
}

func qualified(q string) string {
	if q == "" {
		return ""
	}
	return ":" + q
}

// Code returns a function's deployment package.
func (s *Service) Code(ctx context.Context, f *Function) ([]byte, error) {
	return s.store.Code(ctx, f.CodeKey())
}

// ListFunctions lists functions by name.
func (s *Service) ListFunctions(ctx context.Context, after string, limit int) ([]*Function, error) {
	return s.store.ListFunctions(ctx, after, limit)
}

// DeleteFunction deletes a function and everything that belongs to it.
func (s *Service) DeleteFunction(ctx context.Context, nameOrARN string) error {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return err
	}
	if err := s.store.DeleteFunction(ctx, f.Name); errors.Is(err, ErrNotFound) {
		return notFound(s.ARN(f.Name))
	} else if err != nil {
		return err
	}
	return nil
}

func preconditionFailed() error {
	return awserr.New(CodePreconditionFailed, http.StatusPreconditionFailed,
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction API to retrieve the latest Revision Id")
}

// update applies change to the function's configuration under optimistic
// concurrency: revision, when given, must be the current RevisionId.
func (s *Service) update(ctx context.Context, nameOrARN, revision string, change func(*Function) error) (*Function, error) {
	f, err := s.Function(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	if revision != "" && revision != f.RevisionID {
		return nil, preconditionFailed()
	}
	prev := f.RevisionID
	if err := change(f); err != nil {
		return nil, err
	}
	f.LastModified = s.now().UTC()
	f.RevisionID = newRevision()
	if err := s.store.UpdateFunction(ctx, f, prev); errors.Is(err, ErrNotFound) {
		return nil, preconditionFailed()
	} else if err != nil {
		return nil, err
	}
	return f, nil
}

// UpdateCode replaces a function's deployment package.
func (s *Service) UpdateCode(ctx context.Context, nameOrARN string, zip []byte, revision string) (*Function, error) {
	if err := checkZip(zip); err != nil {
		return nil, err
	}
	b64, key := codeSha(zip)
	if err := s.store.PutCode(ctx, key, zip); err != nil {
		return nil, err
	}
	return s.update(ctx, nameOrARN, revision, func(f *Function) error {
		f.CodeSha256, f.CodeSize = b64, int64(len(zip))
		return nil
	})
}

// ConfigInput holds the settings UpdateFunctionConfiguration may change;
// nil leaves a setting as it is.
type ConfigInput struct {
	Runtime, Role, Handler, Description *string
	Timeout, MemorySize                 *int
	Environment                         *map[string]string
}

// UpdateConfiguration changes a function's settings.
func (s *Service) UpdateConfiguration(ctx context.Context, nameOrARN string, in ConfigInput, revision string) (*Function, error) {
	return s.update(ctx, nameOrARN, revision, func(f *Function) error {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&f.Runtime, in.Runtime)
		set(&f.Role, in.Role)
		set(&f.Handler, in.Handler)
		set(&f.Description, in.Description)
		if in.Timeout != nil {
			f.Timeout = *in.Timeout
		}
		if in.MemorySize != nil {
			f.MemorySize = *in.MemorySize
		}
		if in.Environment != nil {
			f.Environment = *in.Environment
		}
		return s.checkConfig(ctx, f)
	})
}

// SetConcurrency sets (nil removes) a function's reserved concurrency.
func (s *Service) SetConcurrency(ctx context.Context, nameOrARN string, n *int) (*Function, error) {
	if n != nil && (*n < 0 || *n > 1000) {
		return nil, validation(fmt.Sprint(*n), "reservedConcurrentExecutions", "Member must have value between 0 and 1000")
	}
	return s.update(ctx, nameOrARN, "", func(f *Function) error {
		f.ReservedConcurrency = n
		return nil
	})
}
