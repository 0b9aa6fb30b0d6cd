package service

// Idempotency keys (contract §9).
//
// A POST that carries an Idempotency-Key is run at most once per (user, mode, key) for
// IdempotencyTTL. The first request claims the key by inserting a row "in flight" with a
// fingerprint of the request (method, path and query, body bytes) and a random token; the
// insert is one atomic statement, so of two concurrent requests with one key, across any
// number of instances sharing the database, exactly one claims it. The others find the
// row and get:
//
//   - a different fingerprint: IdempotencyReused (422 idempotency_key_reused);
//   - the same, still in flight: IdempotencyInUse (409 idempotency_key_in_use);
//   - the same, completed: IdempotencyReplay, with the stored status, headers and body.
//
// When the first request ends, its claimer (holding the token) either completes the row
// with the response, or releases it (deletes it) so that a retry runs afresh:
//
//   - 2xx and 4xx responses are kept: they are what the request did, and a retry must not
//     do it again (a 404 or a 422 is deterministic for the same request anyway);
//   - 5xx responses are not kept: the server failed, and a retry should be able to
//     succeed. (A 5xx after the change was committed is the one case a retry can repeat.)
//   - responses larger than MaxIdempotentResponse are not kept either, which bounds a
//     row's size; every response the API gives to a request within the body limit is
//     smaller.
//
// A row expires IdempotencyTTL after its claim; the key can then be claimed afresh. A
// claim whose server died before completing it would hold the key forever, so an in-flight
// claim has a lease (IdempotencyLease, longer than any request may run): once it lapses,
// the next request with the key takes the claim over.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

const (
	// IdempotencyTTL is how long a key is remembered.
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyLease is how long an in-flight claim holds its key before another
	// request may take it over; longer than any request can run (the server's write
	// timeout).
	IdempotencyLease = 10 * time.Minute
	// MaxIdempotentResponse is the largest response body kept for replay.
	MaxIdempotentResponse = 2 << 20
	// MaxIdempotencyKey is the longest key accepted, in bytes.
	MaxIdempotencyKey = 255
)

// IdempotencyState is where a claimed key stands.
type IdempotencyState string

const (
	IdempotencyInFlight IdempotencyState = "in_flight"
	IdempotencyDone     IdempotencyState = "done"
)

// IdempotencyRecord is one key as the store keeps it.
type IdempotencyRecord struct {
	Scope       Scope
	Key         string
	Fingerprint string // hex SHA-256 of the request
	Token       string // the claimer's secret: only it completes or releases the claim
	State       IdempotencyState
	// The response, once State is IdempotencyDone.
	Status     int
	Header     []byte // JSON object of header name to values
	Body       []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LeaseUntil time.Time
}

// IdempotencyStore keeps idempotency keys.
type IdempotencyStore interface {
	// ClaimIdempotencyKey inserts rec (in flight), or takes over the row of its scope and
	// key when that has expired, or is in flight with a lapsed lease, by rec.CreatedAt
	// (the time of the claim), and returns rec, true: one atomic statement. Otherwise it
	// returns the row as stored, false; ErrNotFound when the row vanished in between
	// (released), for the caller to try again.
	ClaimIdempotencyKey(ctx context.Context, rec IdempotencyRecord) (IdempotencyRecord, bool, error)
	// CompleteIdempotencyKey stores the response of rec's claim (Status, Header, Body)
	// and marks it done; ErrNotFound when rec.Token no longer holds the claim.
	CompleteIdempotencyKey(ctx context.Context, rec IdempotencyRecord) error
	// ReleaseIdempotencyKey deletes the claim held by token, if it still is.
	ReleaseIdempotencyKey(ctx context.Context, s Scope, key, token string) error
	// DeleteExpiredIdempotencyKeys deletes the rows that expired before now.
	DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) error
}

// IdempotencyOutcome is what to do with a request that carries a key.
type IdempotencyOutcome int

const (
	// IdempotencyProceed: the request claimed the key; run it, then Complete or Release.
	IdempotencyProceed IdempotencyOutcome = iota
	// IdempotencyReplay: answer with the stored response.
	IdempotencyReplay
	// IdempotencyInUse: the first request with the key is still running.
	IdempotencyInUse
	// IdempotencyReused: the key was used for a different request.
	IdempotencyReused
)

// IdempotencyClaim is the result of ClaimIdempotencyKey.
type IdempotencyClaim struct {
	Outcome IdempotencyOutcome
	// Record is the claim (Proceed) or the stored response (Replay).
	Record IdempotencyRecord
}

// claimAttempts bounds the retries of a claim that races with releases.
const claimAttempts = 3

// ClaimIdempotencyKey claims key for the request with this fingerprint, or says why not.
func (s *Service) ClaimIdempotencyKey(ctx context.Context, sc Scope, key, fingerprint string) (IdempotencyClaim, error) {
	token, err := newToken()
	if err != nil {
		return IdempotencyClaim{}, err
	}
	for range claimAttempts {
		now := s.clock.Now()
		rec := IdempotencyRecord{
			Scope: sc, Key: key, Fingerprint: fingerprint, Token: token, State: IdempotencyInFlight,
			CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL), LeaseUntil: now.Add(IdempotencyLease),
		}
		got, claimed, err := s.store.ClaimIdempotencyKey(ctx, rec)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return IdempotencyClaim{}, fmt.Errorf("claim idempotency key: %w", err)
		}
		switch {
		case claimed:
			return IdempotencyClaim{Outcome: IdempotencyProceed, Record: rec}, nil
		case got.Fingerprint != fingerprint:
			return IdempotencyClaim{Outcome: IdempotencyReused}, nil
		case got.State == IdempotencyInFlight:
			return IdempotencyClaim{Outcome: IdempotencyInUse}, nil
		default:
			return IdempotencyClaim{Outcome: IdempotencyReplay, Record: got}, nil
		}
	}
	// Every attempt found the row gone again: as if it were still in flight.
	return IdempotencyClaim{Outcome: IdempotencyInUse}, nil
}

// CompleteIdempotencyKey keeps the response of a claimed request, or releases the claim
// when the response is not one to keep (see the top of this file).
func (s *Service) CompleteIdempotencyKey(ctx context.Context, rec IdempotencyRecord, status int, header, body []byte) error {
	if status >= 500 || len(body) > MaxIdempotentResponse {
		return s.ReleaseIdempotencyKey(ctx, rec)
	}
	rec.State, rec.Status, rec.Header, rec.Body = IdempotencyDone, status, header, body
	err := s.store.CompleteIdempotencyKey(ctx, rec)
	if errors.Is(err, ErrNotFound) {
		// The lease lapsed and another request took the key over: it answers for it now.
		return nil
	}
	return err
}

// ReleaseIdempotencyKey gives up a claim, so that the next request with the key runs.
func (s *Service) ReleaseIdempotencyKey(ctx context.Context, rec IdempotencyRecord) error {
	return s.store.ReleaseIdempotencyKey(ctx, rec.Scope, rec.Key, rec.Token)
}

// DeleteExpiredIdempotencyKeys forgets the keys older than IdempotencyTTL.
func (s *Service) DeleteExpiredIdempotencyKeys(ctx context.Context) error {
	return s.store.DeleteExpiredIdempotencyKeys(ctx, s.clock.Now())
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
