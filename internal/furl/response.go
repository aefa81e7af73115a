package furl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Response is the HTTP answer a function's result maps to.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

var errBadResponse = errors.New("function returned an invalid response")

// MapResponse turns a buffered function result into the HTTP response, as
// function URLs (payload format 2.0) do: an object with statusCode is a
// structured response; any other JSON value is sent with status 200 as
// compact JSON, except a string, which is sent without its quotes.
func MapResponse(payload []byte) (*Response, error) {
	payload = bytes.TrimSpace(payload)
	if !json.Valid(payload) {
		return nil, errBadResponse
	}
	resp := &Response{Status: http.StatusOK, Header: http.Header{}}
	resp.Header.Set("Content-Type", "application/json")
	var obj map[string]json.RawMessage
	if payload[0] == '{' && json.Unmarshal(payload, &obj) == nil {
		if sc, ok := obj["statusCode"]; ok {
			return structured(obj, sc)
		}
	}
	if payload[0] == '"' {
		var s string
		if err := json.Unmarshal(payload, &s); err != nil {
			return nil, errBadResponse
		}
		resp.Body = []byte(s)
		return resp, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, payload); err != nil {
		return nil, errBadResponse
	}
	resp.Body = buf.Bytes()
	return resp, nil
}

func structured(obj map[string]json.RawMessage, sc json.RawMessage) (*Response, error) {
	resp := &Response{Header: http.Header{}}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(sc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errBadResponse
	}
	switch x := v.(type) {
	case json.Number:
		n = x
	case string:
		n = json.Number(x)
	default:
		return nil, errBadResponse
	}
	status, err := strconv.Atoi(string(n))
	if err != nil || status < 100 || status > 599 {
		return nil, errBadResponse
	}
	resp.Status = status
	if raw, ok := obj["headers"]; ok && string(raw) != "null" {
		var hs map[string]any
		if err := json.Unmarshal(raw, &hs); err != nil {
			return nil, errBadResponse
		}
		for k, v := range hs {
			switch x := v.(type) {
			case string:
				resp.Header.Set(k, x)
			case float64, bool:
				b, _ := json.Marshal(x)
				resp.Header.Set(k, string(b))
			default:
				return nil, errBadResponse
			}
		}
	}
	if raw, ok := obj["cookies"]; ok && string(raw) != "null" {
		var cs []string
		if err := json.Unmarshal(raw, &cs); err != nil {
			return nil, errBadResponse
		}
		for _, c := range cs {
			resp.Header.Add("Set-Cookie", c)
		}
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	var b64 bool
	if raw, ok := obj["isBase64Encoded"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, errBadResponse
		}
	}
	if raw, ok := obj["body"]; ok && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if b64 {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, errBadResponse
				}
				resp.Body = b
			} else {
				resp.Body = []byte(s)
			}
		} else {
			// A body that is a JSON value other than a string is sent as
			// compact JSON.
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, errBadResponse
			}
			resp.Body = buf.Bytes()
		}
	}
	return resp, nil
}
