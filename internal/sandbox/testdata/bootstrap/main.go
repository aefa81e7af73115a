// Command bootstrap is a provided.al2023 test function that speaks the
// Lambda Runtime API with plain net/http. What it does depends on the
// event: {"sleep_ms":N}, {"exit":N}, {"fail":"msg"}, {"stream":N,
// "pause_ms":M, "stream_fail":"msg"}, {"alloc_mb":N}, {"log":N},
// {"env":true}, {"stderr":"text"}, {"crash":true} (a goroutine panics);
// anything else is echoed back.
// FN_INIT_FAIL=1 makes it fail its initialisation.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

var base = "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"

func post(path string, body []byte, h map[string]string) {
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "post:", err)
		os.Exit(2)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

type event struct {
	SleepMs    int    `json:"sleep_ms"`
	Exit       *int   `json:"exit"`
	Fail       string `json:"fail"`
	Stream     int    `json:"stream"`
	PauseMs    int    `json:"pause_ms"`
	StreamFail string `json:"stream_fail"`
	AllocMB    int    `json:"alloc_mb"`
	Log        int    `json:"log"`
	Env        bool   `json:"env"`
	ExitAfter  bool   `json:"exit_after"`
	Stderr     string `json:"stderr"`
	Crash      bool   `json:"crash"`
}

func main() {
	if os.Getenv("FN_INIT_FAIL") == "1" {
		fmt.Println("initialisation is failing on purpose")
		post("/init/error", []byte(`{"errorMessage":"init failed on purpose","errorType":"InitFailed"}`),
			map[string]string{"Lambda-Runtime-Function-Error-Type": "InitFailed"})
		os.Exit(1)
	}
	fmt.Println("init done")
	for {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "next:", err)
			os.Exit(2)
		}
		payload, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		fmt.Printf("handling %s\n", id)
		var ev event
		json.Unmarshal(payload, &ev)
		switch {
		case ev.SleepMs > 0:
			time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
			post("/invocation/"+id+"/response", payload, nil)
		case ev.ExitAfter:
			post("/invocation/"+id+"/response", payload, nil)
			os.Exit(0)
		case ev.Exit != nil:
			fmt.Println("exiting mid-invocation")
			os.Exit(*ev.Exit)
		case ev.Fail != "":
			b, _ := json.Marshal(map[string]any{"errorMessage": ev.Fail, "errorType": "MyError", "stackTrace": []string{}})
			post("/invocation/"+id+"/error", b, map[string]string{"Lambda-Runtime-Function-Error-Type": "MyError"})
		case ev.Stream > 0:
			stream(id, ev)
		case ev.AllocMB > 0:
			b := make([]byte, ev.AllocMB<<20)
			for i := range b {
				b[i] = byte(i)
			}
			post("/invocation/"+id+"/response", []byte(fmt.Sprintf(`{"allocated":%d}`, len(b)>>20)), nil)
		case ev.Log > 0:
			for i := 0; i < ev.Log; i++ {
				fmt.Printf("line %d %s\n", i, strings.Repeat("x", 100))
			}
			post("/invocation/"+id+"/response", []byte(`"logged"`), nil)
		case ev.Crash:
			go func() { panic("boom") }()
			time.Sleep(time.Minute)
		case ev.Stderr != "":
			fmt.Fprint(os.Stderr, ev.Stderr)
			post("/invocation/"+id+"/response", []byte(`"written"`), nil)
		case ev.Env:
			m := map[string]string{"uid": fmt.Sprint(os.Getuid()), "pgid": fmt.Sprint(pgid()), "pid": fmt.Sprint(os.Getpid()),
				"deadline": resp.Header.Get("Lambda-Runtime-Deadline-Ms"), "arn": resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"),
				"trace": resp.Header.Get("Lambda-Runtime-Trace-Id"), "client_context": resp.Header.Get("Lambda-Runtime-Client-Context")}
			if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
				m["cgroup"] = string(b)
			}
			for _, kv := range os.Environ() {
				k, v, _ := strings.Cut(kv, "=")
				m["env:"+k] = v
			}
			b, _ := json.Marshal(m)
			post("/invocation/"+id+"/response", b, nil)
		default:
			post("/invocation/"+id+"/response", payload, nil)
		}
	}
}

func stream(id string, ev event) {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/invocation/"+id+"/response", pr)
	req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
	req.Header.Set("Content-Type", "application/vnd.awslambda.http-integration-response")
	req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	go func() {
		for i := 0; i < ev.Stream; i++ {
			fmt.Fprintf(pw, "chunk %d\n", i)
			time.Sleep(time.Duration(ev.PauseMs) * time.Millisecond)
		}
		if ev.StreamFail != "" {
			req.Trailer.Set("Lambda-Runtime-Function-Error-Type", "StreamFailed")
			req.Trailer.Set("Lambda-Runtime-Function-Error-Body", "eyJlcnJvck1lc3NhZ2UiOiJib29tIn0=")
		}
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
