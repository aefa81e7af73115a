package sandbox_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnurl/fnurl/internal/sandbox"
)

// needTool skips when prog is missing, unless FNURL_TEST_REQUIRE_TOOLS=1.
func needTool(t *testing.T, prog string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		if os.Getenv("FNURL_TEST_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required (FNURL_TEST_REQUIRE_TOOLS=1): %v", prog, err)
		}
		t.Skipf("%s not installed: %v", prog, err)
	}
}

func testdataZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	z := map[string]zipFile{}
	for name, src := range files {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		z[name] = zipFile{b, 0o644}
	}
	return zipFiles(t, z)
}

const hello = `"statusCode":200,"body":"\"Hello from Lambda!\""`

func TestNode(t *testing.T) {
	needTool(t, "node")
	m := newManager(t, sandbox.Config{})
	tests := []struct {
		name, handler string
		files         map[string]string
		want          []string
	}{
		{"commonjs", "index.handler", map[string]string{"index.js": "node/index.js"}, []string{hello, `"functionName":"node-commonjs"`, `"requestId":"`}},
		{"esm", "index.handler", map[string]string{"index.mjs": "node/index.mjs"}, []string{`{` + hello + `}`}},
		{"callback", "app/main.handler", map[string]string{"app/main.js": "node/callback.js"}, []string{hello, `"echo":{"k":"v"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := newFunction("node-"+tc.name, "nodejs20.x", tc.handler, testdataZip(t, tc.files))
			for i := range 2 {
				res, id := invoke(t, m, fn, `{"k":"v"}`)
				if res.FunctionError != "" {
					t.Fatalf("function error: %s\n%s", res.Payload, res.LogTail)
				}
				for _, w := range tc.want {
					if !strings.Contains(string(res.Payload), w) {
						t.Errorf("payload %s lacks %s", res.Payload, w)
					}
				}
				if tc.name == "commonjs" {
					if !strings.Contains(string(res.Payload), id) {
						t.Errorf("payload %s lacks the request id", res.Payload)
					}
					if !strings.Contains(string(res.LogTail), "\t"+id+"\tINFO\tevent {\"k\":\"v\"}") {
						t.Errorf("log tail lacks the console.log line:\n%s", res.LogTail)
					}
				}
				if (i == 0) != (res.InitDuration > 0) {
					t.Errorf("invocation %d: InitDuration %v", i, res.InitDuration)
				}
			}
		})
	}
	t.Run("thrown error", func(t *testing.T) {
		fn := newFunction("node-commonjs", "nodejs20.x", "index.handler", testdataZip(t, map[string]string{"index.js": "node/index.js"}))
		res, _ := invoke(t, m, fn, `{"fail":"bad input"}`)
		v := errorBody(t, res.Payload)
		if res.FunctionError != "Unhandled" || v["errorType"] != "TypeError" || v["errorMessage"] != "bad input" || v["trace"] == nil {
			t.Errorf("%q %s", res.FunctionError, res.Payload)
		}
	})
	t.Run("missing module", func(t *testing.T) {
		fn := newFunction("node-missing", "nodejs20.x", "nothere.handler", testdataZip(t, map[string]string{"index.js": "node/index.js"}))
		res, _ := invoke(t, m, fn, `{}`)
		v := errorBody(t, res.Payload)
		if res.FunctionError != "Unhandled" || v["errorType"] != "Runtime.ImportModuleError" || !strings.Contains(v["errorMessage"].(string), "Cannot find module 'nothere'") {
			t.Errorf("%q %s", res.FunctionError, res.Payload)
		}
	})
	t.Run("missing handler", func(t *testing.T) {
		fn := newFunction("node-nohandler", "nodejs20.x", "index.other", testdataZip(t, map[string]string{"index.js": "node/index.js"}))
		res, _ := invoke(t, m, fn, `{}`)
		v := errorBody(t, res.Payload)
		if v["errorType"] != "Runtime.HandlerNotFound" {
			t.Errorf("%s", res.Payload)
		}
	})
	t.Run("streaming", func(t *testing.T) {
		fn := newFunction("node-stream", "nodejs20.x", "index.handler", testdataZip(t, map[string]string{"index.mjs": "node/stream.mjs"}))
		fn.Timeout = 10 * time.Second
		invoke(t, m, fn, `{}`) // warm: the first read below must not wait for node's start
		start := time.Now()
		res, err := m.Invoke(context.Background(), fn, sandbox.Request{RequestID: reqID(), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stream == nil {
			t.Fatalf("not streamed: %s", res.Payload)
		}
		defer res.Stream.Close()
		b := make([]byte, 16)
		n, err := res.Stream.Read(b)
		if err != nil || string(b[:n]) != "first\n" || time.Since(start) >= 1500*time.Millisecond {
			t.Fatalf("first read %q %v after %v", b[:n], err, time.Since(start))
		}
		rest, err := io.ReadAll(res.Stream)
		if err != nil || string(rest) != "second\n" {
			t.Errorf("rest %q %v", rest, err)
		}
	})
}

func TestPython(t *testing.T) {
	needTool(t, "python3")
	m := newManager(t, sandbox.Config{})
	code := testdataZip(t, map[string]string{"lambda_function.py": "python/lambda_function.py"})
	fn := newFunction("py", "python3.12", "lambda_function.lambda_handler", code)
	for i := range 2 {
		res, id := invoke(t, m, fn, `{"k":"v"}`)
		if res.FunctionError != "" {
			t.Fatalf("function error: %s\n%s", res.Payload, res.LogTail)
		}
		for _, w := range []string{hello, `"functionName":"py"`, `"requestId":"` + id + `"`} {
			if !strings.Contains(strings.ReplaceAll(string(res.Payload), " ", ""), strings.ReplaceAll(w, " ", "")) {
				t.Errorf("payload %s lacks %s", res.Payload, w)
			}
		}
		if !strings.Contains(string(res.LogTail), `event {"k": "v"}`) {
			t.Errorf("log tail lacks the print:\n%s", res.LogTail)
		}
		if (i == 0) != (res.InitDuration > 0) {
			t.Errorf("invocation %d: InitDuration %v", i, res.InitDuration)
		}
	}
	t.Run("raised error", func(t *testing.T) {
		res, id := invoke(t, m, fn, `{"fail":"bad input"}`)
		v := errorBody(t, res.Payload)
		if res.FunctionError != "Unhandled" || v["errorType"] != "ValueError" || v["errorMessage"] != "bad input" || v["requestId"] != id || v["stackTrace"] == nil {
			t.Errorf("%q %s", res.FunctionError, res.Payload)
		}
	})
	t.Run("missing module", func(t *testing.T) {
		fn := newFunction("py-missing", "python3.12", "nothere.lambda_handler", code)
		res, _ := invoke(t, m, fn, `{}`)
		v := errorBody(t, res.Payload)
		if res.FunctionError != "Unhandled" || v["errorType"] != "Runtime.ImportModuleError" || !strings.HasPrefix(v["errorMessage"].(string), "Unable to import module 'nothere'") {
			t.Errorf("%q %s", res.FunctionError, res.Payload)
		}
	})
}
