package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// AWS's Lambda Runtime Interface Emulator (RIE) is the local alternative
// issue 11 measures fnurl against. When it can be had, the benchmark runs
// it beside fnurl with the same two functions and the same event, so that
// the targets against it are ratios from one interleaved run.

// rieModule is the emulator's command at the version the benchmark builds
// when aws-lambda-rie is not on PATH (Apache-2.0; the build is kept in the
// user's cache directory and only run, never linked into fnurl).
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

const rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// rieInvokePath is where the emulator takes invocations.
const rieInvokePath = "/2015-03-31/functions/function/invocations"

// findRIE returns the emulator's binary for the -rie setting: "off" none,
// a path that binary, "auto" aws-lambda-rie on PATH or else a build of
// rieModule at rieVersion in the user's cache directory. With "auto", a
// failed build is reported on log and gives "" and no error.
func findRIE(setting string, log io.Writer) (string, error) {
	switch setting {
	case "off":
		return "", nil
	case "auto":
	default:
		if _, err := os.Stat(setting); err != nil {
			return "", fmt.Errorf("-rie: %w", err)
		}
		return setting, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "fnurl-bench", "rie-"+rieVersion)
	bin := filepath.Join(dir, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(log, "building the Runtime Interface Emulator (%s@%s)\n", rieModule, rieVersion)
	cmd := exec.Command("go", "install", rieModule+"@"+rieVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	cmd.Dir = os.TempDir() // outside any module: go install of a module at a version
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(log, "no Runtime Interface Emulator (%v), so its targets use the issue's figures:\n%s\n", err, trim(string(out), 2000))
		return "", nil
	}
	return bin, nil
}

// freeAddr returns a loopback address no one listened on a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// startEmulator starts the emulator bin with bootstrap as its function, its
// invocation endpoint and Runtime API on free loopback ports, and waits
// until it answers payload with 200 (which also starts the function).
// Its output goes to logFile.
func startEmulator(name, bin, bootstrap, logFile string, payload []byte) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, addr: addr, endpoint: "http://" + addr}
	hc := &http.Client{Timeout: 5 * time.Second}
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := hc.Post(c.endpoint+rieInvokePath, "application/json", bytes.NewReader(payload))
		if err != nil {
			last = err
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return c, nil
		}
		last = fmt.Errorf("%s: %s", resp.Status, trim(string(body), 200))
	}
	c.stop()
	out, _ := os.ReadFile(logFile)
	return nil, fmt.Errorf("%s did not answer an invocation: %v\n%s", name, last, trim(string(out), 2000))
}

// echoedEvent returns the event fnurl gave the echo function for a
// request, from the echo function's answer ({"event": …, "requestId": …}).
func echoedEvent(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("echo function: %s: %s", resp.Status, trim(string(body), 200))
	}
	var e struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("echo function's answer: %w", err)
	}
	if len(e.Event) == 0 || !strings.HasPrefix(string(e.Event), "{") {
		return nil, errors.New("echo function's answer has no event")
	}
	return e.Event, nil
}

// urlIAMEvent returns the event fnurl gives the echo function for the
// url-iam target's request, which the emulator and the floor are sent so
// that the functions do the same work as behind fnurl.
func (b *bench) urlIAMEvent() ([]byte, error) {
	raw, err := b.signedRequest(b.fx, "GET", b.fx.iamURL, nil, b.fx.userSecret)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", b.fx.server.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	return echoedEvent(resp)
}

// startRIE starts the emulator with the echo and the hello function, both
// sent b.event.
func (b *bench) startRIE(bin, echoBin, helloBin string) error {
	var err error
	if b.rie, err = startEmulator("RIE (echo)", bin, echoBin, filepath.Join(b.tmp, "rie-echo.log"), b.event); err != nil {
		return err
	}
	b.rieHello, err = startEmulator("RIE (hello)", bin, helloBin, filepath.Join(b.tmp, "rie-hello.log"), b.event)
	return err
}
