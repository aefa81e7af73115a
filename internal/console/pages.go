package console

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// templates are the "Hello from Lambda!" functions the console creates, as
// the AWS console's defaults.
var templates = map[string]struct{ runtime, handler, file, code string }{
	"nodejs": {"nodejs20.x", "index.handler", "index.mjs", `export const handler = async (event) => {
  const response = {
    statusCode: 200,
    body: JSON.stringify('Hello from Lambda!'),
  };
  return response;
};
`},
	"python": {"python3.12", "lambda_function.lambda_handler", "lambda_function.py", `import json

def lambda_handler(event, context):
    return {
        'statusCode': 200,
        'body': json.dumps('Hello from Lambda!')
    }
`},
}

const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

type functionJSON struct {
	FunctionName, FunctionArn, Runtime, Handler, Role, Description, LastModified, CodeSha256 string
	MemorySize, Timeout                                                                      int
}

type urlJSON struct {
	FunctionUrl, AuthType, InvokeMode string
	Cors                              *struct{ AllowOrigins, AllowMethods, AllowHeaders []string }
}

type roleXML struct {
	RoleName, Arn, CreateDate string
}

func (h *Handler) listRoles(r *http.Request, s *session) ([]roleXML, error) {
	var out struct {
		Roles []roleXML `xml:"ListRolesResult>Roles>member"`
	}
	err := h.iam(r, s, "ListRoles", nil, &out)
	return out.Roles, err
}

func (h *Handler) functions(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "Functions", "functions"
	var out struct{ Functions []functionJSON }
	data := struct {
		Functions []functionJSON
		Roles     []roleXML
		RolesErr  string
	}{}
	v.Data = &data
	roles, err := h.listRoles(r, s)
	data.Roles = roles
	if err != nil {
		data.RolesErr = err.Error()
	}
	if err := h.lambda(r, s, "GET", "/2015-03-31/functions", nil, &out); err != nil {
		return "functions", err
	}
	data.Functions = out.Functions
	return "functions", nil
}

// createFunction creates a function from a template or an uploaded zip,
// with an existing role or a new one, and optionally its URL.
func (h *Handler) createFunction(r *http.Request, s *session) (string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	back := "/console/functions"
	in := map[string]any{"FunctionName": name}
	if t, ok := templates[r.PostFormValue("template")]; ok {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(t.file)
		io.WriteString(w, t.code)
		zw.Close()
		in["Runtime"], in["Handler"], in["Code"] = t.runtime, t.handler, map[string]string{"ZipFile": b64(buf.Bytes())}
	} else {
		f, _, err := r.FormFile("zip")
		if err != nil {
			return back, errorf("Choose a template or upload a .zip file.")
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return back, err
		}
		in["Runtime"], in["Handler"], in["Code"] = r.PostFormValue("runtime"), r.PostFormValue("handler"), map[string]string{"ZipFile": b64(b)}
	}
	role := r.PostFormValue("role")
	if role == "" || role == "new" {
		roleName := name + "-role-" + time.Now().UTC().Format("20060102150405")
		var out struct {
			Arn string `xml:"CreateRoleResult>Role>Arn"`
		}
		if err := h.iam(r, s, "CreateRole", url.Values{"RoleName": {roleName}, "AssumeRolePolicyDocument": {lambdaTrust},
			"Description": {"Lambda execution role created by the fnurl console"}}, &out); err != nil {
			return back, err
		}
		role = out.Arn
	}
	in["Role"] = role
	if err := h.lambda(r, s, "POST", "/2015-03-31/functions", in, nil); err != nil {
		return back, err
	}
	next := "/console/functions/" + url.PathEscape(name)
	if auth := r.PostFormValue("url_auth"); auth == "AWS_IAM" || auth == "NONE" {
		if err := h.createURL(r, s, name, auth); err != nil {
			return next, err
		}
	}
	return next + "?notice=" + url.QueryEscape("Function "+name+" created."), nil
}

