// Command hello is the walkthrough's function in Go, built with
// aws-lambda-go: it answers every function URL request with
// "Hello from Lambda!", as Lambda's Node.js hello template does. The
// benchmark command runs it as a provided.al2023 "bootstrap" next to the
// heavier echo function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	return events.LambdaFunctionURLResponse{StatusCode: 200, Body: `"Hello from Lambda!"`}, nil
}

func main() { lambda.Start(handle) }
