// Package awsclient finds AWS credentials and settings the way the aws CLI
// and SDKs do, for fnurl's own client commands: environment variables
// first, then the shared credentials and config files for the selected
// profile.
package awsclient

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fnurl/fnurl/internal/sigv4"
)

// Settings are what a client command needs besides the request.
type Settings struct {
	Credentials sigv4.Credentials
	Region      string
	Endpoint    string // endpoint_url or AWS_ENDPOINT_URL, if any
	Profile     string
	Source      string // where the credentials came from, for messages
}

// Options select a profile and override settings.
type Options struct {
	Profile  string // --profile; "" means AWS_PROFILE or "default"
	Region   string // --region
	Endpoint string // --endpoint-url
	Getenv   func(string) string
}

// ErrNoCredentials is returned when no credentials are found.
var ErrNoCredentials = errors.New("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile in ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE)")

// Load resolves credentials, region and endpoint.
func Load(o Options) (*Settings, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	s := &Settings{Profile: o.Profile}
	if s.Profile == "" {
		s.Profile = getenv("AWS_PROFILE")
	}
	explicitProfile := s.Profile != ""
	if s.Profile == "" {
		s.Profile = "default"
	}
	home := getenv("HOME")
	credFile := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credFile == "" && home != "" {
		credFile = filepath.Join(home, ".aws", "credentials")
	}
	confFile := getenv("AWS_CONFIG_FILE")
	if confFile == "" && home != "" {
		confFile = filepath.Join(home, ".aws", "config")
	}
	creds, err := readINI(credFile)
	if err != nil {
		return nil, err
	}
	conf, err := readINI(confFile)
	if err != nil {
		return nil, err
	}
	confSection := conf["profile "+s.Profile]
	if s.Profile == "default" && confSection == nil {
		confSection = conf["default"]
	}

	// Environment credentials win unless a profile was asked for by flag,
	// as in the aws CLI.
	if id := getenv("AWS_ACCESS_KEY_ID"); id != "" && o.Profile == "" {
		s.Credentials = sigv4.Credentials{AccessKeyID: id, SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN")}
		s.Source = "environment"
	} else if sec := creds[s.Profile]; sec != nil && sec["aws_access_key_id"] != "" {
		s.Credentials = sigv4.Credentials{AccessKeyID: sec["aws_access_key_id"], SecretAccessKey: sec["aws_secret_access_key"], SessionToken: sec["aws_session_token"]}
		s.Source = "profile " + s.Profile + " in " + credFile
	} else if confSection != nil && confSection["aws_access_key_id"] != "" {
		s.Credentials = sigv4.Credentials{AccessKeyID: confSection["aws_access_key_id"], SecretAccessKey: confSection["aws_secret_access_key"], SessionToken: confSection["aws_session_token"]}
		s.Source = "profile " + s.Profile + " in " + confFile
	} else if explicitProfile {
		return nil, fmt.Errorf("the profile %q has no credentials in %s or %s", s.Profile, credFile, confFile)
	} else {
		return nil, ErrNoCredentials
	}
	if s.Credentials.SecretAccessKey == "" {
		return nil, fmt.Errorf("credentials from %s have no secret access key", s.Source)
	}

	s.Region = first(o.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), confSection["region"])
	s.Endpoint = first(o.Endpoint, getenv("AWS_ENDPOINT_URL"), confSection["endpoint_url"])
	return s, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// readINI reads an AWS-style INI file into sections of key-value pairs. A
// missing file is empty.
func readINI(path string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cur map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			name := strings.TrimSpace(line[1 : len(line)-1])
			cur = out[name]
			if cur == nil {
				cur = map[string]string{}
				out[name] = cur
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || cur == nil {
			continue
		}
		cur[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return out, sc.Err()
}

// RegionFromHost returns the region of a function URL host name
// (<url-id>.lambda-url.<region>.<domain>), or "".
func RegionFromHost(host string) string {
	parts := strings.Split(strings.ToLower(host), ".")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i+1] == "lambda-url" {
			return parts[i+2]
		}
	}
	return ""
}
