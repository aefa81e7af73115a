// Command stream is a test function built with aws-lambda-go's lambdaurl:
// an http.Handler whose response streams. It writes "first", flushes,
// waits for the duration given in the "wait" query parameter (default 1s)
// and writes "second". Tests deploy it behind a RESPONSE_STREAM URL.
package main

import (
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambdaurl"
)

func main() {
	lambdaurl.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wait, err := time.ParseDuration(r.URL.Query().Get("wait"))
		if err != nil {
			wait = time.Second
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Streamed", "yes")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("first\n"))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(wait)
		w.Write([]byte("second\n"))
	}))
}
