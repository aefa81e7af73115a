package awsclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	conf := filepath.Join(dir, "config")
	os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key = defaultsecret\n\n[dev]\naws_access_key_id=AKIADEV0000000000000\naws_secret_access_key=devsecret\naws_session_token = tok\n"), 0o600)
	os.WriteFile(conf, []byte("[default]\nregion = eu-west-1\n\n[profile dev]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9\n\n[profile conf-only]\naws_access_key_id = AKIACONF000000000000\naws_secret_access_key = confsecret\n"), 0o600)
	base := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": conf}
	tests := []struct {
		name        string
		env         map[string]string
		opts        Options
		wantID      string
		wantToken   string
		wantRegion  string
		wantEndpt   string
		wantErrText string
	}{
		{"default profile", nil, Options{}, "AKIADEFAULT000000000", "", "eu-west-1", "", ""},
		{"env wins", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV0000000000000", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}, Options{}, "AKIAENV0000000000000", "t", "eu-west-1", "", ""},
		{"profile flag beats env", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV0000000000000", "AWS_SECRET_ACCESS_KEY": "s"}, Options{Profile: "dev"}, "AKIADEV0000000000000", "tok", "ap-south-1", "http://127.0.0.1:9", ""},
		{"AWS_PROFILE", map[string]string{"AWS_PROFILE": "dev"}, Options{}, "AKIADEV0000000000000", "tok", "ap-south-1", "http://127.0.0.1:9", ""},
		{"region flag", nil, Options{Region: "us-west-2"}, "AKIADEFAULT000000000", "", "us-west-2", "", ""},
		{"region env", map[string]string{"AWS_REGION": "ca-central-1"}, Options{}, "AKIADEFAULT000000000", "", "ca-central-1", "", ""},
		{"keys in config", nil, Options{Profile: "conf-only"}, "AKIACONF000000000000", "", "", "", ""},
		{"unknown profile", nil, Options{Profile: "nope"}, "", "", "", "", `profile "nope" has no credentials`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			tt.opts.Getenv = func(k string) string { return env[k] }
			s, err := Load(tt.opts)
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("Load = %v, want error containing %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Credentials.AccessKeyID != tt.wantID || s.Credentials.SessionToken != tt.wantToken || s.Region != tt.wantRegion || s.Endpoint != tt.wantEndpt {
				t.Errorf("Load = %+v", s)
			}
		})
	}
	// No files and no environment.
	_, err := Load(Options{Getenv: func(k string) string { return map[string]string{"HOME": t.TempDir()}[k] }})
	if err != ErrNoCredentials {
		t.Errorf("no credentials: %v", err)
	}
}

func TestRegionFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws": "eu-west-1",
		"x.lambda-url.us-east-1.example.com":                           "us-east-1",
		"127.0.0.1":                                                    "",
		"lambda-url.us-east-1":                                         "",
	} {
		if got := RegionFromHost(host); got != want {
			t.Errorf("RegionFromHost(%q) = %q, want %q", host, got, want)
		}
	}
}
