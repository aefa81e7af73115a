package iam

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fnurl/fnurl/internal/awserr"
	"github.com/fnurl/fnurl/internal/keyring"
)

// Setting names.
const (
	settingAccountID   = "account_id"
	settingMasterCheck = "master_key_check"
	settingCreated     = "account_created"
)

// Keyring purposes.
const (
	purposeAccessKey   = "access-key-secret"
	purposeMasterCheck = "master-key-check"
)

// Config configures Open.
type Config struct {
	// AccountID is the account's 12-digit ID. Empty means: the ID stored in
	// the data directory, or a new random one on first start. A value that
	// differs from the stored one is refused, since every ARN depends on it.
	AccountID string
	// RootAccessKeyID and RootSecretAccessKey set the root user's
	// credentials. When both are empty, the stored root key is used, or a
	// new one is generated on first start.
	RootAccessKeyID     string
	RootSecretAccessKey string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Service is the IAM domain service.
type Service struct {
	store   Store
	keys    *keyring.Keyring
	account string
	created time.Time
	now     func() time.Time
	use     keyUse
	opened  openedSecrets
}

// openedSecrets remembers the secrets of access keys opened for signed
// requests, by key ID, with the sealed secret they were opened from: those
// always open to the same secret (or to none), and a key that is deleted or deactivated is refused
// by its record, read before its secret is looked up here.
type openedSecrets struct {
	mu sync.Mutex
	m  map[string]openedKey // by key ID
}

// openedKey is an access key's secret, opened from sealed, and the ARN of
// its user (when named userName, at userPath), kept so that a signed
// request does not build it again.
type openedKey struct {
	sealed, secret     string
	userName, userPath string
	arn                string
}

// maxOpenedSecrets bounds openedSecrets; a full map is emptied.
const maxOpenedSecrets = 4096

// RootCredentials are the root user's long-term credentials.
type RootCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// LogValue shows only the key ID.
func (c RootCredentials) LogValue() slog.Value { return slog.StringValue(c.AccessKeyID) }

// Open prepares the account in store: it checks that keys is the master key
// the store was created with, settles the account ID and the root access
// key. generated is non-nil when Open created new root credentials, which the
// caller must show to the operator once.
func Open(ctx context.Context, store Store, keys *keyring.Keyring, cfg Config) (s *Service, generated *RootCredentials, err error) {
	s = &Service{store: store, keys: keys, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.checkMasterKey(ctx); err != nil {
		return nil, nil, err
	}
	if cfg.AccountID != "" && !ValidAccountID(cfg.AccountID) {
		return nil, nil, fmt.Errorf("account ID %q is not 12 digits", cfg.AccountID)
	}
	want := cfg.AccountID
	if want == "" {
		want = NewAccountID()
	}
	s.account, err = store.InitSetting(ctx, settingAccountID, want)
	if err != nil {
		return nil, nil, fmt.Errorf("account ID: %w", err)
	}
	if cfg.AccountID != "" && s.account != cfg.AccountID {
		return nil, nil, fmt.Errorf("account ID %s was requested, but this data directory belongs to account %s", cfg.AccountID, s.account)
	}
	created, err := store.InitSetting(ctx, settingCreated, s.now().UTC().Format(time.RFC3339))
	if err != nil {
		return nil, nil, fmt.Errorf("account creation time: %w", err)
	}
	if s.created, err = time.Parse(time.RFC3339, created); err != nil {
		return nil, nil, fmt.Errorf("account creation time %q: %w", created, err)
	}
	generated, err = s.settleRootKey(ctx, cfg.RootAccessKeyID, cfg.RootSecretAccessKey)
	if err != nil {
		return nil, nil, err
	}
	return s, generated, nil
}

// checkMasterKey fails when the store's data was sealed under another key.
func (s *Service) checkMasterKey(ctx context.Context) error {
	canary, err := s.keys.Seal(purposeMasterCheck, nil, []byte("fnurl"))
	if err != nil {
		return err
	}
	stored, err := s.store.InitSetting(ctx, settingMasterCheck, string(canary))
	if err != nil {
		return fmt.Errorf("master key check: %w", err)
	}
	if _, err := s.keys.Open(purposeMasterCheck, nil, []byte(stored)); err != nil {
		return errors.New("the master key does not match the one this data directory was created with (check FNURL_MASTER_KEY or the master key file)")
	}
	return nil
}

func (s *Service) settleRootKey(ctx context.Context, id, secret string) (*RootCredentials, error) {
	if (id == "") != (secret == "") {
		return nil, errors.New("root credentials: set both FNURL_ROOT_ACCESS_KEY_ID and FNURL_ROOT_SECRET_ACCESS_KEY, or neither")
	}
	if id != "" {
		if !ValidAccessKeyID(id) {
			return nil, fmt.Errorf("root access key ID must be 16 to 128 letters and digits")
		}
		if len(secret) < 16 {
			return nil, fmt.Errorf("root secret access key must be at least 16 characters")
		}
		if same, err := s.rootKeyIs(ctx, id, secret); same || err != nil {
			return nil, err
		}
		if err := s.putRootKey(ctx, id, secret); err != nil {
			// Nodes sharing a store may start together: another one
			// stored the same key first.
			if same, _ := s.rootKeyIs(ctx, id, secret); same {
				return nil, nil
			}
			return nil, err
		}
		return nil, nil
	}
	if _, err := s.store.RootAccessKey(ctx); err == nil {
		return nil, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	c := &RootCredentials{AccessKeyID: NewAccessKeyID(PrefixAccessKey), SecretAccessKey: NewSecretAccessKey()}
	k, err := s.sealRootKey(c.AccessKeyID, c.SecretAccessKey)
	if err != nil {
		return nil, err
	}
	// Created only if there is none: nodes sharing a store may start
	// together, and the one that stores its key first wins; the others
	// show none (replacing it would void the credentials the first one
	// showed).
	if err := s.store.CreateRootAccessKey(ctx, k); err != nil {
		if errors.Is(err, ErrExists) {
			return nil, nil
		}
		return nil, fmt.Errorf("store root access key: %w", err)
	}
	return c, nil
}

// rootKeyIs reports whether the stored root access key is id with secret.
func (s *Service) rootKeyIs(ctx context.Context, id, secret string) (bool, error) {
	cur, err := s.store.RootAccessKey(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case cur.ID != id:
		return false, nil
	}
	old, err := s.openSecret(cur)
	return err == nil && subtle.ConstantTimeCompare([]byte(old), []byte(secret)) == 1, nil
}

// putRootKey makes id and secret the root user's only access key.
func (s *Service) putRootKey(ctx context.Context, id, secret string) error {
	k, err := s.sealRootKey(id, secret)
	if err != nil {
		return err
	}
	if err := s.store.ReplaceRootAccessKey(ctx, k); err != nil {
		return fmt.Errorf("store root access key: %w", err)
	}
	return nil
}

// sealRootKey returns the root access key id with its secret sealed.
func (s *Service) sealRootKey(id, secret string) (*AccessKey, error) {
	sealed, err := s.keys.Seal(purposeAccessKey, []byte(id), []byte(secret))
	if err != nil {
		return nil, err
	}
	return &AccessKey{ID: id, Root: true, Status: StatusActive, Created: s.now().UTC(), SealedSecret: sealed}, nil
}

func (s *Service) openSecret(k *AccessKey) (string, error) {
	e, err := s.openKey(k)
	return e.secret, err
}

// openKey returns k's secret, and its user's ARN unless k is the root
// key, from openedSecrets when they hold them for k's sealed secret and
// user.
func (s *Service) openKey(k *AccessKey) (openedKey, error) {
	o := &s.opened
	o.mu.Lock()
	e, ok := o.m[k.ID]
	o.mu.Unlock()
	if ok && e.sealed == string(k.SealedSecret) && e.userName == k.UserName && e.userPath == k.UserPath {
		return e, nil
	}
	b, err := s.keys.Open(purposeAccessKey, []byte(k.ID), k.SealedSecret)
	if err != nil {
		return openedKey{}, fmt.Errorf("access key %s: %w", k.ID, err)
	}
	e = openedKey{sealed: string(k.SealedSecret), secret: string(b), userName: k.UserName, userPath: k.UserPath}
	if !k.Root {
		e.arn = (&User{Name: k.UserName, Path: k.UserPath}).ARN(s.account)
	}
	o.mu.Lock()
	if o.m == nil || len(o.m) >= maxOpenedSecrets {
		o.m = make(map[string]openedKey)
	}
	o.m[k.ID] = e
	o.mu.Unlock()
	return e, nil
}

// Created returns when the account was created.
func (s *Service) Created() time.Time { return s.created }

// AccountID returns the account's 12-digit ID.
func (s *Service) AccountID() string { return s.account }

// errInvalidToken is what AWS answers for an unknown or inactive key.
var errInvalidToken = awserr.New(awserr.CodeInvalidClientTokenID, http.StatusForbidden,
	"The security token included in the request is invalid")

// Credential returns the secret of the long-term access key id and the
// principal it belongs to. Returns InvalidClientTokenId if the key does not
// exist or is inactive.
func (s *Service) Credential(ctx context.Context, id string) (secret string, p *Principal, err error) {
	k, err := s.store.AccessKey(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", nil, errInvalidToken
	}
	if err != nil {
		return "", nil, err
	}
	if k.Status != StatusActive {
		return "", nil, errInvalidToken
	}
	e, err := s.openKey(k)
	if err != nil {
		return "", nil, err
	}
	if k.Root {
		return e.secret, &Principal{Type: PrincipalAccount, Account: s.account, ARN: RootARN(s.account),
			UserID: s.account, AccessKeyID: k.ID}, nil
	}
	return e.secret, &Principal{Type: PrincipalUser, Account: s.account, ARN: e.arn,
		UserID: k.UserID, UserName: k.UserName, AccessKeyID: k.ID}, nil
}
