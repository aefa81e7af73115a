package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
)

// child is a process the benchmark started and measures.
type child struct {
	name     string
	cmd      *exec.Cmd
	endpoint string // http://127.0.0.1:port
	addr     string // 127.0.0.1:port

	noMetrics bool // a fnurl server whose /metrics was refused (--metrics off): not scraped again
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop ends the process with SIGTERM, then SIGKILL after a grace period.
func (c *child) stop() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// moduleRoot is the directory of the fnurl module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run fnurl-bench inside the fnurl module")
	}
	return filepath.Dir(mod), nil
}

// goBuild builds the package pkg of the module into out.
func goBuild(root, pkg, out string, env ...string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// functionZip builds the Go function in pkg (under internal/testfunctions)
// as a provided.al2023 bootstrap, dir/pkg/bootstrap, and zips it.
func functionZip(root, dir, pkg string) (zipFile []byte, bootstrap string, err error) {
	bin := filepath.Join(dir, pkg, "bootstrap")
	if err := goBuild(root, "./internal/testfunctions/"+pkg, bin, "CGO_ENABLED=0"); err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, "", err
	}
	w.Write(b)
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), bin, nil
}

var endpointRE = regexp.MustCompile(`(https?://127\.0\.0\.1:\d+)`)

// startChild starts argv with env added to the environment and waits for
// a line on its standard output naming its endpoint. Its standard error
// goes to logFile.
func startChild(name string, argv, env []string, logFile string) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer lf.Close() // the child has its own descriptor
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := endpointRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ep := <-found:
		c.endpoint = ep
		c.addr = strings.TrimPrefix(ep, "http://")
		return c, nil
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		c.cmd.Wait()
		b, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("%s did not start:\n%s", name, b)
	}
}

// helloEnv makes this program serve the hello ceiling instead of
// benchmarking (see serveHello).
const helloEnv = "FNURL_BENCH_HELLO"

// serveHello is the ceiling: a plain net/http server answering "hello".
func serveHello() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("hello serving at http://%s\n", ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
}

// fixture is the fnurl side of the benchmark: a server with the echo
// function behind two URLs, the hello function behind an AWS_IAM one, and a
// user allowed to call them.
type fixture struct {
	server             *child
	iamURL, noneURL    string
	helloURL           string
	helloNoneURL       string // the hello function's NONE URL (alias "open")
	fnARN, helloARN    string
	userID, userKey    string // the bench user's access key
	userSecret         string
	policy             string // the bench user's identity policy
	rootID, rootSecret string
}

