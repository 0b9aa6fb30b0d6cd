package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandbox"
)

// DefaultConnectTimeout bounds how long connecting an account waits for its platform,
// so a platform that never answers cannot hold the caller's request open, when
// Config.ConnectTimeout is zero.
const DefaultConnectTimeout = 35 * time.Second

// EventRenderer produces the API's JSON form of an account or a post. Events carry it as
// their data, so a webhook receives exactly what the API would return for the same
// resource. The api package implements it; the service stays free of API types.
type EventRenderer interface {
	Account(Account) any
	Post(Post) any
}

// AccountInput is an account to connect, as the caller sent it.
type AccountInput struct {
	Platform Platform
	// Simulate is empty when not given.
	Simulate Simulate
	// Credentials holds the request's credential fields that were present, by their JSON
	// names (access_token, instance_url, …).
	Credentials platform.Credentials
}

// credentialFields lists every credential field of the connect request, in the order the
// request schema lists them; problems with them are reported in this order.
var credentialFields = []string{
	"instance_url", "access_token", "identifier", "app_password", "service_url",
	"webhook_url", "bot_token", "channel", "chat_id",
}

// urlFields are the credential fields that hold a URL the server will send requests to.
var urlFields = []string{"instance_url", "service_url", "webhook_url"}

// credentialPlatforms lists the platforms that connect with credentials, in the
// contract's order.
func (s *Service) credentialPlatforms() []Platform {
	var out []Platform
	for _, spec := range s.config.Platforms {
		if !spec.Connect.OAuth && len(spec.Connect.Forms) > 0 {
			out = append(out, Platform(spec.ID))
		}
	}
	return out
}

// simulations are the values Simulate may take.
var simulations = []Simulate{SimulateNone, SimulateTokenExpired, SimulateRateLimited, SimulateServerError}

// ConnectAccount connects an account. In live mode it verifies the credentials with the
// platform, then stores them sealed. In test mode it creates a sandbox account on any
// platform, without credentials. Either way an account.connected event is recorded with it.
func (s *Service) ConnectAccount(ctx context.Context, scope Scope, in AccountInput) (Account, error) {
	if scope.Mode == ModeTest {
		return s.connectSandbox(ctx, scope, in)
	}
	adapter, spec, err := s.checkLiveInput(in)
	if err != nil {
		return Account{}, err
	}
	if s.config.Secrets == nil {
		return Account{}, errors.New("service: no secret key is configured to seal account credentials")
	}
	timeout := s.config.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	connectCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	profile, creds, err := adapter.Connect(connectCtx, in.Credentials)
	if err != nil {
		return Account{}, verificationProblem(in, spec, err)
	}
	saved, err := s.storeConnected(ctx, scope, in.Platform, []connection{{profile, creds}})
	if err != nil {
		return Account{}, err
	}
	return saved[0], nil
}

// connection is an account a platform verified: who it is and the credentials to store.
type connection struct {
	profile platform.Profile
	creds   platform.Credentials
}

