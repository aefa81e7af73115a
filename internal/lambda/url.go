package lambda

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
)

// Auth types of function URLs.
const (
	AuthNone   = "NONE"
	AuthAWSIAM = "AWS_IAM"
)

// Cors is a function URL's CORS configuration.
type Cors struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

// URLConfig is a function URL's configuration.
type URLConfig struct {
	ID           string    `json:"id"` // the url-id: 32 characters of [a-z0-9]
	FunctionName string    `json:"function"`
	Qualifier    string    `json:"qualifier,omitempty"` // "" or an alias name
	AuthType     string    `json:"authType"`
	Cors         *Cors     `json:"cors,omitempty"`
	InvokeMode   string    `json:"invokeMode,omitempty"` // "" (BUFFERED) or RESPONSE_STREAM
	Created      time.Time `json:"created"`
	Modified     time.Time `json:"modified"`
}

// URLStore is the persistence of function URL configurations.
type URLStore interface {
	// CreateURL stores a URL configuration, or returns ErrExists when the
	// function already has one for the qualifier.
	CreateURL(ctx context.Context, u *URLConfig) error
	// URL returns the configuration for a function and qualifier, or ErrNotFound.
	URL(ctx context.Context, name, qualifier string) (*URLConfig, error)
	// URLByID returns the configuration with the url-id, or ErrNotFound.
	URLByID(ctx context.Context, id string) (*URLConfig, error)
	// UpdateURL replaces a configuration, or returns ErrNotFound.
	UpdateURL(ctx context.Context, u *URLConfig) error
	// DeleteURL deletes the configuration, or returns ErrNotFound.
	DeleteURL(ctx context.Context, name, qualifier string) error
	// ListURLs returns a function's URL configurations.
	ListURLs(ctx context.Context, name string) ([]*URLConfig, error)
}

const urlIDAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func newURLID() string {
	b := make([]byte, 32)
	for i := range b {
		var r [1]byte
		for {
			rand.Read(r[:])
			if int(r[0]) < 252 { // 252 = 7*36: no bias
				break
			}
		}
		b[i] = urlIDAlphabet[int(r[0])%len(urlIDAlphabet)]
	}
	return string(b)
}

var qualifierRE = regexp.MustCompile(`^[0-9a-zA-Z_-]+$`)
var numericRE = regexp.MustCompile(`^\d+$`)

// URLInput is the settable part of a URL configuration; nil leaves a value.
type URLInput struct {
	AuthType   *string
	Cors       *Cors
	InvokeMode *string
}

