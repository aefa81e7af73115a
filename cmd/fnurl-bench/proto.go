package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fnurl/fnurl/internal/furl"
	"github.com/fnurl/fnurl/internal/http1"
	"github.com/fnurl/fnurl/internal/iampolicy"
	"github.com/fnurl/fnurl/internal/sigv4"
)

// The prototype is the floor with the work of issue 11's prototype added,
// done by fnurl's own packages: each request's head parsed by the front's
// parser (internal/http1), its SigV4 signature verified (internal/sigv4,
// the signing key cached), one identity policy evaluated
// (internal/iampolicy, compiled once), the payload 2.0 event built for it
// (internal/furl, with the AWS_IAM authorizer) and, after the invocation,
// the function's result mapped to the HTTP response. What it leaves out of
// fnurl's path is what the prototype left out: request IDs of
// fnurl's form, the access log, the audit trail, metrics, the function's
// log lines (START, END, REPORT), the lookups of keys, users, functions and
// URLs, and the execution environments' pool. fnurl against the prototype
// is what those cost; the prototype against the floor is what the issue's
// own path costs on this machine.

// floorProtoEnv names a file holding a protoConfig (JSON): the floor then
// serves the prototype.
const floorProtoEnv = "FNURL_BENCH_FLOOR_PROTO"

// protoConfig is what the prototype knows of its one caller and function.
type protoConfig struct {
	KeyID, Secret    string // the caller's access key
	UserARN, UserID  string
	Account          string
	Resource, Policy string // the function's ARN and the caller's identity policy
	URLID            string
}

// proto is the prototype's state.
type proto struct {
	cfg       protoConfig
	v         sigv4.Verifier
	principal iampolicy.Principal
	set       *iampolicy.PolicySet
	ids       atomic.Int64 // request IDs made so far
}

// newProto reads the prototype's configuration from the file named by
// floorProtoEnv.
func newProto(file string) (*proto, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p := &proto{}
	if err := json.Unmarshal(b, &p.cfg); err != nil {
		return nil, fmt.Errorf("prototype: %w", err)
	}
	pol, err := iampolicy.Parse([]byte(p.cfg.Policy))
	if err != nil {
		return nil, fmt.Errorf("prototype: %w", err)
	}
	if p.principal, err = iampolicy.PrincipalFromARN(p.cfg.UserARN); err != nil {
		return nil, fmt.Errorf("prototype: %w", err)
	}
	p.set = &iampolicy.PolicySet{Identity: []iampolicy.NamedPolicy{{Name: "invoke", Policy: pol}}}
	p.v.MaxSkew = 5 * time.Minute
	return p, nil
}

// serveProto answers each request on c as the prototype: authenticated,
// authorized, an event built, one invocation, its result mapped.
func (f *floor) serveProto(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, floorHeadMax)
	head := make([]byte, 0, 1024)
	for {
		head = head[:0]
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			head = append(head, line...)
			if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
				break
			}
		}
		r := http1.ParseHead(head, false)
		if r == nil {
			return
		}
		var body []byte
		if r.ContentLength > 0 {
			if r.ContentLength > 6<<20 {
				return
			}
			body = make([]byte, r.ContentLength)
			if _, err := io.ReadFull(br, body); err != nil {
				return
			}
		}
		r.RemoteAddr = c.RemoteAddr().String()
		if _, err := c.Write(f.proto.serve(f, r, body)); err != nil {
			return
		}
	}
}

// serve answers r.
func (p *proto) serve(f *floor, r *http.Request, body []byte) []byte {
	a, err := sigv4.Parse(r)
	if err == nil && a.AccessKeyID != p.cfg.KeyID {
		err = errors.New("unknown key")
	}
	if err == nil {
		err = p.v.CheckTime(a)
	}
	if err == nil {
		err = a.CheckScope("us-east-1", "lambda")
	}
	if err == nil {
		hash := sigv4.EmptyPayloadHash
		if len(body) > 0 {
			hash = sigv4.PayloadHash(body)
		}
		err = p.v.CheckSignature(r, a, p.cfg.Secret, hash)
	}
	if err != nil {
		return protoResponse(http.StatusForbidden, nil, []byte(`{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}`))
	}
	d := iampolicy.Evaluate(&iampolicy.Request{Principal: p.principal, Action: "lambda:InvokeFunctionUrl", Resource: p.cfg.Resource}, p.set)
	if !d.Allowed() {
		return protoResponse(http.StatusForbidden, nil, []byte(`{"Message":"Forbidden"}`))
	}
	id := fmt.Sprintf("%08x-0000-7000-8000-%012x", time.Now().Unix(), p.ids.Add(1))
	event, err := furl.BuildEvent(&furl.Request{Method: r.Method, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header, Host: r.Host, RemoteAddr: r.RemoteAddr, Body: body, URLID: p.cfg.URLID, RequestID: id, Time: time.Now(),
		IAM: &furl.IAMAuthorizer{AccessKey: a.AccessKeyID, AccountID: p.cfg.Account, CallerID: p.cfg.UserID, UserArn: p.cfg.UserARN, UserID: p.cfg.UserID}})
	if err != nil {
		return protoResponse(http.StatusInternalServerError, nil, []byte(`{"Message":"Internal Server Error"}`))
	}
	m, err := furl.MapResponse(f.invokeWith(event))
	if err != nil {
		return protoResponse(http.StatusBadGateway, nil, []byte(`{"Message":"Internal Server Error"}`))
	}
	return protoResponse(m.Status, m.Header, m.Body)
}

// protoResponse serialises a response with a Content-Length.
func protoResponse(status int, h http.Header, body []byte) []byte {
	b := make([]byte, 0, 256+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	if h.Get("Content-Type") == "" {
		b = append(b, "Content-Type: application/json\r\n"...)
	}
	for k, vs := range h {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// writeProtoConfig writes the prototype's configuration for the function
// resource to file: the bench user's key, identity and policy, taken from
// the event fnurl gave the echo function for url-iam's request (b.event).
func (b *bench) writeProtoConfig(file, resource string) error {
	var ev struct {
		RequestContext struct {
			APIID      string `json:"apiId"`
			Authorizer struct {
				IAM furl.IAMAuthorizer `json:"iam"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(b.event, &ev); err != nil {
		return fmt.Errorf("prototype: the event: %w", err)
	}
	iam := ev.RequestContext.Authorizer.IAM
	if iam.UserArn == "" || ev.RequestContext.APIID == "" {
		return errors.New("prototype: the event has no IAM authorizer or URL ID")
	}
	cfg, err := json.Marshal(protoConfig{KeyID: b.fx.userKey, Secret: b.fx.userSecret, UserARN: iam.UserArn, UserID: iam.UserID,
		Account: iam.AccountID, Resource: resource, Policy: b.fx.policy, URLID: ev.RequestContext.APIID})
	if err != nil {
		return err
	}
	return os.WriteFile(file, cfg, 0o600)
}