// storeConnected stores verified accounts with their sealed credentials and their
// account.connected events, in one transaction. An account the scope already has (the
// same platform identity, Spec.Identity) is updated rather than added: connecting it
// again, with a new token, a new password or after it was disconnected by its platform,
// keeps its id, its posts' history and the presets that name it, and makes it active
// (the reason it was inactive goes with it).
func (s *Service) storeConnected(ctx context.Context, scope Scope, p Platform, conns []connection) ([]Account, error) {
	spec, err := s.spec(p)
	if err != nil {
		return nil, err
	}
	sealed := make([][]byte, len(conns))
	for i, c := range conns {
		if sealed[i], err = s.seal(c.creds); err != nil {
			return nil, err
		}
	}
	var out []Account
	err = s.store.InTx(ctx, func(tx Store) error {
		out = out[:0]
		known, err := s.identities(ctx, tx, scope, spec)
		if err != nil {
			return err
		}
		for i, c := range conns {
			fresh := s.newAccount(scope, p, c.profile)
			fresh.Credentials = sealed[i]
			a, again := known[identity(spec, c.profile, c.creds)]
			if again {
				a.PlatformUserID, a.Username, a.DisplayName, a.AvatarURL = fresh.PlatformUserID, fresh.Username, fresh.DisplayName, fresh.AvatarURL
				a.IsActive, a.InactiveReason, a.Credentials = true, nil, sealed[i]
			} else {
				a = fresh
			}
			event, err := s.accountEvent(EventAccountConnected, a, "")
			if err != nil {
				return err
			}
			if again {
				err = tx.UpdateAccount(ctx, a)
			} else {
				err = tx.CreateAccount(ctx, a)
			}
			if err != nil {
				return err
			}
			if err := s.recordEvent(ctx, tx, event); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// identities returns the scope's live accounts on spec's platform by their identity. An
// account whose credentials cannot be opened (a key rotated away) is left out: it can
// only be replaced by a new one.
func (s *Service) identities(ctx context.Context, tx Store, scope Scope, spec platform.Spec) (map[string]Account, error) {
	accounts, err := tx.ListAccounts(ctx, scope)
	if err != nil {
		return nil, err
	}
	known := make(map[string]Account)
	for _, a := range accounts {
		if a.Platform != Platform(spec.ID) || a.Credentials == nil {
			continue
		}
		var creds platform.Credentials
		if spec.Identity != nil {
			if creds, err = s.AccountCredentials(ctx, a); err != nil {
				continue
			}
		}
		known[identity(spec, platform.Profile{UserID: a.PlatformUserID, Username: a.Username}, creds)] = a
	}
	return known, nil
}

// identity is what tells spec's accounts apart: Spec.Identity, else the platform user id.
func identity(spec platform.Spec, p platform.Profile, creds platform.Credentials) string {
	if spec.Identity != nil {
		return spec.Identity(p, creds)
	}
	return p.UserID
}

// checkLiveInput checks a live connection request and returns the platform's adapter.
func (s *Service) checkLiveInput(in AccountInput) (platform.Adapter, platform.Spec, error) {
	var problems Problems
	if in.Simulate != "" {
		problems.Add("/simulate", "is only for test mode (sandbox accounts); live accounts publish for real")
	}
	spec, ok := s.config.Platforms.Lookup(string(in.Platform))
	switch {
	case !slices.Contains(Platforms, in.Platform):
		problems.Add("/platform", "must be one of %s", joinPlatforms(Platforms))
		return nil, platform.Spec{}, problems.Err()
	case ok && spec.Connect.OAuth:
		problems.Add("/platform", "%s accounts connect through OAuth, with POST /v1/accounts/connect; "+
			"with credentials you can connect %s", in.Platform, joinPlatforms(s.credentialPlatforms()))
		return nil, platform.Spec{}, problems.Err()
	case !ok || len(spec.Connect.Forms) == 0:
		problems.Add("/platform", "%s accounts cannot be connected on this server", in.Platform)
		return nil, platform.Spec{}, problems.Err()
	}
	connect := spec.Connect
	form := connect.Forms[0]
	for _, f := range connect.Forms {
		if slices.ContainsFunc(f, func(name string) bool { return in.Credentials[name] != "" }) {
			form = f
			break
		}
	}
	for _, name := range credentialFields {
		value, given := in.Credentials[name]
		switch {
		case slices.Contains(form, name) && value == "":
			problems.Add("/"+name, "is required: %s takes %s", in.Platform, connect.Takes)
		case given && !slices.Contains(form, name) && !slices.Contains(connect.Optional, name):
			problems.Add("/"+name, "is not used by %s, which takes %s", in.Platform, connect.Takes)
		case given && slices.Contains(urlFields, name):
			s.checkPlatformURL(&problems, "/"+name, value)
		}
	}
	if err := problems.Err(); err != nil {
		return nil, platform.Spec{}, err
	}
	adapter := s.config.Adapters[in.Platform]
	if adapter == nil {
		problems.Add("/platform", "%s accounts cannot be connected on this server", in.Platform)
		return nil, platform.Spec{}, problems.Err()
	}
	return adapter, spec, nil
}

// checkPlatformURL checks a URL the server will send the account's credentials to: it
// must be absolute and use https, so the credentials are never sent in the clear. Which
// addresses it may reach is the adapters' HTTP client's to decide (see netpolicy), when
// it connects.
func (s *Service) checkPlatformURL(problems *Problems, field, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		problems.Add(field, "must be an absolute https URL")
	case u.Scheme != "https" && !(u.Scheme == "http" && s.config.AllowInsecurePlatformURLs):
		problems.Add(field, "must use https")
	case u.User != nil:
		problems.Add(field, "must not contain credentials")
	}
}

// verificationProblem turns a failed adapter.Connect into a 422 on the field it is about.
// Only a classified *platform.Error's message is shown: it never holds a secret, whereas
// a raw network error can quote a URL with a token in it (Telegram's bot URLs). A
// platform that cannot be reached is a 422 too, not a 5xx: nothing was saved, and the
// message says to try again.
func verificationProblem(in AccountInput, spec platform.Spec, err error) error {
	kind := platform.KindOf(err)
	detail := "it could not be reached"
	var pe *platform.Error
	switch {
	case errors.As(err, &pe):
		detail = pe.Error()
	case errors.Is(err, context.DeadlineExceeded):
		detail = "timed out" // the connect timeout, or the request's deadline
	}
	var message string
	switch {
	case errors.Is(err, netpolicy.ErrNotPublic):
		message = "must point to a public address"
	case kind == platform.InvalidCredentials || kind == platform.TokenRejected:
		message = fmt.Sprintf("was refused by %s: %s", in.Platform, detail)
	case kind == platform.Permanent:
		message = fmt.Sprintf("could not be verified: %s refused the request: %s", in.Platform, detail)
	default:
		message = fmt.Sprintf("could not be verified: %s did not answer (%s); try again later", in.Platform, detail)
	}
	var problems Problems
	problems.Add("/"+spec.Connect.Blame(in.Credentials, kind), "%s", message)
	return problems.Err()
}

// connectSandbox creates a test-mode account, which publishes to the sandbox only.
func (s *Service) connectSandbox(ctx context.Context, scope Scope, in AccountInput) (Account, error) {
	var problems Problems
	if !slices.Contains(Platforms, in.Platform) {
		problems.Add("/platform", "must be one of %s", joinPlatforms(Platforms))
	}
	simulate := in.Simulate
	if simulate == "" {
		simulate = SimulateNone
	}
	if !slices.Contains(simulations, simulate) {
		problems.Add("/simulate", "must be one of none, token_expired, rate_limited, server_error")
	}
	for _, name := range credentialFields {
		if _, given := in.Credentials[name]; given {
			problems.Add("/"+name, "is not used in test mode: sandbox accounts connect without credentials")
		}
	}
	if err := problems.Err(); err != nil {
		return Account{}, err
	}
	// The sandbox adapter makes up a profile shaped like the platform's own.
	spec, _ := s.config.Platforms.Lookup(string(in.Platform))
	spec.ID = string(in.Platform) // named in the error when the registry lacks it
	adapter, err := sandbox.New(spec, string(simulate))
	if err != nil {
		return Account{}, err
	}
	profile, _, err := adapter.Connect(ctx, nil)
	if err != nil {
		return Account{}, err
	}
	a := s.newAccount(scope, in.Platform, profile)
	a.Simulate = simulate
	return a, s.createAccount(ctx, a)
}

func (s *Service) newAccount(scope Scope, p Platform, profile platform.Profile) Account {
	a := Account{
		ID: id.New(id.Account), Scope: scope, Platform: p,
		PlatformUserID: profile.UserID, Username: profile.Username, DisplayName: profile.DisplayName,
		IsActive: true, ConnectedAt: s.clock.Now(),
	}
	if profile.AvatarURL != "" {
		a.AvatarURL = &profile.AvatarURL
	}
	return a
}

// createAccount stores a and its account.connected event together.
func (s *Service) createAccount(ctx context.Context, a Account) error {
	event, err := s.accountEvent(EventAccountConnected, a, "")
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, event)
	})
}

