package service

// Refreshing an OAuth account's access token
//
// An account connected through OAuth stores, sealed, its access token, its refresh token
// and when the access token expires (oauth.Token.Credentials: access_token,
// refresh_token, expires_at in Unix seconds). Before each call to the platform, a token
// that expires within refreshMargin is refreshed first; and a call the platform answers
// with TokenRejected (a 401) is retried once after a refresh, for a token revoked or
// expired early. The publish then goes on with the new token.
//
// The refresh token is spent by the refresh on platforms that rotate it (X): the old one
// dies the moment the platform answers. So the refresh runs in a transaction holding the
// account's row (GetAccountForUpdate), and the new tokens are stored in that same
// transaction, before they are used: two jobs or two instances refreshing one account
// queue on the row, and the second, once it holds it, finds the credentials the first
// stored (a different access token than the one it had) and uses them instead of
// spending a dead refresh token. The transaction is detached from the job's context
// (bounded by recordTimeout instead): a job stopped mid-refresh must still store what the
// platform granted, or the account would be left with a spent refresh token.
//
// That holds a row on PostgreSQL, but a transaction on SQLite holds the whole database's
// one write lock (Store.LocksDatabase), and a slow token endpoint would stall every write
// of the server. SQLite is embedded in one process, so there the refreshes of an account
// are serialized by a lock in the process instead, the platform is awaited outside any
// transaction, and the new credentials are stored in a short one afterwards, unless the
// account was connected again meanwhile (its new credentials win) or deleted.
//
// Only the token endpoint's invalid_grant (TokenRejected from oauth.Client.Refresh) means
// the account must be connected again: it reaches the publish as the send's error, and
// the engine's existing path (recordSend) fails the platform, marks the account inactive
// and records account.disconnected. A 5xx, a 429 or a timeout is Transient: the part goes
// back to pending and the engine retries it as it does any transient failure, with the
// account untouched.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/oauth"
)

// refreshMargin is how long before its expiry an access token is refreshed: longer than a
// publish takes, so a token is never used in its last minutes.
const refreshMargin = 5 * time.Minute

// OAuthRefresher is the refresh grant of a platform's flow (an *oauth.Client has it).
type OAuthRefresher interface {
	Refresh(ctx context.Context, creds platform.Credentials) (oauth.Token, error)
}

// publishFresh sends post through adapter with creds refreshed as needed (see above); a
// refresh leaves *creds the credentials to use from now on. It returns what the adapter
// returns, or the refresh's error as the send's.
func (s *Service) publishFresh(ctx context.Context, account Account, adapter platform.Adapter, creds *platform.Credentials, post platform.Post) (platform.Ref, platform.Credentials, error) {
	fresh, err := s.freshCredentials(ctx, account, *creds, false)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	*creds = fresh
	ref, refreshed, err := adapter.Publish(ctx, fresh, post)
	if platform.KindOf(err) != platform.TokenRejected || !s.refreshable(account.Platform, fresh) || ctx.Err() != nil {
		return ref, refreshed, err
	}
	if refreshed != nil {
		fresh = refreshed
		*creds = refreshed
	}
	rejected := err
	next, err := s.freshCredentials(ctx, account, fresh, true)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	if next["access_token"] == fresh["access_token"] {
		return ref, refreshed, rejected // nothing new to try (no OAuth flow for the platform)
	}
	*creds = next
	return adapter.Publish(ctx, next, post)
}

// refreshable reports whether creds are an OAuth token that can be refreshed.
func (s *Service) refreshable(p Platform, creds platform.Credentials) bool {
	spec, err := s.spec(p)
	return err == nil && oauth.Refreshable(spec, creds)
}

// expiresSoon reports whether creds' access token expires within refreshMargin; a token
// whose expiry is unknown is used until the platform rejects it.
func (s *Service) expiresSoon(creds platform.Credentials) bool {
	at, err := strconv.ParseInt(creds["expires_at"], 10, 64)
	if err != nil {
		return false
	}
	return !s.clock.Now().Add(refreshMargin).Before(time.Unix(at, 0))
}

