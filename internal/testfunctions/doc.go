// Package testfunctions holds Lambda functions that fnurl's tests build
// and deploy: real programs built with aws-lambda-go, run by the sandbox
// as provided.al2023 bootstraps. Nothing here is part of the fnurl binary.
package testfunctions
