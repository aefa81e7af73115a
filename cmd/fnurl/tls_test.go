package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fnurl test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSAndSecureTransport(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	dir := t.TempDir()
	ts := startServer(t, dir, map[string]string{"FNURL_TLS_CERT": certFile, "FNURL_TLS_KEY": keyFile})
	if !strings.HasPrefix(ts.Endpoint, "https://") {
		t.Fatalf("endpoint %s is not https", ts.Endpoint)
	}
	id, secret := rootCreds(t, dir)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	client := func(id, secret string) *iamsdk.Client {
		return iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Endpoint), HTTPClient: hc, RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	}
	ctx := context.Background()
	root := client(id, secret)
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("sec")}))
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("sec"), PolicyName: aws.String("tls-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`)}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("sec")})).AccessKey
	// Over TLS, aws:SecureTransport is true and the condition holds.
	must(client(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)).ListUsers(ctx, &iamsdk.ListUsersInput{}))

	// Without TLS (another server on the same data), the same call is denied.
	ts.Stop(t)
	plain := startServer(t, dir, nil)
	pc := iamsdk.New(iamsdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(plain.Endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")})
	if _, err := pc.ListUsers(ctx, &iamsdk.ListUsersInput{}); apiCode(err) != "AccessDenied" {
		t.Errorf("over plain HTTP: %v, want AccessDenied", err)
	}
}
