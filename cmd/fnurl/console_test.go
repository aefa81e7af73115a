package main

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium for a test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := requireTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// Start the browser now, bound to ctx, so that steps may run under
	// shorter-lived child contexts.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// TestConsoleWalkthrough walks the seed walkthrough through the web console
// in headless Chromium: sign in as root, create the "Hello from Lambda!"
// function with an AWS_IAM URL, create a user and its key, send a signed
// test request (403), attach a policy (200 "Hello from Lambda!"), detach
// it and add a resource-based permission instead (200). Screenshots of the
// steps are saved as test artifacts.
func TestConsoleWalkthrough(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := browser(t)
	base := ts.Endpoint + "/console/"
	shots := t.ArtifactDir()
	step := 0
	shot := func(name string) {
		t.Helper()
		step++
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		os.WriteFile(filepath.Join(shots, strings.ReplaceAll(strings.ToLower(name), " ", "-")+".png"), png, 0o644)
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %v\n%s", what, err, page)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	noError := func(what string) {
		t.Helper()
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#error').length`))
		if n > 0 {
			t.Fatalf("%s: the console shows an error: %s", what, text("#error"))
		}
	}

	run("sign in", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#access_key_id")),
		chromedp.SendKeys(chromedp.CSS("#access_key_id"), id), chromedp.SendKeys(chromedp.CSS("#secret_access_key"), secret),
		chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#whoami")))
	if who := text("#whoami"); !strings.HasSuffix(who, ":root") {
		t.Fatalf("signed in as %q", who)
	}
	shot("signed in")

	// The function, from the Node.js template, with an AWS_IAM URL.
	run("create function", chromedp.Navigate(base+"functions"), chromedp.WaitVisible(chromedp.CSS("#fn-name")),
		chromedp.SendKeys(chromedp.CSS("#fn-name"), "hello"), chromedp.Click(chromedp.CSS("#tpl-nodejs")),
		chromedp.SetValue(chromedp.CSS("#fn-url"), "AWS_IAM"), chromedp.Click(chromedp.CSS("#create-function")),
		chromedp.WaitVisible(chromedp.CSS("#function-url")))
	noError("create function")
	fnURL, fnArn := text("#function-url"), text("#function-arn")
	if text("#url-auth") != "AWS_IAM" || !strings.Contains(fnURL, "/lambda-url/") {
		t.Fatalf("function URL %q auth %q", fnURL, text("#url-auth"))
	}
	shot("function created")

	// The user and its key, read from the page that shows the secret once.
	run("create user", chromedp.Navigate(base+"users"), chromedp.WaitVisible(chromedp.CSS("#user-name")),
		chromedp.SendKeys(chromedp.CSS("#user-name"), "walker"), chromedp.Click(chromedp.CSS("#create-user")),
		chromedp.WaitVisible(chromedp.CSS("#create-key")))
	userArn := text("#user-arn")
	run("create key", chromedp.Click(chromedp.CSS("#create-key")), chromedp.WaitVisible(chromedp.CSS("#new-key-secret")))
	keyID, keySecret := text("#new-key-id"), text("#new-key-secret")
	if !strings.HasPrefix(keyID, "AKIA") || len(keySecret) != 40 {
		t.Fatalf("new key %q / %d-character secret", keyID, len(keySecret))
	}
	shot("access key")

	testCall := func(name string) (status, body string) {
		t.Helper()
		run("test panel", chromedp.Navigate(base+"test"), chromedp.WaitVisible(chromedp.CSS("#test-url")),
			chromedp.SetValue(chromedp.CSS("#test-url"), fnURL), chromedp.SendKeys(chromedp.CSS("#test-key"), keyID),
			chromedp.SendKeys(chromedp.CSS("#test-secret"), keySecret), chromedp.Click(chromedp.CSS("#send")),
			chromedp.WaitVisible(chromedp.CSS("#test-status")))
		shot(name)
		return text("#test-status"), text("#test-response")
	}
	if status, body := testCall("no permissions 403"); !strings.HasPrefix(status, "403") || !strings.Contains(body, "Forbidden") {
		t.Fatalf("without permissions: %s %s", status, body)
	}

	// An identity policy allowing lambda:InvokeFunctionUrl on the function.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunctionUrl","Resource":"` + fnArn + `"}]}`
	run("create policy", chromedp.Navigate(base+"policies"), chromedp.WaitVisible(chromedp.CSS("#policy-name")),
		chromedp.SendKeys(chromedp.CSS("#policy-name"), "invoke-hello"), chromedp.SetValue(chromedp.CSS("#policy-doc"), doc),
		chromedp.Click(chromedp.CSS("#create-policy")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	run("attach", chromedp.Navigate(base+"users/walker"), chromedp.WaitVisible(chromedp.CSS("#attach-policy")),
		chromedp.Click(chromedp.CSS("#attach-policy")), chromedp.WaitVisible(chromedp.CSS(`#attached button`)))
	noError("attach")
	if got := text("#attached"); !strings.Contains(got, "invoke-hello") {
		t.Fatalf("attached policies: %q", got)
	}
	shot("policy attached")
	if status, body := testCall("identity policy 200"); !strings.HasPrefix(status, "200") || body != `"Hello from Lambda!"` {
		t.Fatalf("with the policy: %s %s", status, body)
	}

	// Detached; a resource-based permission for the user instead.
	run("detach", chromedp.Navigate(base+"users/walker"), chromedp.WaitVisible(chromedp.CSS(`#attached button`)),
		chromedp.Click(chromedp.CSS(`#attached button`)), chromedp.WaitNotPresent(chromedp.CSS(`#attached button`)))
	if got := text("#attached"); strings.Contains(got, "invoke-hello") {
		t.Fatalf("still attached: %q", got)
	}
	if status, _ := testCall("detached 403"); !strings.HasPrefix(status, "403") {
		t.Fatalf("after detaching: %s", status)
	}
	run("add permission", chromedp.Navigate(base+"functions/hello"), chromedp.WaitVisible(chromedp.CSS("#perm-sid")),
		chromedp.SendKeys(chromedp.CSS("#perm-sid"), "walker-url"), chromedp.SendKeys(chromedp.CSS("#perm-principal"), userArn),
		chromedp.Click(chromedp.CSS("#add-permission")), chromedp.WaitVisible(chromedp.CSS(`#statements button`)))
	noError("add permission")
	if got := text("#statements"); !strings.Contains(got, "walker-url") {
		t.Fatalf("statements: %q", got)
	}
	shot("resource policy")
	if status, body := testCall("resource policy 200"); !strings.HasPrefix(status, "200") || body != `"Hello from Lambda!"` {
		t.Fatalf("with the resource-based permission: %s %s", status, body)
	}

	// The activity page explains the denials.
	run("activity", chromedp.Navigate(base+"activity?denied=true"), chromedp.WaitVisible(chromedp.CSS("#events")))
	if got := text("#events"); !strings.Contains(got, "lambda:InvokeFunctionUrl") || !strings.Contains(got, "no identity-based policy allows") {
		t.Errorf("activity page lacks the explained denial:\n%s", got)
	}
	shot("activity")
}

// consoleClient is a cookie-keeping HTTP client that does not follow
// redirects, for the console's plain HTTP tests.
func consoleClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// signIn signs c in and returns the session's CSRF token.
func consoleSignIn(t *testing.T, c *http.Client, endpoint, id, secret string) (string, *http.Response) {
	t.Helper()
	resp, err := c.PostForm(endpoint+"/console/signin", url.Values{"access_key_id": {id}, "secret_access_key": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page := consoleGet(t, c, endpoint+"/console/")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		return "", resp
	}
	return m[1], resp
}

func consoleGet(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestConsoleSessions checks sign-in failures, the session cookie, CSRF,
// session expiry, and that a user without IAM permissions sees AccessDenied
// rather than data.
func TestConsoleSessions(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, nil, "--console-session-lifetime", "3s")
	id, secret := rootCreds(t, dir)
	ep := ts.Endpoint

	// A wrong secret is refused with the API's error.
	c := consoleClient(t)
	resp, err := c.PostForm(ep+"/console/signin", url.Values{"access_key_id": {id}, "secret_access_key": {"wrong" + secret[5:]}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "SignatureDoesNotMatch") || len(c.Jar.Cookies(mustURL(ep+"/console/"))) != 0 {
		t.Errorf("wrong secret: %d, cookies %v\n%s", resp.StatusCode, c.Jar.Cookies(mustURL(ep+"/console/")), b)
	}

	// The session cookie.
	csrf, resp := consoleSignIn(t, c, ep, id, secret)
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, secret) || csrf == "" {
		t.Fatalf("cookie %q, csrf %q", cookie, csrf)
	}

	post := func(c *http.Client, path string, form url.Values, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", ep+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location") + string(b)
	}
	// CSRF: missing, wrong, and cross-origin with the right token.
	if code, _ := post(c, "/console/users", url.Values{"name": {"mallory"}}, nil); code != 403 {
		t.Errorf("POST without a CSRF token: %d", code)
	}
	if code, _ := post(c, "/console/users", url.Values{"name": {"mallory"}, "csrf": {strings.Repeat("0", 64)}}, nil); code != 403 {
		t.Errorf("POST with a wrong CSRF token: %d", code)
	}
	if code, _ := post(c, "/console/users", url.Values{"name": {"mallory"}, "csrf": {csrf}}, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}); code != 403 {
		t.Errorf("cross-origin POST: %d", code)
	}
	if page := consoleGet(t, c, ep+"/console/users"); strings.Contains(page, "mallory") {
		t.Error("a refused POST created the user")
	}
	// The right token works: a user without permissions, and a key.
	if code, loc := post(c, "/console/users", url.Values{"name": {"nobody"}, "csrf": {csrf}}, nil); code != 303 || strings.Contains(loc, "error") {
		t.Fatalf("create user: %d %s", code, loc)
	}
	code, keyPage := post(c, "/console/users/nobody/keys", url.Values{"csrf": {csrf}}, nil)
	m := regexp.MustCompile(`id="new-key-id">([A-Z0-9]+)<.*?id="new-key-secret">([^<]+)<`).FindStringSubmatch(strings.ReplaceAll(keyPage, "\n", ""))
	if code != 200 || m == nil {
		t.Fatalf("create key: %d\n%s", code, keyPage)
	}
	m[2] = html.UnescapeString(m[2])
	if page := html.UnescapeString(consoleGet(t, c, ep+"/console/users/nobody")); strings.Contains(page, m[2]) || !strings.Contains(page, m[1]) {
		t.Error("the user page shows the secret again, or not the key ID")
	}

	// A user without IAM permissions sees AccessDenied, not the users.
	nc := consoleClient(t)
	if tok, _ := consoleSignIn(t, nc, ep, m[1], m[2]); tok == "" {
		t.Fatal("the user could not sign in")
	}
	page := consoleGet(t, nc, ep+"/console/users")
	if !strings.Contains(page, "AccessDenied") || !strings.Contains(page, "iam:ListUsers") || strings.Contains(page, ">nobody<") {
		t.Errorf("users page for a user without permissions:\n%s", page)
	}
	if page := consoleGet(t, nc, ep+"/console/functions"); !strings.Contains(page, "AccessDenied") {
		t.Errorf("functions page for a user without permissions:\n%s", page)
	}
	// With permission to list users, the same page shows them.
	rootIAM, _ := sdkClients(ts, id, secret, "")
	must(rootIAM.PutUserPolicy(context.Background(), &iamsdk.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}))
	if page := consoleGet(t, nc, ep+"/console/users"); strings.Contains(page, "AccessDenied") || !strings.Contains(page, ">nobody<") {
		t.Errorf("users page once allowed:\n%s", page)
	}

	// Sessions expire.
	time.Sleep(3500 * time.Millisecond)
	if page := consoleGet(t, c, ep+"/console/users"); !strings.Contains(page, `id="signin"`) || strings.Contains(page, "nobody") {
		t.Errorf("after expiry the console still serves the session:\n%s", page)
	}
	if code, loc := post(c, "/console/users", url.Values{"name": {"late"}, "csrf": {csrf}}, nil); code != 303 || !strings.Contains(loc, "session") {
		t.Errorf("POST after expiry: %d %s", code, loc)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