// createURL creates a function URL; for NONE it also adds the public-access
// permission, as the AWS console does.
func (h *Handler) createURL(r *http.Request, s *session, name, auth string) error {
	in := map[string]any{"AuthType": auth}
	if origins := splitList(r.PostFormValue("cors_origins")); len(origins) > 0 {
		in["Cors"] = map[string]any{"AllowOrigins": origins, "AllowMethods": orDefault(splitList(r.PostFormValue("cors_methods")), "*"),
			"AllowHeaders": splitList(r.PostFormValue("cors_headers"))}
	}
	if err := h.lambda(r, s, "POST", "/2021-10-31/functions/"+url.PathEscape(name)+"/url", in, nil); err != nil {
		return err
	}
	if auth == "NONE" {
		return h.lambda(r, s, "POST", "/2015-03-31/functions/"+url.PathEscape(name)+"/policy", map[string]string{
			"StatementId": "FunctionURLAllowPublicAccess", "Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"}, nil)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

func orDefault(l []string, d string) []string {
	if len(l) == 0 {
		return []string{d}
	}
	return l
}

// statement is one statement of a function's resource-based policy.
type statement struct {
	Sid, Effect, Principal, Action, Condition string
}

func (h *Handler) function(r *http.Request, s *session, v *view) (string, error) {
	name := r.PathValue("name")
	v.Title, v.Nav = "Function "+name, "functions"
	data := struct {
		Name       string
		Config     functionJSON
		URL        *urlJSON
		URLErr     string
		Statements []statement
		PolicyErr  string
	}{Name: name}
	v.Data = &data
	var got struct{ Configuration functionJSON }
	if err := h.lambda(r, s, "GET", "/2015-03-31/functions/"+url.PathEscape(name), nil, &got); err != nil {
		return "function", err
	}
	data.Config = got.Configuration
	var u urlJSON
	if err := h.lambda(r, s, "GET", "/2021-10-31/functions/"+url.PathEscape(name)+"/url", nil, &u); err == nil {
		data.URL = &u
	} else if !notFound(err) {
		data.URLErr = err.Error()
	}
	var pol struct{ Policy string }
	if err := h.lambda(r, s, "GET", "/2015-03-31/functions/"+url.PathEscape(name)+"/policy", nil, &pol); err == nil {
		var doc struct {
			Statement []struct {
				Sid       string
				Effect    string
				Principal any
				Action    any
				Condition any
			}
		}
		json.Unmarshal([]byte(pol.Policy), &doc)
		for _, st := range doc.Statement {
			p, _ := json.Marshal(st.Principal)
			a, _ := json.Marshal(st.Action)
			c := ""
			if st.Condition != nil {
				b, _ := json.Marshal(st.Condition)
				c = string(b)
			}
			data.Statements = append(data.Statements, statement{Sid: st.Sid, Effect: st.Effect, Principal: string(p), Action: strings.Trim(string(a), `"`), Condition: c})
		}
	} else if !notFound(err) {
		data.PolicyErr = err.Error()
	}
	return "function", nil
}

func (h *Handler) putURL(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	next := "/console/functions/" + url.PathEscape(name)
	auth := r.PostFormValue("auth")
	if auth != "AWS_IAM" && auth != "NONE" {
		return next, errorf("Choose the auth type AWS_IAM or NONE.")
	}
	if r.PostFormValue("create") == "1" {
		return next, h.createURL(r, s, name, auth)
	}
	in := map[string]any{"AuthType": auth}
	if origins := splitList(r.PostFormValue("cors_origins")); len(origins) > 0 {
		in["Cors"] = map[string]any{"AllowOrigins": origins, "AllowMethods": orDefault(splitList(r.PostFormValue("cors_methods")), "*"),
			"AllowHeaders": splitList(r.PostFormValue("cors_headers"))}
	} else {
		in["Cors"] = map[string]any{}
	}
	return next, h.lambda(r, s, "PUT", "/2021-10-31/functions/"+url.PathEscape(name)+"/url", in, nil)
}

func (h *Handler) deleteURL(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	return "/console/functions/" + url.PathEscape(name), h.lambda(r, s, "DELETE", "/2021-10-31/functions/"+url.PathEscape(name)+"/url", nil, nil)
}

func (h *Handler) deleteFunction(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	if err := h.lambda(r, s, "DELETE", "/2015-03-31/functions/"+url.PathEscape(name), nil, nil); err != nil {
		return "/console/functions/" + url.PathEscape(name), err
	}
	return "/console/functions?notice=" + url.QueryEscape("Function "+name+" deleted."), nil
}

func (h *Handler) addPermission(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	in := map[string]string{"StatementId": strings.TrimSpace(r.PostFormValue("sid")), "Action": strings.TrimSpace(r.PostFormValue("action")),
		"Principal": strings.TrimSpace(r.PostFormValue("principal"))}
	if a := r.PostFormValue("url_auth"); a != "" {
		in["FunctionUrlAuthType"] = a
	}
	return "/console/functions/" + url.PathEscape(name), h.lambda(r, s, "POST", "/2015-03-31/functions/"+url.PathEscape(name)+"/policy", in, nil)
}

func (h *Handler) removePermission(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	return "/console/functions/" + url.PathEscape(name), h.lambda(r, s, "DELETE",
		"/2015-03-31/functions/"+url.PathEscape(name)+"/policy/"+url.PathEscape(r.PostFormValue("sid")), nil, nil)
}

type userXML struct{ UserName, Arn, CreateDate string }

func (h *Handler) users(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "Users", "users"
	var out struct {
		Users []userXML `xml:"ListUsersResult>Users>member"`
	}
	v.Data = &out
	return "users", h.iam(r, s, "ListUsers", nil, &out)
}

func (h *Handler) createUser(r *http.Request, s *session) (string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := h.iam(r, s, "CreateUser", url.Values{"UserName": {name}}, nil); err != nil {
		return "/console/users", err
	}
	return "/console/users/" + url.PathEscape(name) + "?notice=" + url.QueryEscape("User "+name+" created."), nil
}

type policyXML struct{ PolicyName, Arn, AttachmentCount, DefaultVersionId string }

// attachedXML is a policy attached to a user.
type attachedXML struct{ PolicyName, PolicyArn string }

func (h *Handler) user(r *http.Request, s *session, v *view) (string, error) {
	name := r.PathValue("name")
	v.Title, v.Nav = "User "+name, "users"
	data := struct {
		Name     string
		User     userXML
		Attached []attachedXML
		Inline   []string
		Keys     []struct{ AccessKeyId, Status, CreateDate string }
		Policies []policyXML
		NewKey   *struct{ AccessKeyId, SecretAccessKey string }
	}{Name: name}
	v.Data = &data
	var u struct {
		User userXML `xml:"GetUserResult>User"`
	}
	if err := h.iam(r, s, "GetUser", url.Values{"UserName": {name}}, &u); err != nil {
		return "user", err
	}
	data.User = u.User
	var att struct {
		Policies []attachedXML `xml:"ListAttachedUserPoliciesResult>AttachedPolicies>member"`
	}
	if err := h.iam(r, s, "ListAttachedUserPolicies", url.Values{"UserName": {name}}, &att); err != nil {
		return "user", err
	}
	data.Attached = att.Policies
	var inl struct {
		Names []string `xml:"ListUserPoliciesResult>PolicyNames>member"`
	}
	if err := h.iam(r, s, "ListUserPolicies", url.Values{"UserName": {name}}, &inl); err != nil {
		return "user", err
	}
	data.Inline = inl.Names
	var keys struct {
		Keys []struct{ AccessKeyId, Status, CreateDate string } `xml:"ListAccessKeysResult>AccessKeyMetadata>member"`
	}
	if err := h.iam(r, s, "ListAccessKeys", url.Values{"UserName": {name}}, &keys); err != nil {
		return "user", err
	}
	data.Keys = keys.Keys
	var pols struct {
		Policies []policyXML `xml:"ListPoliciesResult>Policies>member"`
	}
	if err := h.iam(r, s, "ListPolicies", url.Values{"Scope": {"Local"}}, &pols); err != nil {
		return "user", err
	}
	data.Policies = pols.Policies
	return "user", nil
}

// keyAction creates an access key and shows its secret, once: the page is
// rendered from this POST, never stored or redirected to.
func (h *Handler) keyAction(w http.ResponseWriter, r *http.Request) {
	s, ok := h.checkPost(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	var out struct {
		Key struct{ AccessKeyId, SecretAccessKey string } `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := h.iam(r, s, "CreateAccessKey", url.Values{"UserName": {name}}, &out); err != nil {
		http.Redirect(w, r, "/console/users/"+url.PathEscape(name)+"?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "newkey", &view{Title: "New access key", Nav: "users", User: s.arn, CSRF: s.csrf,
		Data: map[string]string{"User": name, "AccessKeyId": out.Key.AccessKeyId, "SecretAccessKey": out.Key.SecretAccessKey}})
}

func (h *Handler) attachPolicy(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	return "/console/users/" + url.PathEscape(name), h.iam(r, s, "AttachUserPolicy", url.Values{"UserName": {name}, "PolicyArn": {r.PostFormValue("policy_arn")}}, nil)
}

func (h *Handler) detachPolicy(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	return "/console/users/" + url.PathEscape(name), h.iam(r, s, "DetachUserPolicy", url.Values{"UserName": {name}, "PolicyArn": {r.PostFormValue("policy_arn")}}, nil)
}

func (h *Handler) putInline(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	return "/console/users/" + url.PathEscape(name), h.iam(r, s, "PutUserPolicy", url.Values{"UserName": {name},
		"PolicyName": {strings.TrimSpace(r.PostFormValue("policy_name"))}, "PolicyDocument": {r.PostFormValue("document")}}, nil)
}

func (h *Handler) deleteInline(r *http.Request, s *session) (string, error) {
	name := r.PathValue("name")
	return "/console/users/" + url.PathEscape(name), h.iam(r, s, "DeleteUserPolicy", url.Values{"UserName": {name}, "PolicyName": {r.PostFormValue("policy_name")}}, nil)
}

func (h *Handler) policies(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "Policies", "policies"
	var out struct {
		Policies []policyXML `xml:"ListPoliciesResult>Policies>member"`
	}
	v.Data = &out
	return "policies", h.iam(r, s, "ListPolicies", url.Values{"Scope": {"Local"}}, &out)
}

func (h *Handler) createPolicy(r *http.Request, s *session) (string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	err := h.iam(r, s, "CreatePolicy", url.Values{"PolicyName": {name}, "PolicyDocument": {r.PostFormValue("document")},
		"Description": {r.PostFormValue("description")}}, nil)
	if err != nil {
		return "/console/policies", err
	}
	return "/console/policies?notice=" + url.QueryEscape("Policy "+name+" created."), nil
}

func (h *Handler) roles(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "Roles", "roles"
	roles, err := h.listRoles(r, s)
	v.Data = map[string]any{"Roles": roles, "LambdaTrust": lambdaTrust}
	return "roles", err
}

func (h *Handler) createRole(r *http.Request, s *session) (string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := h.iam(r, s, "CreateRole", url.Values{"RoleName": {name}, "AssumeRolePolicyDocument": {r.PostFormValue("trust")}}, nil); err != nil {
		return "/console/roles", err
	}
	return "/console/roles?notice=" + url.QueryEscape("Role "+name+" created."), nil
}

// testForm is the test panel's request and answer.
type testForm struct {
	URL, Method, Body, AccessKeyID, SecretAccessKey, SessionToken, Region string
	Sent                                                                  bool
	Status                                                                string
	Headers                                                               []string
	Response                                                              string
}

func (h *Handler) testPanel(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "Test a function URL", "test"
	v.Data = &testForm{URL: r.URL.Query().Get("url"), Method: "GET", Region: h.cfg.Region}
	return "test", nil
}

// testSend signs a request to a function URL with the credentials typed
// into the panel — not the session's — and shows the answer, as Postman's
// AWS Signature tab does. The secret is never echoed back into the page.
func (h *Handler) testSend(w http.ResponseWriter, r *http.Request) {
	s, ok := h.checkPost(w, r)
	if !ok {
		return
	}
	f := &testForm{URL: strings.TrimSpace(r.PostFormValue("url")), Method: r.PostFormValue("method"), Body: r.PostFormValue("body"),
		AccessKeyID: strings.TrimSpace(r.PostFormValue("access_key_id")), SessionToken: strings.TrimSpace(r.PostFormValue("session_token")),
		Region: strings.TrimSpace(r.PostFormValue("region"))}
	secret := strings.TrimSpace(r.PostFormValue("secret_access_key"))
	v := &view{Title: "Test a function URL", Nav: "test", User: s.arn, CSRF: s.csrf, Data: f}
	if f.Region == "" {
		f.Region = h.cfg.Region
	}
	if f.Method == "" {
		f.Method = "GET"
	}
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Error = "Enter the function URL (http:// or https://)."
		h.render(w, http.StatusOK, "test", v)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), f.Method, u.String(), strings.NewReader(f.Body))
	if err != nil {
		v.Error = err.Error()
		h.render(w, http.StatusOK, "test", v)
		return
	}
	if f.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if f.AccessKeyID != "" || secret != "" {
		c := sigv4.Credentials{AccessKeyID: f.AccessKeyID, SecretAccessKey: secret, SessionToken: f.SessionToken}
		if err := sigv4.Sign(req, sigv4.PayloadHash([]byte(f.Body)), c, f.Region, "lambda", time.Now()); err != nil {
			v.Error = err.Error()
			h.render(w, http.StatusOK, "test", v)
			return
		}
	}
	resp, err := h.cfg.HTTPClient.Do(req)
	if err != nil {
		v.Error = "The request failed: " + err.Error()
		h.render(w, http.StatusOK, "test", v)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	f.Sent, f.Status, f.Response = true, resp.Status, string(body)
	for k, vs := range resp.Header {
		for _, val := range vs {
			f.Headers = append(f.Headers, k+": "+val)
		}
	}
	sort.Strings(f.Headers)
	h.render(w, http.StatusOK, "test", v)
}

func (h *Handler) activity(r *http.Request, s *session, v *view) (string, error) {
	v.Title, v.Nav = "Activity", "activity"
	q := url.Values{"limit": {"200"}}
	if r.URL.Query().Get("denied") == "true" {
		q.Set("denied", "true")
	}
	var out struct {
		Events []struct {
			Time         time.Time `json:"time"`
			RequestID    string    `json:"requestId"`
			PrincipalArn string    `json:"principalArn"`
			Service      string    `json:"service"`
			Action       string    `json:"action"`
			Resource     string    `json:"resource"`
			Decision     string    `json:"decision"`
			Reason       string    `json:"reason"`
			ErrorCode    string    `json:"errorCode"`
			Status       int       `json:"status"`
		}
	}
	v.Data = &out
	b, err := h.call(r, s, "fnurl", "GET", "/_fnurl/audit?"+q.Encode(), nil, "")
	if err != nil {
		return "activity", err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "activity", err
	}
	// Newest first.
	sort.SliceStable(out.Events, func(i, j int) bool { return out.Events[i].Time.After(out.Events[j].Time) })
	return "activity", nil
}
