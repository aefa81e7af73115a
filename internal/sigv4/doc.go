// Package sigv4 verifies and creates AWS Signature Version 4 signatures.
package sigv4
