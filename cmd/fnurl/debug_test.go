package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestDebugListen checks that --debug-listen serves the profiler on its own
// listener and that the main listener does not.
func TestDebugListen(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil, "--debug-listen", "127.0.0.1:0")
	// Info lines reach the log within the log's flush interval.
	re := regexp.MustCompile(`profiler listening.*addr=(127\.0\.0\.1:\d+)`)
	var m []string
	waitFor(t, "the profiler's address in the log", func() bool {
		m = re.FindStringSubmatch(ts.stderr.String())
		return m != nil
	})
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + m[1] + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("profiler: %d %.200s", code, body)
	}
	if code, body := get(ts.Endpoint + "/debug/pprof/goroutine?debug=1"); code == 200 || strings.Contains(body, "goroutine profile") {
		t.Errorf("the main listener serves the profiler: %d %.200s", code, body)
	}
}
