package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/fnurl/fnurl/internal/awsclient"
)

// lambdaTrustPolicy lets Lambda assume a role, as the AWS console writes it
// for a new execution role.
const lambdaTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// deployment is what "fnurl deploy" was asked to do.
type deployment struct {
	dir, name, runtime, handler, role, auth string
	memory, timeout                         int
}

// project is a directory packaged for Lambda.
type project struct {
	kind, runtime, handler string
	zip                    []byte
}

// runDeploy packages a directory, creates or updates the function and its
// URL, prints the URL, and with --watch does it again on every change.
func runDeploy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("fnurl deploy", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var sc serverClient
	sc.register(fset)
	var d deployment
	fset.StringVar(&d.name, "name", "", "function `name` (required)")
	fset.StringVar(&d.runtime, "runtime", "", "Lambda `runtime`; default: provided.al2023 for a Go main package, nodejs20.x for JavaScript, python3.12 for Python")
	fset.StringVar(&d.handler, "handler", "", "`handler`; default: bootstrap, index.handler or lambda_function.lambda_handler")
	fset.StringVar(&d.role, "role", "", "execution role `ARN`; default: the role fnurl-deploy-NAME, created if missing")
	fset.StringVar(&d.auth, "auth", "AWS_IAM", "function URL auth `type`: AWS_IAM or NONE (NONE also adds the public-access permission)")
	fset.IntVar(&d.memory, "memory", 0, "memory size in `MB` (default: Lambda's 128 on create, unchanged on update)")
	fset.IntVar(&d.timeout, "timeout", 0, "timeout in `seconds` (default: Lambda's 3 on create, unchanged on update)")
	watch := fset.Bool("watch", false, "keep running and redeploy whenever a file in the directory changes")
	fset.Usage = func() {
		fmt.Fprint(stderr, "Usage: fnurl deploy DIR --name NAME [--runtime R] [--handler H] [--role ARN] [--auth AWS_IAM|NONE] [--watch]\n\n"+
			"Packages DIR (building a Go main package into a bootstrap first), creates the function or updates\n"+
			"its code and configuration, creates or updates its function URL, and prints the URL. Progress goes\n"+
			"to standard error. Credentials and server as for the aws CLI: --profile, --endpoint-url,\n"+
			"AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN.\n\nFlags:\n")
		fset.PrintDefaults()
	}
	pos, err := parseInterspersed(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || d.name == "" {
		fset.Usage()
		return fmt.Errorf("%w: deploy takes one directory and --name", errUsage)
	}
	if d.auth != "AWS_IAM" && d.auth != "NONE" {
		return fmt.Errorf("--auth must be AWS_IAM or NONE, not %q", d.auth)
	}
	d.dir = pos[0]
	if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory", d.dir)
	}
	s, endpoint, err := sc.resolve(getenv)
	if err != nil {
		return err
	}
	c := newAPIClients(s, endpoint)
	url, err := c.deploy(ctx, d, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, url)
	if !*watch {
		return nil
	}
	fmt.Fprintf(stderr, "watching %s for changes (Ctrl-C stops)\n", d.dir)
	last := fingerprint(d.dir)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := fingerprint(d.dir)
		if now == last {
			continue
		}
		// Let a burst of saves settle before building.
		for {
			time.Sleep(300 * time.Millisecond)
			if settled := fingerprint(d.dir); settled == now {
				break
			} else {
				now = settled
			}
		}
		last = now
		fmt.Fprintf(stderr, "%s changed: redeploying\n", d.dir)
		if _, err := c.deploy(ctx, d, stderr); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(stderr, "fnurl: deploy failed: %v (waiting for the next change)\n", err)
			continue
		}
		fmt.Fprintf(stderr, "redeployed %s at %s\n", d.name, time.Now().Format("15:04:05"))
	}
}

// apiClients are SDK clients for the fnurl server.
type apiClients struct {
	lambda *lambdasdk.Client
	iam    *iamsdk.Client
}

func newAPIClients(s *awsclient.Settings, endpoint string) *apiClients {
	creds := credentials.NewStaticCredentialsProvider(s.Credentials.AccessKeyID, s.Credentials.SecretAccessKey, s.Credentials.SessionToken)
	region := s.Region
	if region == "" {
		region = "us-east-1"
	}
	return &apiClients{
		lambda: lambdasdk.New(lambdasdk.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: creds}),
		iam:    iamsdk.New(iamsdk.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: creds}),
	}
}

