package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/fnurl/fnurl/internal/awserr"
)

// PermissionInput is what AddPermission takes.
type PermissionInput struct {
	StatementID           string
	Action                string
	Principal             string
	SourceArn             string
	SourceAccount         string
	PrincipalOrgID        string
	EventSourceToken      string
	FunctionURLAuthType   string
	InvokedViaFunctionURL bool
	RevisionID            string
}

var (
	sidRE        = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,100}$`)
	actionRE     = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	accountRE    = regexp.MustCompile(`^\d{12}$`)
	iamPrincipal = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:(iam::\d{12}:(root|user/.+|role/.+)|sts::\d{12}:(assumed-role|federated-user)/.+)$`)
	orgIDRE      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	serviceRE    = regexp.MustCompile(`^[a-z0-9.-]+\.amazonaws\.com$`)

	errNoPolicy   = awserr.New(CodeResourceNotFound, http.StatusNotFound, "The resource you requested does not exist.")
	policyVersion = "2012-10-17"
)

// principalJSON renders AddPermission's Principal as Lambda does.
func principalJSON(p string) (string, error) {
	switch {
	case p == "*":
		return `"*"`, nil
	case accountRE.MatchString(p):
		return `{"AWS":"arn:aws:iam::` + p + `:root"}`, nil
	case iamPrincipal.MatchString(p):
		b, _ := json.Marshal(p)
		return `{"AWS":` + string(b) + `}`, nil
	case serviceRE.MatchString(p):
		b, _ := json.Marshal(p)
		return `{"Service":` + string(b) + `}`, nil
	}
	return "", invalidParam("The provided principal was invalid. Please check the principal and try again.")
}

// statementJSON builds the statement AddPermission adds, with keys and
// conditions in the order Lambda emits them.
func statementJSON(in PermissionInput, resource string) (string, error) {
	principal, err := principalJSON(in.Principal)
	if err != nil {
		return "", err
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var buf bytes.Buffer
	buf.WriteString(`{"Sid":` + q(in.StatementID) + `,"Effect":"Allow","Principal":` + principal +
		`,"Action":` + q(in.Action) + `,"Resource":` + q(resource))
	var eq []string
	if in.SourceAccount != "" {
		eq = append(eq, `"AWS:SourceAccount":`+q(in.SourceAccount))
	}
	if in.FunctionURLAuthType != "" {
		eq = append(eq, `"lambda:FunctionUrlAuthType":`+q(in.FunctionURLAuthType))
	}
	if in.PrincipalOrgID != "" {
		eq = append(eq, `"aws:PrincipalOrgID":`+q(in.PrincipalOrgID))
	}
	if in.EventSourceToken != "" {
		eq = append(eq, `"lambda:EventSourceToken":`+q(in.EventSourceToken))
	}
	var conds []string
	if len(eq) > 0 {
		conds = append(conds, `"StringEquals":{`+strings.Join(eq, ",")+`}`)
	}
	if in.SourceArn != "" {
		conds = append(conds, `"ArnLike":{"AWS:SourceArn":`+q(in.SourceArn)+`}`)
	}
	if in.InvokedViaFunctionURL {
		conds = append(conds, `"Bool":{"lambda:InvokedViaFunctionUrl":"true"}`)
	}
	if len(conds) > 0 {
		buf.WriteString(`,"Condition":{` + strings.Join(conds, ",") + `}`)
	}
	buf.WriteString("}")
	return buf.String(), nil
}

// policyDoc is a function policy as stored: statements kept as raw JSON so
// that they are returned exactly as they were added.
type policyDoc struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id"`
	Statement []json.RawMessage `json:"Statement"`
}

func sidOf(stmt json.RawMessage) string {
	var s struct{ Sid string }
	json.Unmarshal(stmt, &s)
	return s.Sid
}

// policyTarget resolves the function and qualifier of a permission call.
func (s *Service) policyTarget(ctx context.Context, nameOrARN, qualifier string) (*Function, string, error) {
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
	if qualifier == "$LATEST" {
		return nil, "", invalidParam("We currently do not support adding policies for $LATEST.")
	}
	f, err := s.store.Function(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, "", notFound(s.ARN(name))
	}
	if err != nil {
		return nil, "", err
	}
	switch {
	case qualifier == "":
	case numericRE.MatchString(qualifier):
		n, _ := strconv.Atoi(qualifier)
		if _, err := s.store.Version(ctx, name, n); errors.Is(err, ErrNotFound) {
			return nil, "", notFound(s.ARN(name) + ":" + qualifier)
		} else if err != nil {
			return nil, "", err
		}
	default:
		if _, err := s.store.Alias(ctx, name, qualifier); errors.Is(err, ErrNotFound) {
			return nil, "", noAlias(s.ARN(name) + ":" + qualifier)
		} else if err != nil {
			return nil, "", err
		}
	}
	return f, qualifier, nil
}