// accountEventData is an account event's data: the account as the API shows it, and for
// an account a platform disconnected, why.
type accountEventData struct {
	Account any    `json:"account"`
	Reason  string `json:"reason,omitempty"`
}

func (s *Service) accountEvent(typ EventType, a Account, reason string) (Event, error) {
	if s.config.Render == nil {
		return Event{}, errors.New("service: no EventRenderer is configured to record events")
	}
	data, err := json.Marshal(accountEventData{Account: s.config.Render.Account(a), Reason: reason})
	if err != nil {
		return Event{}, fmt.Errorf("encoding %s event: %w", typ, err)
	}
	return Event{ID: id.New(id.Event), Scope: a.Scope, Type: typ, Data: data, CreatedAt: s.clock.Now()}, nil
}

// ListAccounts returns the scope's accounts, oldest first.
func (s *Service) ListAccounts(ctx context.Context, scope Scope) ([]Account, error) {
	return s.store.ListAccounts(ctx, scope)
}

// GetAccount returns one of the scope's accounts.
func (s *Service) GetAccount(ctx context.Context, scope Scope, accountID string) (Account, error) {
	a, err := s.store.GetAccount(ctx, scope, accountID)
	if errors.Is(err, ErrNotFound) {
		return Account{}, NotFound("Account")
	}
	return a, err
}

