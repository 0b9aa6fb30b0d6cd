package service

// Users and their passwords
//
// A user owns API keys and everything made with them; the dashboard signs users in with an
// email address and a password. A user may have no password (one made by `octopost users
// create` without --password-stdin): such a user cannot sign in until one is set.
//
// Passwords are hashed with argon2id (package password), 19 MiB and 2 passes each, so a
// hash costs tens of milliseconds of CPU and 19 MiB of memory. A burst of sign-ins could
// otherwise take all of a small server's memory at once, so at most hashConcurrency hashes
// run in the process at a time (hashSlots); the others wait their turn, or give up when
// their request ends.
//
// Sign-in attempts are limited per fixed window of signInWindow (15 minutes): at most
// signInEmailLimit failed sign-ins per email address (lower-cased) and signInClientLimit per
// client address. The counts are rows of the database on both engines, so that every
// instance on it shares them; sign-ins are rare, so a few writes each cost nothing that
// matters. An attempt is counted before its password is checked (one atomic upsert per
// bucket that returns the count it made) and uncounted again when it succeeds: so however
// many attempts run at once, no more than the limit of passwords are ever checked for an
// email in a window. An attempt over a limit is refused with SignInLimitedError, saying
// when the window ends, before any hashing, and counts nothing. Attempts for an email
// that has no user, or a user without a password, count too, and verify the password
// against a dummy hash, so that neither the answer nor its time tells which emails exist.
// The buckets are named by the SHA-256 of the email or address, so that the table holds
// neither and its rows have one size; windows that have ended are deleted on each counted
// attempt.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/password"
)

const (
	PasswordMinLength = 12   // characters
	PasswordMaxLength = 1024 // bytes: bounds hashing cost
)

// The sign-in limiter's numbers (see the top of this file).
const (
	signInWindow      = 15 * time.Minute
	signInEmailLimit  = 10
	signInClientLimit = 50
)

// ErrSignInFailed: wrong email or password, or a user without a password. One error for
// all, so a caller cannot tell which.
var ErrSignInFailed = errors.New("the email or password is not right")

// SignInLimitedError: too many failed sign-ins for this email or this client address;
// refused before any password is hashed.
type SignInLimitedError struct{ RetryAfter time.Duration }

func (e *SignInLimitedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.RetryAfter.Round(time.Second))
}

// hashConcurrency is how many password hashes may run at once in the process: each holds
// 19 MiB while it runs (see the top of this file). A package variable, not a Service's,
// since the memory it guards is the process's.
const hashConcurrency = 2

var hashSlots = make(chan struct{}, hashConcurrency)

// withHashSlot runs fn once a hashing slot is free, or returns ctx's error if ctx ends first.
func withHashSlot(ctx context.Context, fn func()) error {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}

// hashPassword hashes pw in a hashing slot.
func hashPassword(ctx context.Context, pw string) (string, error) {
	var h string
	var err error
	if slotErr := withHashSlot(ctx, func() { h, err = password.Hash(pw) }); slotErr != nil {
		return "", slotErr
	}
	return h, err
}

// dummyHash is what a sign-in for an email without a password is checked against, so that
// it costs what a real check does. It was made by password.Hash, with today's parameters
// (TestDummyHashHasTheCurrentParameters keeps them equal), of 32 random bytes nobody kept.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$nURSCb6BalR5+PGO04JHUg$MVsyp6CGR/zCPFHsvRAA8OfDtMmlqp+oGR3TVACJDuI"

// verifyPassword checks pw against stored in a hashing slot; an empty stored is checked
// against dummyHash and never matches.
func verifyPassword(ctx context.Context, stored, pw string) (bool, error) {
	real := stored != ""
	if !real {
		stored = dummyHash
	}
	if len(pw) > PasswordMaxLength {
		// No stored password is this long; check one of the longest allowed instead, at
		// the cost of any other check.
		pw, real = pw[:PasswordMaxLength], false
	}
	var ok bool
	var err error
	if slotErr := withHashSlot(ctx, func() { ok, err = password.Verify(stored, pw) }); slotErr != nil {
		return false, slotErr
	}
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	return ok && real, nil
}

// checkPassword is the rule a new password must meet: "" is refused as missing (CreateUser,
// where "" means no password, does not ask). Its message never repeats it.
func checkPassword(pw string) error {
	var msg string
	switch {
	case pw == "":
		msg = "is required"
	case len(pw) > PasswordMaxLength:
		msg = fmt.Sprintf("must be at most %d bytes", PasswordMaxLength)
	case !utf8.ValidString(pw):
		msg = "must be valid UTF-8 text"
	case utf8.RuneCountInString(pw) < PasswordMinLength:
		msg = fmt.Sprintf("must be at least %d characters", PasswordMinLength)
	default:
		return nil
	}
	return &Error{Kind: KindValidation, Message: "the password " + msg,
		Fields: []FieldError{{Field: "password", Message: msg}}}
}

// checkEmail is the rule for a new user's email address.
func checkEmail(email string) error {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return &Error{Kind: KindValidation, Message: fmt.Sprintf("%q is not a valid email address", email),
			Fields: []FieldError{{Field: "email", Message: "must be a plain email address"}}}
	}
	return nil
}

// HasUsers reports whether any user exists: until one does, the dashboard offers its
// one-time setup.
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	return s.store.HasUsers(ctx)
}

