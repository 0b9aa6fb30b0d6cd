package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/octopost/octopost/service/apikey"
	"github.com/octopost/octopost/service/id"
)

// ErrUnauthenticated means the request's key is missing, malformed, unknown or revoked.
// Callers never learn which: they all get the same 401.
var ErrUnauthenticated = errors.New("invalid or expired API key")

// lastUsedGranularity bounds how often a key's last_used_at is written: at most once a
// minute per key, so authentication stays one read on almost every request.
const lastUsedGranularity = time.Minute

// CreateUser adds a user with the given email address.
func (s *Service) CreateUser(ctx context.Context, email string) (User, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return User{}, &Error{Kind: KindValidation, Message: fmt.Sprintf("%q is not a valid email address", email),
			Fields: []FieldError{{Field: "email", Message: "must be a plain email address"}}}
	}
	u := User{ID: id.New(id.User), Email: strings.ToLower(email), CreatedAt: s.clock.Now()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return User{}, Conflict("a user with email %s already exists", u.Email)
		}
		return User{}, err
	}
	return u, nil
}

func (s *Service) userByEmail(ctx context.Context, email string) (User, error) {
	u, err := s.store.GetUserByEmail(ctx, strings.ToLower(email))
	if errors.Is(err, ErrNotFound) {
		return User{}, NotFound("User " + email)
	}
	return u, err
}

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

// CreateAPIKey issues a key for the user with this email. The returned secret is the only
// copy: the store keeps just its hash.
func (s *Service) CreateAPIKey(ctx context.Context, email, name string, mode Mode, perms []Permission) (APIKey, string, error) {
	var problems Problems
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		problems.Add("name", "must be 1 to 100 characters")
	}
	if !mode.Valid() {
		problems.Add("mode", "must be live or test")
	}
	for _, p := range perms {
		if !p.Valid() {
			problems.Add("permissions", "unknown permission %q", p)
		}
	}
	if err := problems.Err(); err != nil {
		return APIKey{}, "", err
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return APIKey{}, "", err
	}
	gen, err := apikey.Generate(mode)
	if err != nil {
		return APIKey{}, "", err
	}
	k := APIKey{
		ID: id.New(id.APIKey), UserID: u.ID, Name: name, Mode: mode, Permissions: perms,
		Hash: gen.Hash, Hint: gen.Hint, CreatedAt: s.clock.Now(),
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", err
	}
	return k, gen.Secret, nil
}

// ListAPIKeys returns the user's keys, newest first, revoked ones included.
func (s *Service) ListAPIKeys(ctx context.Context, email string) ([]APIKey, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, u.ID)
}

// RevokeAPIKey revokes a key by id. Every server sharing the database refuses it from its
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