// freshCredentials returns creds, account's, or the credentials to use instead: refreshed
// at the platform when they expire soon or, with rejected, when the platform has just
// rejected their access token; or those another job stored meanwhile.
func (s *Service) freshCredentials(ctx context.Context, account Account, creds platform.Credentials, rejected bool) (platform.Credentials, error) {
	if !s.refreshable(account.Platform, creds) || (!rejected && !s.expiresSoon(creds)) {
		return creds, nil
	}
	refresher, err := s.refresher(account.Platform)
	if err != nil {
		return nil, err
	}
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if s.store.LocksDatabase() {
		unlock := s.refreshes.lock(account.ID)
		defer unlock()
		return s.refreshUnlocked(txCtx, account, creds, refresher)
	}
	fresh := creds
	err = s.store.InTx(txCtx, func(tx Store) error {
		current, err := tx.GetAccountForUpdate(txCtx, account.Scope, account.ID)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted meanwhile: the send goes on as it would have
		}
		if err != nil {
			return err
		}
		stored, err := s.AccountCredentials(txCtx, current)
		if err != nil {
			return err
		}
		if s.refreshedMeanwhile(creds, stored) {
			fresh = stored // another job refreshed first: its token, not a spent refresh token
			return nil
		}
		next, sealed, err := s.refreshAt(txCtx, refresher, stored)
		if err != nil {
			return err
		}
		current.Credentials = sealed
		if err := tx.UpdateAccount(txCtx, current); err != nil {
			return err
		}
		fresh = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return fresh, nil
}

// refreshUnlocked is the refresh for a database whose transactions hold all of it
// (SQLite): the caller holds the account's lock in this process (the only one using
// the database), so the platform's answer is awaited outside any transaction, and the new
// credentials are stored in a short one, unless the account was connected again or
// deleted meanwhile.
func (s *Service) refreshUnlocked(ctx context.Context, account Account, creds platform.Credentials, refresher OAuthRefresher) (platform.Credentials, error) {
	current, err := s.store.GetAccount(ctx, account.Scope, account.ID)
	if errors.Is(err, ErrNotFound) {
		return creds, nil
	}
	if err != nil {
		return nil, err
	}
	stored, err := s.AccountCredentials(ctx, current)
	if err != nil {
		return nil, err
	}
	if s.refreshedMeanwhile(creds, stored) {
		return stored, nil
	}
	next, sealed, err := s.refreshAt(ctx, refresher, stored)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		now, err := tx.GetAccountForUpdate(ctx, account.Scope, account.ID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(now.Credentials, current.Credentials) {
			return nil // connected again meanwhile: its new credentials stay
		}
		now.Credentials = sealed
		return tx.UpdateAccount(ctx, now)
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// refreshedMeanwhile reports whether stored credentials are fresher than the ones a job
// started with: another job refreshed them, and its token is to be used rather than a
// refresh token it has spent.
func (s *Service) refreshedMeanwhile(had, stored platform.Credentials) bool {
	return stored["access_token"] != had["access_token"] && !s.expiresSoon(stored)
}

// refreshAt refreshes stored credentials at the platform and returns them renewed, in
// the clear and sealed.
func (s *Service) refreshAt(ctx context.Context, refresher OAuthRefresher, stored platform.Credentials) (platform.Credentials, []byte, error) {
	tok, err := refresher.Refresh(ctx, stored)
	if err != nil {
		return nil, nil, err
	}
	next := maps.Clone(stored)
	delete(next, "expires_at")
	maps.Copy(next, tok.Credentials())
	sealed, err := s.seal(next)
	if err != nil {
		return nil, nil, err
	}
	return next, sealed, nil
}

// keyedMutex serializes work per key (an account id) within the process.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu      sync.Mutex
	waiters int
}

// lock waits for key's lock and returns its unlock.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.waiters++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.waiters--; l.waiters == 0 {
			delete(k.locks, key) // the map holds only keys in use
		}
		k.mu.Unlock()
	}
}

// refresher returns p's refresh grant.
func (s *Service) refresher(p Platform) (OAuthRefresher, error) {
	if s.config.OAuth.Provider == nil {
		return nil, fmt.Errorf("no OAuth provider is configured to refresh %s tokens", p)
	}
	provider, err := s.config.OAuth.Provider(p)
	if err != nil {
		return nil, fmt.Errorf("refreshing %s tokens: %w", p, err)
	}
	refresher, ok := provider.(OAuthRefresher)
	if !ok {
		return nil, fmt.Errorf("refreshing %s tokens is not supported", p)
	}
	return refresher, nil
}