const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// setUp creates, as root, the execution role, the echo function and the
// hello function, each with an AWS_IAM URL and (on alias "open") a NONE
// URL, and a user "bench" whose inline policy allows invoking them
// through their URLs and the Invoke API and reading itself.
func setUp(ctx context.Context, srv *child, dataDir string, zipFile, helloZip []byte, fnEnv map[string]string) (*fixture, error) {
	f := &fixture{server: srv}
	var err error
	if f.rootID, f.rootSecret, err = readCredentials(filepath.Join(dataDir, "credentials")); err != nil {
		return nil, err
	}
	creds := credentials.NewStaticCredentialsProvider(f.rootID, f.rootSecret, "")
	ic := iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.endpoint), Credentials: creds, RetryMaxAttempts: 1})
	lc := lambdasdk.New(lambdasdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.endpoint), Credentials: creds, RetryMaxAttempts: 1})
	role, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("bench-exec"), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
	if err != nil {
		return nil, fmt.Errorf("CreateRole: %w", err)
	}
	in := &lambdasdk.CreateFunctionInput{FunctionName: aws.String("echo"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: role.Role.Arn, Code: &types.FunctionCode{ZipFile: zipFile}}
	if len(fnEnv) > 0 {
		in.Environment = &types.Environment{Variables: fnEnv}
	}
	fn, err := lc.CreateFunction(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("CreateFunction: %w", err)
	}
	f.fnARN = aws.ToString(fn.FunctionArn)
	u, err := lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	if err != nil {
		return nil, fmt.Errorf("CreateFunctionUrlConfig: %w", err)
	}
	f.iamURL = aws.ToString(u.FunctionUrl)
	if _, err := lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("echo"), Name: aws.String("open"), FunctionVersion: aws.String("$LATEST")}); err != nil {
		return nil, fmt.Errorf("CreateAlias: %w", err)
	}
	u, err = lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("echo"), Qualifier: aws.String("open"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		return nil, fmt.Errorf("CreateFunctionUrlConfig: %w", err)
	}
	f.noneURL = aws.ToString(u.FunctionUrl)
	if _, err := lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("echo"), Qualifier: aws.String("open"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		return nil, fmt.Errorf("AddPermission: %w", err)
	}
	in.FunctionName, in.Code = aws.String("hello"), &types.FunctionCode{ZipFile: helloZip}
	if fn, err = lc.CreateFunction(ctx, in); err != nil {
		return nil, fmt.Errorf("CreateFunction hello: %w", err)
	}
	f.helloARN = aws.ToString(fn.FunctionArn)
	if u, err = lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("hello"), AuthType: types.FunctionUrlAuthTypeAwsIam}); err != nil {
		return nil, fmt.Errorf("CreateFunctionUrlConfig hello: %w", err)
	}
	f.helloURL = aws.ToString(u.FunctionUrl)
	if _, err := lc.CreateAlias(ctx, &lambdasdk.CreateAliasInput{FunctionName: aws.String("hello"), Name: aws.String("open"), FunctionVersion: aws.String("$LATEST")}); err != nil {
		return nil, fmt.Errorf("CreateAlias hello: %w", err)
	}
	if u, err = lc.CreateFunctionUrlConfig(ctx, &lambdasdk.CreateFunctionUrlConfigInput{FunctionName: aws.String("hello"), Qualifier: aws.String("open"), AuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		return nil, fmt.Errorf("CreateFunctionUrlConfig hello NONE: %w", err)
	}
	f.helloNoneURL = aws.ToString(u.FunctionUrl)
	if _, err := lc.AddPermission(ctx, &lambdasdk.AddPermissionInput{FunctionName: aws.String("hello"), Qualifier: aws.String("open"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		return nil, fmt.Errorf("AddPermission hello: %w", err)
	}
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		return nil, fmt.Errorf("CreateUser: %w", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["lambda:InvokeFunctionUrl","lambda:InvokeFunction"],"Resource":["` + f.fnARN + `","` + f.fnARN + `:*","` + f.helloARN + `"]},` +
		`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/bench"}]}`
	if _, err := ic.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bench"), PolicyName: aws.String("invoke"), PolicyDocument: aws.String(policy)}); err != nil {
		return nil, fmt.Errorf("PutUserPolicy: %w", err)
	}
	f.policy = policy
	key, err := ic.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		return nil, fmt.Errorf("CreateAccessKey: %w", err)
	}
	f.userKey, f.userSecret = aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	return f, nil
}

// sdkClients returns IAM and STS clients of the bench user that keep up to
// conns idle connections.
func (f *fixture) sdkClients(conns int) (*iamsdk.Client, *stssdk.Client) {
	creds := credentials.NewStaticCredentialsProvider(f.userKey, f.userSecret, "")
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxIdleConns: conns, DisableCompression: true}}
	return iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.server.endpoint), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: hc}),
		stssdk.New(stssdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.server.endpoint), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: hc})
}

// readCredentials reads the first key pair of an AWS shared credentials
// file.
func readCredentials(path string) (id, secret string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			if id == "" {
				id = strings.TrimSpace(v)
			}
		case "aws_secret_access_key":
			if secret == "" {
				secret = strings.TrimSpace(v)
			}
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("no credentials in %s", path)
	}
	return id, secret, nil
}