// CreateUser adds a user with the given email address. Password "" means none (the user
// cannot sign in to the dashboard until one is set); any other is checked (length) and
// hashed, and a *Error of KindValidation names field "password".
func (s *Service) CreateUser(ctx context.Context, email, pw string) (User, error) {
	if err := checkEmail(email); err != nil {
		return User{}, err
	}
	var hash string
	if pw != "" {
		if err := checkPassword(pw); err != nil {
			return User{}, err
		}
		var err error
		if hash, err = hashPassword(ctx, pw); err != nil {
			return User{}, err
		}
	}
	u := User{ID: id.New(id.User), Email: strings.ToLower(email), CreatedAt: s.clock.Now()}
	err := s.store.InTx(ctx, func(st Store) error {
		if err := st.CreateUser(ctx, u); err != nil {
			return err
		}
		if hash == "" {
			return nil
		}
		return st.SetUserPassword(ctx, u.ID, hash)
	})
	if errors.Is(err, ErrDuplicate) {
		return User{}, Conflict("a user with email %s already exists", u.Email)
	}
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// SetupFirstUser creates the first user, with a password, only while there is none:
// Conflict once any user exists. Of two concurrent setups exactly one wins, on either
// database (Store.CreateFirstUser).
func (s *Service) SetupFirstUser(ctx context.Context, email, pw string) (User, error) {
	if err := checkEmail(email); err != nil {
		return User{}, err
	}
	if err := checkPassword(pw); err != nil {
		return User{}, err
	}
	// Refuse before hashing when setup is plainly over; the insert checks again.
	has, err := s.store.HasUsers(ctx)
	if err != nil {
		return User{}, err
	}
	if has {
		return User{}, errSetupDone
	}
	hash, err := hashPassword(ctx, pw)
	if err != nil {
		return User{}, err
	}
	u := User{ID: id.New(id.User), Email: strings.ToLower(email), CreatedAt: s.clock.Now()}
	created, err := s.store.CreateFirstUser(ctx, u, hash)
	if err != nil {
		return User{}, err
	}
	if !created {
		return User{}, errSetupDone
	}
	return u, nil
}

var errSetupDone = Conflict("the first user has already been set up")

// SetPassword sets the password of the user with this email and ends all of the user's
// sessions: whoever knew the old password is signed out everywhere.
func (s *Service) SetPassword(ctx context.Context, email, pw string) error {
	if err := checkPassword(pw); err != nil {
		return err
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return err
	}
	hash, err := hashPassword(ctx, pw)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(st Store) error {
		if err := st.SetUserPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		return st.RevokeUserSessions(ctx, u.ID, s.clock.Now())
	})
}

func (s *Service) userByEmail(ctx context.Context, email string) (User, error) {
	u, err := s.store.GetUserByEmail(ctx, strings.ToLower(email))
	if errors.Is(err, ErrNotFound) {
		return User{}, NotFound("User " + email)
	}
	return u, err
}

// signInLimit is one attempt's place in the limiter: its two buckets in the current window.
type signInLimit struct {
	store         Store
	now           time.Time
	window, end   time.Time
	email, client string // bucket names
}

func (s *Service) signInLimit(now time.Time, email, client string) *signInLimit {
	window := now.Truncate(signInWindow)
	return &signInLimit{
		store: s.store, now: now, window: window, end: window.Add(signInWindow),
		email: bucketName("email", email), client: bucketName("client", client),
	}
}

func bucketName(kind, v string) string {
	sum := sha256.Sum256([]byte(v))
	return kind + ":" + hex.EncodeToString(sum[:])
}

func (l *signInLimit) refused() error {
	return &SignInLimitedError{RetryAfter: l.end.Sub(l.now)}
}

// check refuses an attempt when either bucket is already full: one read each, no write, so
// a flood of refused attempts costs the database little.
func (l *signInLimit) check(ctx context.Context) error {
	for _, b := range []struct {
		bucket string
		limit  int64
	}{{l.email, signInEmailLimit}, {l.client, signInClientLimit}} {
		n, err := l.store.GetSignInFailures(ctx, b.bucket, l.window)
		if err != nil {
			return err
		}
		if n >= b.limit {
			return l.refused()
		}
	}
	return nil
}

// reserve counts the attempt as a failure in both buckets before its password is checked;
// over either limit, it takes the count back and refuses. It also deletes ended windows.
func (l *signInLimit) reserve(ctx context.Context) error {
	e, err := l.store.AddSignInFailures(ctx, l.email, l.window, l.end, 1)
	if err != nil {
		return err
	}
	c, err := l.store.AddSignInFailures(ctx, l.client, l.window, l.end, 1)
	if err != nil {
		return errors.Join(err, l.add(ctx, l.email, -1))
	}
	if e > signInEmailLimit || c > signInClientLimit {
		if err := l.release(ctx); err != nil {
			return err
		}
		return l.refused()
	}
	return l.store.DeleteExpiredSignInWindows(ctx, l.now)
}

// release takes a reserved attempt back: it succeeded, or was never checked. It runs even
// when ctx has ended, so that the count stays right.
func (l *signInLimit) release(ctx context.Context) error {
	return errors.Join(l.add(ctx, l.email, -1), l.add(ctx, l.client, -1))
}

func (l *signInLimit) add(ctx context.Context, bucket string, n int64) error {
	_, err := l.store.AddSignInFailures(context.WithoutCancel(ctx), bucket, l.window, l.end, n)
	return err
}
