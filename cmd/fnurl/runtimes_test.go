package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestFunctionLifecycleEveryRuntime creates, invokes, updates, invokes
// again and deletes a function in each runtime family through the Lambda
// API: a Go bootstrap built with aws-lambda-go, a Node.js handler and a
// Python handler.
func TestFunctionLifecycleEveryRuntime(t *testing.T) {
	requireTool(t, "node")
	requireTool(t, "python3")
	echo, err := echoPackage()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	id, secret := rootCreds(t, dir)
	ctx := context.Background()
	_, lc, role := rootLambda(t, ts, id, secret)

	node := func(greeting string) []byte {
		return zipOf(t, map[string]string{"index.mjs": `export const handler = async (event) => ({greeting: "` + greeting + `", name: event.name});`})
	}
	python := func(greeting string) []byte {
		return zipOf(t, map[string]string{"lambda_function.py": "def lambda_handler(event, context):\n    return {'greeting': '" + greeting +
			"', 'name': event['name'], 'request': context.aws_request_id}\n"})
	}
	tests := []struct {
		name, runtime, handler string
		v1, v2                 []byte
		want1, want2           string
	}{
		{"node", "nodejs20.x", "index.handler", node("hello"), node("bonjour"), `"greeting":"hello"`, `"greeting":"bonjour"`},
		{"python", "python3.11", "lambda_function.lambda_handler", python("hello"), python("hola"), `"greeting": "hello"`, `"greeting": "hola"`},
		// The Go function echoes its event: version 2 is the same binary
		// with an environment variable, to show an update reaches new
		// environments.
		{"go", "provided.al2023", "bootstrap", echo, echo, `"statusCode":200`, `"statusCode":200`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			must(lc.CreateFunction(ctx, &lambdasdk.CreateFunctionInput{FunctionName: aws.String(tt.name), Runtime: types.Runtime(tt.runtime),
				Handler: aws.String(tt.handler), Role: role.Arn, Code: &types.FunctionCode{ZipFile: tt.v1}}))
			out := must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(tt.name), Payload: []byte(`{"name":"ada"}`)}))
			if out.FunctionError != nil || !strings.Contains(string(out.Payload), tt.want1) {
				t.Fatalf("first invoke: %s %v", out.Payload, aws.ToString(out.FunctionError))
			}
			if tt.name != "go" && !strings.Contains(string(out.Payload), "ada") {
				t.Errorf("the event did not reach the handler: %s", out.Payload)
			}
			must(lc.UpdateFunctionCode(ctx, &lambdasdk.UpdateFunctionCodeInput{FunctionName: aws.String(tt.name), ZipFile: tt.v2}))
			if tt.name == "go" {
				must(lc.UpdateFunctionConfiguration(ctx, &lambdasdk.UpdateFunctionConfigurationInput{FunctionName: aws.String(tt.name),
					Environment: &types.Environment{Variables: map[string]string{"V": "2"}}}))
			}
			out = must(lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(tt.name), Payload: []byte(`{"name":"ada"}`)}))
			if out.FunctionError != nil || !strings.Contains(string(out.Payload), tt.want2) {
				t.Fatalf("invoke after the update: %s %v", out.Payload, aws.ToString(out.FunctionError))
			}
			must(lc.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String(tt.name)}))
			if _, err := lc.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String(tt.name)}); apiCode(err) != "ResourceNotFoundException" {
				t.Errorf("invoke after delete: %v", err)
			}
		})
	}
}
