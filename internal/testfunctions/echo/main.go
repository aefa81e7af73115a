// Command echo is a test function built with aws-lambda-go: it answers
// a function URL request with the event it received, as JSON. Tests build
// it as a provided.al2023 "bootstrap".
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type echo struct {
	Event     events.LambdaFunctionURLRequest `json:"event"`
	RequestID string                          `json:"awsRequestId"`
}

func handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	e := echo{Event: req}
	if lc != nil {
		e.RequestID = lc.AwsRequestID
	}
	b, err := json.Marshal(e)
	if err != nil {
		return events.LambdaFunctionURLResponse{}, err
	}
	return events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"},
		Cookies: []string{"echoed=1; Path=/"}, Body: string(b)}, nil
}

func main() { lambda.Start(handle) }