// apiErrorCode is the AWS error code of err, or "".
func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// deploy packages d.dir and brings the function and its URL up to date.
func (c *apiClients) deploy(ctx context.Context, d deployment, progress io.Writer) (string, error) {
	p, err := packageDir(ctx, d.dir, progress)
	if err != nil {
		return "", err
	}
	rt, handler := first(d.runtime, p.runtime), first(d.handler, p.handler)
	fmt.Fprintf(progress, "packaged %s (%s, %d bytes); uploading\n", d.dir, p.kind, len(p.zip))
	_, err = c.lambda.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String(d.name)})
	switch code := apiErrorCode(err); {
	case code == "ResourceNotFoundException":
		role := d.role
		if role == "" {
			if role, err = c.ensureRole(ctx, "fnurl-deploy-"+d.name, progress); err != nil {
				return "", err
			}
		}
		in := &lambdasdk.CreateFunctionInput{FunctionName: aws.String(d.name), Runtime: types.Runtime(rt), Handler: aws.String(handler),
			Role: aws.String(role), Code: &types.FunctionCode{ZipFile: p.zip}}
		if d.memory > 0 {
			in.MemorySize = aws.Int32(int32(d.memory))
		}
		if d.timeout > 0 {
			in.Timeout = aws.Int32(int32(d.timeout))
		}
		if _, err := c.lambda.CreateFunction(ctx, in); err != nil {
			return "", fmt.Errorf("creating %s: %w", d.name, err)
		}
		fmt.Fprintf(progress, "created function %s (%s)\n", d.name, rt)
	case err != nil:
		return "", fmt.Errorf("looking up %s: %w", d.name, err)
	default:
		if _, err := c.lambda.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String(d.name), ZipFile: p.zip}); err != nil {
			return "", fmt.Errorf("updating the code of %s: %w", d.name, err)
		}
		in := &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.name), Runtime: types.Runtime(rt), Handler: aws.String(handler)}
		if d.role != "" {
			in.Role = aws.String(d.role)
		}
		if d.memory > 0 {
			in.MemorySize = aws.Int32(int32(d.memory))
		}
		if d.timeout > 0 {
			in.Timeout = aws.Int32(int32(d.timeout))
		}
		if _, err := c.lambda.UpdateFunctionConfiguration(ctx, in); err != nil {
			return "", fmt.Errorf("updating the configuration of %s: %w", d.name, err)
		}
		fmt.Fprintf(progress, "updated function %s\n", d.name)
	}
	return c.ensureURL(ctx, d.name, types.FunctionUrlAuthType(d.auth), progress)
}

// ensureRole returns the ARN of the execution role name, creating it with
// Lambda's trust policy when it does not exist.
func (c *apiClients) ensureRole(ctx context.Context, name string, progress io.Writer) (string, error) {
	got, err := c.iam.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(name)})
	if err == nil {
		return aws.ToString(got.Role.Arn), nil
	}
	if apiErrorCode(err) != "NoSuchEntity" {
		return "", fmt.Errorf("looking up the role %s: %w", name, err)
	}
	created, err := c.iam.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
		Description: aws.String("Execution role created by fnurl deploy")})
	if err != nil {
		return "", fmt.Errorf("creating the role %s: %w", name, err)
	}
	fmt.Fprintf(progress, "created execution role %s\n", name)
	return aws.ToString(created.Role.Arn), nil
}

