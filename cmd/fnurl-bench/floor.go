package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/fnurl/fnurl/internal/rawconn"
)

// The floor is what invoking a function through the Lambda Runtime API
// costs on this machine whatever the server does: a minimal server that
// answers each request on its address with one invocation of the function,
// sent a fixed event, and returns the function's result as it is. No
// authentication, no event built per request, no response mapping, no logs,
// no audit: only the two requests a runtime makes per invocation (the
// result's POST and the next GET) and their answers, over the same
// loopback TCP as fnurl's, read and written with the same raw system calls
// (internal/rawconn) and on one P, as fnurl's server runs while one request
// at a time is in flight. fnurl's invocation latency against the floor's
// is what its own work costs; the floor against the hello server is what
// the Runtime API and the function's runtime cost.

// Environment variables of the floor's child process (see serveFloor).
const (
	floorEnv          = "FNURL_BENCH_FLOOR"           // "1": serve the floor
	floorBootstrapEnv = "FNURL_BENCH_FLOOR_BOOTSTRAP" // the function's bootstrap
	floorEventEnv     = "FNURL_BENCH_FLOOR_EVENT"     // a file holding the event
)

// floorHeadMax bounds a request's head on either side of the floor.
const floorHeadMax = 16 << 10

// serveFloor runs the floor: it starts the bootstrap with a Runtime API
// of its own, then serves HTTP/1.1 requests on a loopback address (printed
// on standard output) one invocation at a time, as the emulator does. It
// runs on one P and gives the function the environment fnurl gives a provided runtime's
// (GOMAXPROCS=1 for 128 MB, its sysmon kept awake).
func serveFloor() error {
	runtime.GOMAXPROCS(1)
	event, err := os.ReadFile(os.Getenv(floorEventEnv))
	if err != nil {
		return err
	}
	f := &floor{event: event, next: make(chan net.Conn), results: make(chan []byte)}
	serve := f.serveClient
	if file := os.Getenv(floorProtoEnv); file != "" {
		if f.proto, err = newProto(file); err != nil {
			return err
		}
		serve = f.serveProto
	}
	api, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bootstrap := os.Getenv(floorBootstrapEnv)
	cmd := exec.Command(bootstrap)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+api.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=floor", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "_HANDLER=bootstrap",
		"GOMAXPROCS=1", "GODEBUG=schedtrace=2147483647")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		err := cmd.Wait()
		fmt.Fprintln(os.Stderr, "floor: the function exited:", err)
		os.Exit(1)
	}()
	go f.acceptRuntime(api)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("floor serving at http://%s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go serve(rawconn.Wrap(c))
	}
}

// floor is the floor's state: the runtime's connection waiting in GET
// /next, and the results it posts.
type floor struct {
	mu      sync.Mutex // one invocation at a time
	event   []byte
	id      int
	next    chan net.Conn // a runtime connection whose GET /next waits for an event
	results chan []byte   // what the runtime posted to …/response or …/error
	proto   *proto        // the prototype's state (proto.go), when it serves the prototype
}

// serveClient answers each request on c with an invocation.
func (f *floor) serveClient(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, floorHeadMax)
	for {
		h, err := readFloorHead(br)
		if err != nil {
			return
		}
		if _, err := readFloorBody(br, h); err != nil {
			return
		}
		result := f.invokeWith(f.event)
		resp := make([]byte, 0, 128+len(result))
		resp = append(resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "...)
		resp = strconv.AppendInt(resp, int64(len(result)), 10)
		resp = append(resp, "\r\n\r\n"...)
		resp = append(resp, result...)
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}

// invokeWith sends event to the runtime's waiting GET /next and returns
// what it posts.
func (f *floor) invokeWith(event []byte) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := <-f.next
	f.id++
	id := strconv.Itoa(f.id)
	b := make([]byte, 0, 512+len(event))
	b = append(b, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: "...)
	b = append(b, id...)
	b = append(b, "\r\nLambda-Runtime-Deadline-Ms: 32503680000000\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:floor\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(event)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, event...)
	if _, err := c.Write(b); err != nil {
		return []byte(`{"errorMessage":"floor: writing the event failed"}`)
	}
	return <-f.results
}

func (f *floor) acceptRuntime(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go f.serveRuntime(rawconn.Wrap(c))
	}
}

// accepted is the Runtime API's answer to a posted result.
const accepted = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"

// serveRuntime reads the runtime's requests on c: a GET /next waits for
// the next invocation, a posted result goes to the invocation waiting for
// it and is answered 202.
func (f *floor) serveRuntime(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		h, err := readFloorHead(br)
		if err != nil {
			return
		}
		body, err := readFloorBody(br, h)
		if err != nil {
			return
		}
		switch {
		case h.method == "GET" && strings.HasSuffix(h.path, "/invocation/next"):
			f.next <- c
		case h.method == "POST" && (strings.HasSuffix(h.path, "/response") || strings.HasSuffix(h.path, "/error")):
			f.results <- body
			if _, err := io.WriteString(c, accepted); err != nil {
				return
			}
		default:
			fmt.Fprintf(os.Stderr, "floor: unexpected %s %s: %s\n", h.method, h.path, body)
			os.Exit(1)
		}
	}
}

// floorHead is what the floor reads of a request's head.
type floorHead struct {
	method, path  string
	contentLength int64 // -1 when absent
	chunked       bool
}

// readFloorHead reads a request line and headers, keeping the method, the
// path and how the body is framed.
func readFloorHead(br *bufio.Reader) (floorHead, error) {
	h := floorHead{contentLength: -1}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return h, err
	}
	method, rest, ok1 := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	path, _, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 {
		return h, fmt.Errorf("floor: bad request line %q", line)
	}
	h.method, h.path = string(method), string(path)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return h, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return h, nil
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if h.contentLength, err = strconv.ParseInt(string(v), 10, 64); err != nil || h.contentLength < 0 {
				return h, fmt.Errorf("floor: bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			h.chunked = bytes.EqualFold(v, []byte("chunked"))
		}
	}
}

// readFloorBody reads the body that h frames: Content-Length bytes, or
// chunks up to the last one and its trailers.
func readFloorBody(br *bufio.Reader, h floorHead) ([]byte, error) {
	if !h.chunked {
		if h.contentLength <= 0 {
			return nil, nil
		}
		if h.contentLength > 6<<20 {
			return nil, errors.New("floor: body too long")
		}
		b := make([]byte, h.contentLength)
		_, err := io.ReadFull(br, b)
		return b, err
	}
	var body []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil || n < 0 || int64(len(body))+n > 6<<20 {
			return nil, fmt.Errorf("floor: bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, up to an empty line
				line, err := br.ReadSlice('\n')
				if err != nil {
					return nil, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return body, nil
				}
			}
		}
		start := len(body)
		body = append(body, make([]byte, n)...)
		if _, err := io.ReadFull(br, body[start:]); err != nil {
			return nil, err
		}
		if _, err := br.Discard(2); err != nil { // the chunk's CRLF
			return nil, err
		}
	}
}