func checkURLInput(in URLInput) error {
	if in.AuthType != nil && *in.AuthType != AuthNone && *in.AuthType != AuthAWSIAM {
		return validation(*in.AuthType, "authType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
	}
	if in.InvokeMode != nil && *in.InvokeMode != "BUFFERED" && *in.InvokeMode != "RESPONSE_STREAM" {
		return validation(*in.InvokeMode, "invokeMode", "Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]")
	}
	if c := in.Cors; c != nil {
		if c.MaxAge < 0 || c.MaxAge > 86400 {
			return validation(fmt.Sprint(c.MaxAge), "cors.maxAge", "Member must have value less than or equal to 86400")
		}
		for _, m := range c.AllowMethods {
			switch m {
			case "GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "*":
			default:
				return validation(m, "cors.allowMethods", "Member must satisfy constraint: [Member must have length less than or equal to 6, Member must satisfy regular expression pattern: .*]")
			}
		}
	}
	return nil
}

// urlTarget resolves the function and qualifier a URL operation names.
func (s *Service) urlTarget(ctx context.Context, nameOrARN, qualifier string) (*Function, string, error) {
	name, q, err := s.ParseName(nameOrARN)
	if err != nil {
		return nil, "", err
	}
	if q != "" && qualifier != "" && q != qualifier {
		return nil, "", invalidParam("The derived qualifier from the function name does not match the specified qualifier.")
	}
	if qualifier == "" {
		qualifier = q
	}
	if qualifier != "" && (qualifier == "$LATEST" || numericRE.MatchString(qualifier) || !qualifierRE.MatchString(qualifier)) {
		return nil, "", validation(qualifier, "qualifier", `Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)`)
	}
	f, err := s.store.Function(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, "", awserr.New(CodeResourceNotFound, http.StatusNotFound, "Function does not exist")
	}
	if err != nil {
		return nil, "", err
	}
	if qualifier != "" {
		if _, err := s.store.Alias(ctx, f.Name, qualifier); errors.Is(err, ErrNotFound) {
			return nil, "", awserr.New(CodeResourceNotFound, http.StatusNotFound, "Function does not exist")
		} else if err != nil {
			return nil, "", err
		}
	}
	return f, qualifier, nil
}

var errNoURL = awserr.New(CodeResourceNotFound, http.StatusNotFound, "The resource you requested does not exist.")

// CreateURL creates a function URL configuration.
func (s *Service) CreateURL(ctx context.Context, nameOrARN, qualifier string, in URLInput) (*URLConfig, error) {
	if in.AuthType == nil {
		return nil, validation("null", "authType", "Member must not be null")
	}
	if err := checkURLInput(in); err != nil {
		return nil, err
	}
	f, q, err := s.urlTarget(ctx, nameOrARN, qualifier)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &URLConfig{ID: newURLID(), FunctionName: f.Name, Qualifier: q, AuthType: *in.AuthType, Cors: in.Cors, Created: now, Modified: now}
	if in.InvokeMode != nil {
		u.InvokeMode = *in.InvokeMode
	}
	if err := s.store.CreateURL(ctx, u); errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeResourceConflict, http.StatusConflict,
			"Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", s.ARN(f.Name)+qualified(q))
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// URL returns a function URL configuration.
func (s *Service) URL(ctx context.Context, nameOrARN, qualifier string) (*URLConfig, error) {
	f, q, err := s.urlTarget(ctx, nameOrARN, qualifier)
	if err != nil {
		return nil, err
	}
	u, err := s.store.URL(ctx, f.Name, q)
	if errors.Is(err, ErrNotFound) {
		return nil, errNoURL
	}
	return u, err
}

// URLByID returns the configuration behind a url-id, or ErrNotFound.
func (s *Service) URLByID(ctx context.Context, id string) (*URLConfig, error) {
	return s.store.URLByID(ctx, id)
}

// UpdateURL changes a function URL configuration.
func (s *Service) UpdateURL(ctx context.Context, nameOrARN, qualifier string, in URLInput) (*URLConfig, error) {
	if err := checkURLInput(in); err != nil {
		return nil, err
	}
	u, err := s.URL(ctx, nameOrARN, qualifier)
	if err != nil {
		return nil, err
	}
	if in.AuthType != nil {
		u.AuthType = *in.AuthType
	}
	if in.Cors != nil {
		u.Cors = in.Cors
	}
	if in.InvokeMode != nil {
		u.InvokeMode = *in.InvokeMode
	}
	u.Modified = s.now().UTC()
	if err := s.store.UpdateURL(ctx, u); errors.Is(err, ErrNotFound) {
		return nil, errNoURL
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteURL deletes a function URL configuration.
func (s *Service) DeleteURL(ctx context.Context, nameOrARN, qualifier string) error {
	f, q, err := s.urlTarget(ctx, nameOrARN, qualifier)
	if err != nil {
		return err
	}
	if err := s.store.DeleteURL(ctx, f.Name, q); errors.Is(err, ErrNotFound) {
		return errNoURL
	} else if err != nil {
		return err
	}
	return nil
}

// ListURLs lists a function's URL configurations.
func (s *Service) ListURLs(ctx context.Context, nameOrARN string) ([]*URLConfig, error) {
	f, _, err := s.urlTarget(ctx, nameOrARN, "")
	if err != nil {
		return nil, err
	}
	return s.store.ListURLs(ctx, f.Name)
}
