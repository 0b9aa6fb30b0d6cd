package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service/apikey"
	"github.com/octopost/octopost/service/id"
)

// ErrUnauthenticated means the request's key is missing, malformed, unknown or revoked.
// Callers never learn which: they all get the same 401.
var ErrUnauthenticated = errors.New("invalid or expired API key")

// lastUsedGranularity bounds how often a key's last_used_at is written: at most once a
// minute per key, so authentication stays one read on almost every request.
const lastUsedGranularity = time.Minute

// ParsePermissions checks permission names (as given to the CLI) and removes repeats.
func ParsePermissions(names []string) ([]Permission, error) {
	var out []Permission
	seen := map[Permission]bool{}
	for _, n := range names {
		p := Permission(strings.TrimSpace(n))
		if !p.Valid() {
			return nil, &Error{Kind: KindValidation, Message: fmt.Sprintf("unknown permission %q (valid: %s)", n, joinPermissions()),
				Fields: []FieldError{{Field: "permissions", Message: "unknown permission " + string(p)}}}
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

func joinPermissions() string {
	names := make([]string, len(Permissions))
	for i, p := range Permissions {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// CreateAPIKey issues a key for the user with this email (the operator CLI's way):
// CreateUserAPIKey for the user it names.
func (s *Service) CreateAPIKey(ctx context.Context, email, name string, mode Mode, perms []Permission) (APIKey, string, error) {
	if err := checkAPIKey(name, mode, perms); err != nil {
		return APIKey{}, "", err
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return APIKey{}, "", err
	}
	return s.CreateUserAPIKey(ctx, u.ID, name, mode, perms)
}

// CreateUserAPIKey issues a key for the user. The returned secret is the only copy: the
// store keeps just its hash.
func (s *Service) CreateUserAPIKey(ctx context.Context, userID, name string, mode Mode, perms []Permission) (APIKey, string, error) {
	if err := checkAPIKey(name, mode, perms); err != nil {
		return APIKey{}, "", err
	}
	gen, err := apikey.Generate(mode)
	if err != nil {
		return APIKey{}, "", err
	}
	k := APIKey{
		ID: id.New(id.APIKey), UserID: userID, Name: strings.TrimSpace(name), Mode: mode, Permissions: perms,
		Hash: gen.Hash, Hint: gen.Hint, CreatedAt: s.clock.Now(),
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", err
	}
	return k, gen.Secret, nil
}

// APIKeyNameMaxLength bounds a key's name, in characters. Keys are made by the CLI and
// the dashboard, not through the API, so this rule is the service's own.
const APIKeyNameMaxLength = 100

// checkAPIKey checks a new key's name, mode and permissions, all at once.
func checkAPIKey(name string, mode Mode, perms []Permission) error {
	var problems Problems
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > APIKeyNameMaxLength {
		problems.Add("name", "must be 1 to %d characters", APIKeyNameMaxLength)
	}
	if !mode.Valid() {
		problems.Add("mode", "must be live or test")
	}
	for _, p := range perms {
		if !p.Valid() {
			problems.Add("permissions", "unknown permission %q", p)
		}
	}
	return problems.Err()
}

// ListAPIKeys returns the keys of the user with this email (the operator CLI's way).
func (s *Service) ListAPIKeys(ctx context.Context, email string) ([]APIKey, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.ListUserAPIKeys(ctx, u.ID)
}

// ListUserAPIKeys returns the user's keys, newest first, revoked ones included.
func (s *Service) ListUserAPIKeys(ctx context.Context, userID string) ([]APIKey, error) {
	return s.store.ListAPIKeys(ctx, userID)
}

// RevokeUserAPIKey revokes one of the user's keys: NotFound("API key") for an id the user
// has no key with, another user's included. Revoking it again is harmless. Like
// RevokeAPIKey, it takes effect on every server from its next request.
func (s *Service) RevokeUserAPIKey(ctx context.Context, userID, keyID string) (APIKey, error) {
	k, err := s.store.RevokeUserAPIKey(ctx, userID, keyID, s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return APIKey{}, NotFound("API key")
	}
	return k, err
}

// RevokeAPIKey revokes any user's key by id (the operator CLI's way). Every server sharing the database refuses it from its
// next request on, since authentication reads the key's row on every request.
func (s *Service) RevokeAPIKey(ctx context.Context, keyID string) (APIKey, error) {
	k, err := s.store.RevokeAPIKey(ctx, keyID, s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return APIKey{}, NotFound("API key " + keyID)
	}
	return k, err
}

// Authenticate returns the live key behind secret, or ErrUnauthenticated. A malformed key
// is refused without touching the database; a well-formed one costs one indexed read.
func (s *Service) Authenticate(ctx context.Context, secret string) (APIKey, error) {
	k, result, err := s.authenticate(ctx, secret)
	s.observer().KeyCheck(result)
	return k, err
}

func (s *Service) authenticate(ctx context.Context, secret string) (APIKey, KeyCheckResult, error) {
	mode, err := apikey.Parse(secret)
	if err != nil {
		return APIKey{}, KeyMalformed, ErrUnauthenticated
	}
	k, err := s.store.GetAPIKeyByHash(ctx, apikey.Hash(secret))
	if errors.Is(err, ErrNotFound) {
		return APIKey{}, KeyUnknown, ErrUnauthenticated
	}
	if err != nil {
		return APIKey{}, KeyError, err
	}
	if k.RevokedAt != nil || k.Mode != mode {
		return APIKey{}, KeyRevoked, ErrUnauthenticated
	}
	now := s.clock.Now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedGranularity {
		if err := s.store.TouchAPIKey(ctx, k.ID, now, lastUsedGranularity); err != nil {
			return APIKey{}, KeyError, fmt.Errorf("record key use: %w", err)
		}
		k.LastUsedAt = &now
	}
	return k, KeyValid, nil
}