// ensureURL creates the function's URL or updates its auth type, and for
// NONE adds the permission that lets anyone call it, as the AWS console
// does.
func (c *apiClients) ensureURL(ctx context.Context, name string, auth types.FunctionUrlAuthType, progress io.Writer) (string, error) {
	var url string
	got, err := c.lambda.GetFunctionUrlConfig(ctx, &lambdasdk.GetFunctionUrlConfigInput{FunctionName: aws.String(name)})
	switch {
	case apiErrorCode(err) == "ResourceNotFoundException":
		created, err := c.lambda.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: auth})
		if err != nil {
			return "", fmt.Errorf("creating the function URL: %w", err)
		}
		url = aws.ToString(created.FunctionUrl)
		fmt.Fprintf(progress, "created function URL (%s)\n", auth)
	case err != nil:
		return "", fmt.Errorf("looking up the function URL: %w", err)
	default:
		url = aws.ToString(got.FunctionUrl)
		if got.AuthType != auth {
			if _, err := c.lambda.UpdateFunctionUrlConfig(ctx, &lambdasdk.UpdateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: auth}); err != nil {
				return "", fmt.Errorf("updating the function URL: %w", err)
			}
			fmt.Fprintf(progress, "function URL auth type now %s\n", auth)
		}
	}
	if auth == types.FunctionUrlAuthTypeNone {
		_, err := c.lambda.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String(name), StatementId: aws.String("FunctionURLAllowPublicAccess"),
			Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone})
		if err != nil && apiErrorCode(err) != "ResourceConflictException" {
			return "", fmt.Errorf("allowing public access: %w", err)
		}
	}
	return url, nil
}

// packageDir zips dir for Lambda: a Go main package is built into a
// bootstrap and only that is zipped; anything else is zipped as it is
// (without .git and other hidden entries).
func packageDir(ctx context.Context, dir string, progress io.Writer) (*project, error) {
	kind, err := detectKind(dir)
	if err != nil {
		return nil, err
	}
	p := &project{kind: kind}
	switch kind {
	case "go":
		p.runtime, p.handler = "provided.al2023", "bootstrap"
		fmt.Fprintf(progress, "building %s with go build (linux/%s)\n", dir, runtime.GOARCH)
		out, err := os.MkdirTemp("", "fnurl-deploy-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(out)
		bin := filepath.Join(out, "bootstrap")
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build in %s: %v\n%s", dir, err, msg)
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		p.zip, err = zipFiles([]zipEntry{{name: "bootstrap", mode: 0o755, data: b}})
		return p, err
	case "nodejs":
		p.runtime = "nodejs20.x"
		p.handler = "index.handler"
		if h := firstFile(dir, ".mjs", ".js", ".cjs"); h != "" && !exists(filepath.Join(dir, "index.mjs")) && !exists(filepath.Join(dir, "index.js")) {
			p.handler = strings.TrimSuffix(h, filepath.Ext(h)) + ".handler"
		}
	case "python":
		p.runtime = "python3.12"
		p.handler = "lambda_function.lambda_handler"
		if h := firstFile(dir, ".py"); h != "" && !exists(filepath.Join(dir, "lambda_function.py")) {
			p.handler = strings.TrimSuffix(h, ".py") + ".lambda_handler"
		}
	}
	var entries []zipEntry
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel != "." && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		entries = append(entries, zipEntry{name: filepath.ToSlash(rel), mode: info.Mode().Perm(), data: b})
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.zip, err = zipFiles(entries)
	return p, err
}

// detectKind says what dir holds: "go" (a main package), "nodejs" or
// "python".
func detectKind(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var js, py bool
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go"):
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err == nil && isMainPackage(b) {
				return "go", nil
			}
		case n == "package.json" || strings.HasSuffix(n, ".js") || strings.HasSuffix(n, ".mjs") || strings.HasSuffix(n, ".cjs"):
			js = true
		case strings.HasSuffix(n, ".py"):
			py = true
		}
	}
	switch {
	case js:
		return "nodejs", nil
	case py:
		return "python", nil
	}
	return "", fmt.Errorf("%s holds no Go main package, JavaScript or Python: nothing to deploy (or give --runtime and --handler for another layout)", dir)
}

// isMainPackage reports whether Go source declares package main.
func isMainPackage(src []byte) bool {
	for line := range bytes.Lines(src) {
		f := strings.Fields(string(line))
		if len(f) >= 2 && f[0] == "package" {
			return f[1] == "main"
		}
	}
	return false
}

func firstFile(dir string, exts ...string) string {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !e.IsDir() && slices.Contains(exts, filepath.Ext(e.Name())) {
			return e.Name()
		}
	}
	return ""
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

type zipEntry struct {
	name string
	mode fs.FileMode
	data []byte
}

func zipFiles(entries []zipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fingerprint summarises the names, sizes and modification times of the
// files under dir (hidden entries aside), to notice changes.
func fingerprint(dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if path != dir && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := e.Info(); err == nil && !e.IsDir() {
			fmt.Fprintf(&b, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

// first returns the first non-empty string.
func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