// AddPermission adds a statement to a function's resource-based policy and
// returns the statement's JSON text.
func (s *Service) AddPermission(ctx context.Context, nameOrARN, qualifier string, in PermissionInput) (string, error) {
	if !sidRE.MatchString(in.StatementID) {
		return "", validation(in.StatementID, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	}
	if !actionRE.MatchString(in.Action) {
		return "", validation(in.Action, "action", `Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])`)
	}
	if in.Principal == "" {
		return "", validation("null", "principal", "Member must not be null")
	}
	if in.FunctionURLAuthType != "" {
		if in.FunctionURLAuthType != AuthNone && in.FunctionURLAuthType != AuthAWSIAM {
			return "", validation(in.FunctionURLAuthType, "functionUrlAuthType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
		}
		if in.Action != "lambda:InvokeFunctionUrl" {
			return "", invalidParam("FunctionUrlAuthType is only supported for lambda:InvokeFunctionUrl action")
		}
	}
	if in.InvokedViaFunctionURL && in.Action != "lambda:InvokeFunction" {
		return "", invalidParam("InvokedViaFunctionUrl is only supported for lambda:InvokeFunction action")
	}
	if in.PrincipalOrgID != "" && !orgIDRE.MatchString(in.PrincipalOrgID) {
		return "", validation(in.PrincipalOrgID, "principalOrgID", "Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$")
	}
	f, q, err := s.policyTarget(ctx, nameOrARN, qualifier)
	if err != nil {
		return "", err
	}
	stmt, err := statementJSON(in, s.ARN(f.Name)+qualified(q))
	if err != nil {
		return "", err
	}
	doc, rev, err := s.store.FunctionPolicy(ctx, f.Name, q)
	pd := policyDoc{Version: policyVersion, ID: "default"}
	switch {
	case errors.Is(err, ErrNotFound):
		rev = ""
	case err != nil:
		return "", err
	default:
		if err := json.Unmarshal([]byte(doc), &pd); err != nil {
			return "", err
		}
	}
	if in.RevisionID != "" && in.RevisionID != rev {
		return "", awserr.New(CodePreconditionFailed, http.StatusPreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
	}
	for _, st := range pd.Statement {
		if sidOf(st) == in.StatementID {
			return "", awserr.Errorf(CodeResourceConflict, http.StatusConflict,
				"The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementID)
		}
	}
	pd.Statement = append(pd.Statement, json.RawMessage(stmt))
	b, err := json.Marshal(pd)
	if err != nil {
		return "", err
	}
	if err := s.store.PutFunctionPolicy(ctx, f.Name, q, string(b), newRevision(), rev); errors.Is(err, ErrNotFound) {
		return "", awserr.New(CodePreconditionFailed, http.StatusPreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
	} else if err != nil {
		return "", err
	}
	return stmt, nil
}

// Policy returns a function's resource-based policy and its revision.
// Returns ResourceNotFoundException when it has none.
func (s *Service) Policy(ctx context.Context, nameOrARN, qualifier string) (doc, revision string, err error) {
	f, q, err := s.policyTarget(ctx, nameOrARN, qualifier)
	if err != nil {
		return "", "", err
	}
	doc, rev, err := s.store.FunctionPolicy(ctx, f.Name, q)
	if errors.Is(err, ErrNotFound) {
		return "", "", errNoPolicy
	}
	return doc, rev, err
}

// ResourcePolicy returns the policy document of a function qualifier, or
// "" when it has none. It is what authorization reads.
func (s *Service) ResourcePolicy(ctx context.Context, name, qualifier string) (string, error) {
	doc, _, err := s.store.FunctionPolicy(ctx, name, qualifier)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return doc, err
}

// RemovePermission removes a statement from a function's policy.
func (s *Service) RemovePermission(ctx context.Context, nameOrARN, qualifier, sid, revision string) error {
	f, q, err := s.policyTarget(ctx, nameOrARN, qualifier)
	if err != nil {
		return err
	}
	doc, rev, err := s.store.FunctionPolicy(ctx, f.Name, q)
	if errors.Is(err, ErrNotFound) {
		return awserr.New(CodeResourceNotFound, http.StatusNotFound, "No policy is associated with the given resource.")
	}
	if err != nil {
		return err
	}
	if revision != "" && revision != rev {
		return awserr.New(CodePreconditionFailed, http.StatusPreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	var pd policyDoc
	if err := json.Unmarshal([]byte(doc), &pd); err != nil {
		return err
	}
	kept := pd.Statement[:0]
	for _, st := range pd.Statement {
		if sidOf(st) != sid {
			kept = append(kept, st)
		}
	}
	if len(kept) == len(pd.Statement) {
		return awserr.Errorf(CodeResourceNotFound, http.StatusNotFound, "Statement %s is not found in resource policy.", sid)
	}
	newDoc := ""
	if len(kept) > 0 {
		pd.Statement = kept
		b, err := json.Marshal(pd)
		if err != nil {
			return err
		}
		newDoc = string(b)
	}
	if err := s.store.PutFunctionPolicy(ctx, f.Name, q, newDoc, newRevision(), rev); errors.Is(err, ErrNotFound) {
		return awserr.New(CodePreconditionFailed, http.StatusPreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	} else if err != nil {
		return err
	}
	return nil
}