// DisconnectAccount removes one of the scope's accounts, with its credentials, and
// records an account.disconnected event showing it inactive.
func (s *Service) DisconnectAccount(ctx context.Context, scope Scope, accountID string) error {
	return s.store.InTx(ctx, func(tx Store) error {
		a, err := tx.GetAccount(ctx, scope, accountID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Account")
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteAccount(ctx, scope, accountID); err != nil {
			return err
		}
		a.IsActive = false
		event, err := s.accountEvent(EventAccountDisconnected, a, "")
		if err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, event)
	})
}

// AccountCredentials opens a's sealed credentials. A sandbox account has none: nil.
func (s *Service) AccountCredentials(_ context.Context, a Account) (platform.Credentials, error) {
	if a.Credentials == nil {
		return nil, nil
	}
	if s.config.Secrets == nil {
		return nil, errors.New("service: no secret key is configured to open account credentials")
	}
	plaintext, err := s.config.Secrets.Open(a.Credentials)
	if err != nil {
		return nil, fmt.Errorf("account %s credentials: %w", a.ID, err)
	}
	var creds platform.Credentials
	if err := json.Unmarshal(plaintext, &creds); err != nil {
		return nil, fmt.Errorf("account %s credentials: %w", a.ID, err)
	}
	return creds, nil
}

// MarkAccountInactive records that a's platform rejected its token: the account stays
// (its owner can see what happened) but is no longer used, and an account.disconnected
// event carries reason, a message safe to show its owner, which the account keeps as its
// InactiveReason (the API and the dashboard show it). Run it in the transaction tx
// that records the failed publish. An account already inactive or since deleted is left
// alone, so the event fires once.
func (s *Service) MarkAccountInactive(ctx context.Context, tx Store, a Account, reason string) error {
	current, err := tx.GetAccount(ctx, a.Scope, a.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !current.IsActive {
		return nil
	}
	current.IsActive, current.InactiveReason = false, &reason
	event, err := s.accountEvent(EventAccountDisconnected, current, reason)
	if err != nil {
		return err
	}
	if err := tx.UpdateAccount(ctx, current); err != nil {
		return err
	}
	return s.recordEvent(ctx, tx, event)
}

// TouchAccount records that a was just used to publish, in tx, and stores refreshed
// credentials (a platform's new session) when they are not nil. An account deleted in
// the meantime is left alone.
func (s *Service) TouchAccount(ctx context.Context, tx Store, a Account, refreshed platform.Credentials) error {
	return s.updateAccount(ctx, tx, a, true, refreshed)
}

// updateAccount re-reads a in tx and records what a publish through it changed: used sets
// last_used_at (a failed publish does not count as use), refreshed, when not nil, replaces
// the stored credentials (a platform may refresh a session even on a failure). An account
// deleted meanwhile is left alone.
func (s *Service) updateAccount(ctx context.Context, tx Store, a Account, used bool, refreshed platform.Credentials) error {
	current, err := tx.GetAccount(ctx, a.Scope, a.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if used {
		now := s.clock.Now()
		current.LastUsedAt = &now
	}
	if refreshed != nil {
		if current.Credentials, err = s.seal(refreshed); err != nil {
			return err
		}
	}
	return tx.UpdateAccount(ctx, current)
}

// seal encrypts credentials for storage.
func (s *Service) seal(creds platform.Credentials) ([]byte, error) {
	if s.config.Secrets == nil {
		return nil, errors.New("service: no secret key is configured to seal account credentials")
	}
	plaintext, err := json.Marshal(creds)
	if err != nil {
		return nil, fmt.Errorf("encoding credentials: %w", err)
	}
	return s.config.Secrets.Seal(plaintext), nil
}

func joinPlatforms(ps []Platform) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}
