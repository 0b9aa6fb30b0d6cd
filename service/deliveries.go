package service

// Webhook delivery
//
// Every event the outbox records goes through recordEvent, in the transaction of the
// change it describes, which also creates one delivery per matching endpoint (the event's
// scope, user and mode, so that test-mode events reach only test-mode endpoints; active;
// subscribed to the event's type) and enqueues one delivery job for each, in that same
// transaction. Nothing is lost when the server dies right after the change, since the
// deliveries and their jobs committed with it, and nothing is sent for a change that rolled
// back. (A dispatcher reading the outbox afterwards would do the same with a poll's delay
// and one more moving part.)
//
// A delivery job (RunDeliveryJob) makes one attempt: the body is {id, type, created_at,
// data}, data being what the outbox stored (the post or account as the API renders it),
// signed the Standard Webhooks way with the endpoint's secret, and with its previous
// secret too for 24 hours after a rotation, sent through the webhook policy's client
// (public addresses only, checked when dialling, unless AllowPrivateWebhooks, which also
// permits plain http), 15 s, no redirects (package delivery). Each attempt is recorded on
// the delivery: attempts, last status code, last error, next attempt time. A failed
// attempt is retried on delivery.Schedule (5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h,
// about three days in all): the job is snoozed until then. A 410 Gone disables the
// endpoint at once; WebhookFailureLimit deliveries in a row that failed for good (their
// schedule spent) disable it too. Disabling records a webhook.disabled event in the
// outbox; an endpoint cannot subscribe to it (it only names the five resource events), so
// it is for the log and the operator, and the owner sees is_active false.
//
// Delivery is at least once: a job whose instance died mid-attempt runs again, and a
// receiver deduplicates on webhook-id (the event's id; a resend keeps it too). The order
// of deliveries to one endpoint is not promised: each is its own job, retried on its own.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/octopost/octopost/service/delivery"
	"github.com/octopost/octopost/service/id"
)

// WebhookFailureLimit is how many deliveries to one endpoint in a row may fail for good
// (each after its whole retry schedule, about three days) before the endpoint is disabled.
// A delivered event starts the count again, and so does re-enabling the endpoint.
const WebhookFailureLimit = 5

// Events that concern webhooks themselves: recorded in the outbox, never subscribed to.
const (
	// EventWebhookTest is the event POST /v1/webhooks/{id}/test sends to that endpoint.
	EventWebhookTest EventType = "webhook.test"
	// EventWebhookDisabled is recorded when delivery disables an endpoint.
	EventWebhookDisabled EventType = "webhook.disabled"
)

// DeliveryState is where one delivery of an event to an endpoint is.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // not delivered yet; NextAttemptAt says when
	DeliveryDelivered DeliveryState = "delivered" // the endpoint answered 2xx
	DeliveryFailed    DeliveryState = "failed"    // given up: 410, schedule spent, or endpoint disabled
)

// Delivery is one event sent, or to be sent, to one endpoint: its entry in the delivery log.
type Delivery struct {
	ID             string
	WebhookID      string
	Scope          Scope
	EventID        string
	EventType      EventType
	State          DeliveryState
	Attempts       int
	LastStatusCode *int    // nil before the first answer, and for an attempt that got none
	LastError      *string // why the last attempt failed; nil after a success
	LastAttemptAt  *time.Time
	NextAttemptAt  *time.Time // nil once delivered or failed
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DeliveryPage is a page of an endpoint's delivery log, newest first.
type DeliveryPage struct {
	Deliveries []Delivery
	NextCursor string // empty on the last page
}

// DeliveryJob is the Queue's job of making the next attempt of one delivery.
type DeliveryJob struct {
	Scope      Scope
	DeliveryID string
	// ID is set by the queue when it runs the job.
	ID string
}

func (DeliveryJob) jobKind() JobKind { return JobDeliver }

// DeliveryStore keeps the delivery log, and what delivery changes on an endpoint.
type DeliveryStore interface {
	// GetEvent returns one of the scope's events from the outbox.
	GetEvent(ctx context.Context, s Scope, id string) (Event, error)
	CreateDelivery(ctx context.Context, d Delivery) error
	GetDelivery(ctx context.Context, s Scope, id string) (Delivery, error)
	// ListDeliveries returns up to limit of the webhook's deliveries with an id below
	// beforeID (every one when it is empty), newest first.
	ListDeliveries(ctx context.Context, s Scope, webhookID, beforeID string, limit int) ([]Delivery, error)
	// UpdateDelivery writes d over the stored delivery while it is still from (same State
	// and Attempts): a compare-and-set. ErrNotFound when it changed or is gone.
	UpdateDelivery(ctx context.Context, d, from Delivery) error
	// AddWebhookFailure counts one more delivery failed for good and returns the count.
	AddWebhookFailure(ctx context.Context, s Scope, webhookID string) (int, error)
	// ResetWebhookFailures sets the count back to zero.
	ResetWebhookFailures(ctx context.Context, s Scope, webhookID string) error
	// DisableWebhook sets is_active false with why as its disabled_reason, and reports
	// whether this call changed it.
	DisableWebhook(ctx context.Context, s Scope, webhookID, why string, at time.Time) (bool, error)
}

// recordEvent adds e to the outbox in tx and, in the same transaction, a delivery and its
// job for each of the scope's active endpoints subscribed to e's type. Every event goes
// through it.
func (s *Service) recordEvent(ctx context.Context, tx Store, e Event) error {
	if err := tx.AddEvent(ctx, e); err != nil {
		return err
	}
	hooks, err := tx.ListWebhooks(ctx, e.Scope)
	if err != nil {
		return err
	}
	var jobs []Job
	for _, w := range hooks {
		if !w.IsActive || !slices.Contains(w.Events, WebhookEvent(e.Type)) {
			continue
		}
		job, err := s.newDelivery(ctx, tx, w.ID, e)
		if err != nil {
			return err
		}
		jobs = append(jobs, job)
	}
	return s.enqueueDeliveries(ctx, tx, jobs...)
}

// newDelivery creates, in tx, a pending delivery of e to the webhook, due now.
func (s *Service) newDelivery(ctx context.Context, tx Store, webhookID string, e Event) (DeliveryJob, error) {
	now := s.clock.Now()
	d := Delivery{
		ID: id.New(id.Delivery), WebhookID: webhookID, Scope: e.Scope, EventID: e.ID, EventType: e.Type,
		State: DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.CreateDelivery(ctx, d); err != nil {
		return DeliveryJob{}, err
	}
	return DeliveryJob{Scope: e.Scope, DeliveryID: d.ID}, nil
}

func (s *Service) enqueueDeliveries(ctx context.Context, tx Store, jobs ...Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if s.publishing.queue == nil {
		return errNoQueue
	}
	return s.publishing.queue.Enqueue(ctx, tx, jobs...)
}

// payload is an event as sent: the contract's {id, type, created_at, data}.
type payload struct {
	ID        string          `json:"id"`
	Type      EventType       `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// webhookClient is the policy's client, made once so that deliveries reuse connections.
func (s *Service) webhookClient() *http.Client {
	s.webhookClientOnce.Do(func() { s.webhookHTTP = s.webhookPolicy().Client(delivery.Timeout) })
	return s.webhookHTTP
}

// errDeliveryMoved aborts recording an attempt that another run of the job recorded first.
var errDeliveryMoved = errors.New("the delivery changed since it was read")

// RunDeliveryJob makes the delivery's next attempt and records it. It returns how long
// until the attempt after it is due (0 when the delivery is settled: delivered, failed,
// or gone with its endpoint). An error is internal (the database); the queue runs the job
// again, and nothing about the endpoint is recorded.
func (s *Service) RunDeliveryJob(ctx context.Context, job DeliveryJob) (time.Duration, error) {
	d, err := s.store.GetDelivery(ctx, job.Scope, job.DeliveryID)
	if errors.Is(err, ErrNotFound) {
		return 0, nil // its endpoint was deleted, and the log with it
	}
	if err != nil {
		return 0, fmt.Errorf("service: delivery %s: %w", job.DeliveryID, err)
	}
	if d.State != DeliveryPending {
		return 0, nil
	}
	now := s.clock.Now()
	if d.NextAttemptAt != nil && d.NextAttemptAt.After(now) {
		return d.NextAttemptAt.Sub(now), nil // run early (taken over from a dead instance)
	}
	stored, err := s.store.GetWebhook(ctx, job.Scope, d.WebhookID)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("service: delivery %s: %w", d.ID, err)
	}
	if !stored.IsActive {
		return 0, s.settleDelivery(ctx, d, now, "the endpoint is disabled")
	}
	w, err := s.openWebhook(stored)
	if err != nil {
		return 0, fmt.Errorf("service: delivery %s: %w", d.ID, err)
	}
	e, err := s.store.GetEvent(ctx, job.Scope, d.EventID)
	if err != nil {
		return 0, fmt.Errorf("service: delivery %s: event %s: %w", d.ID, d.EventID, err)
	}
	body, err := json.Marshal(payload{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt, Data: e.Data})
	if err != nil {
		return 0, fmt.Errorf("service: delivery %s: %w", d.ID, err)
	}
	secrets := []string{w.Secret}
	if w.PreviousSecret != nil && w.PreviousSecretExpiresAt != nil && w.PreviousSecretExpiresAt.After(now) {
		secrets = append(secrets, *w.PreviousSecret)
	}
	var res delivery.Result
	if u, err := url.Parse(w.URL); err == nil && u.Scheme == "http" && !s.config.AllowPrivateWebhooks {
		// Saved while the operator allowed plain http, which is no longer the case.
		res = delivery.Result{Outcome: delivery.Failed, Error: "the endpoint's URL must use https"}
	} else {
		res = delivery.Send(ctx, s.webhookClient(), w.URL, delivery.Message{ID: e.ID, Timestamp: now, Body: body}, secrets...)
	}
	if ctx.Err() != nil {
		// Stopped mid-attempt (shutdown, a lost lease): not the endpoint's failure. The job
		// runs again.
		return 0, fmt.Errorf("service: delivery %s: %w", d.ID, context.Cause(ctx))
	}
	return s.recordAttempt(ctx, d, w, res, now)
}

// recordAttempt records one attempt's result on the delivery, and what it means for the
// endpoint, in one transaction.
func (s *Service) recordAttempt(ctx context.Context, d Delivery, w Webhook, res delivery.Result, at time.Time) (time.Duration, error) {
	var retryIn time.Duration
	err := s.store.InTx(ctx, func(tx Store) error {
		next := d
		next.Attempts++
		next.LastStatusCode, next.LastError = nil, nil
		if res.Status != 0 {
			next.LastStatusCode = &res.Status
		}
		if res.Error != "" {
			next.LastError = &res.Error
		}
		next.LastAttemptAt, next.NextAttemptAt, next.UpdatedAt = &at, nil, at
		disable, why := false, ""
		switch res.Outcome {
		case delivery.Delivered:
			next.State = DeliveryDelivered
		case delivery.Gone:
			next.State = DeliveryFailed
			disable, why = true, "the endpoint answered 410 Gone"
		default:
			if wait, ok := delivery.NextAttempt(next.Attempts); ok {
				due := at.Add(wait)
				next.NextAttemptAt, retryIn = &due, wait
			} else {
				next.State = DeliveryFailed
			}
		}
		err := tx.UpdateDelivery(ctx, next, d)
		if errors.Is(err, ErrNotFound) {
			return errDeliveryMoved
		}
		if err != nil {
			return err
		}
		switch {
		case next.State == DeliveryDelivered:
			return tx.ResetWebhookFailures(ctx, d.Scope, w.ID)
		case next.State == DeliveryFailed && !disable:
			n, err := tx.AddWebhookFailure(ctx, d.Scope, w.ID)
			if err != nil {
				return err
			}
			if n >= WebhookFailureLimit {
				disable, why = true, fmt.Sprintf("%d deliveries in a row failed", n)
			}
		}
		if disable {
			return s.disableWebhook(ctx, tx, w, why, at)
		}
		return nil
	})
	if errors.Is(err, errDeliveryMoved) {
		return 0, nil // another run of the job recorded this attempt
	}
	if err != nil {
		return 0, fmt.Errorf("service: recording delivery %s: %w", d.ID, err)
	}
	return retryIn, nil
}

// settleDelivery ends a pending delivery that will not be attempted: failed, with why.
func (s *Service) settleDelivery(ctx context.Context, d Delivery, at time.Time, why string) error {
	next := d
	next.State, next.NextAttemptAt, next.LastError, next.UpdatedAt = DeliveryFailed, nil, &why, at
	err := s.store.UpdateDelivery(ctx, next, d)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// GiveUpDeliveryJob settles a delivery whose job failed internally on each of its runs,
// so that it does not stay pending.
func (s *Service) GiveUpDeliveryJob(ctx context.Context, job DeliveryJob, cause error) error {
	d, err := s.store.GetDelivery(ctx, job.Scope, job.DeliveryID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil || d.State != DeliveryPending {
		return err
	}
	return s.settleDelivery(ctx, d, s.clock.Now(), "the delivery could not be attempted (an internal error)")
}

// webhookEventData is the data of the webhook.test and webhook.disabled events.
type webhookEventData struct {
	WebhookID string `json:"webhook_id"`
	Reason    string `json:"reason,omitempty"`
}

// disableWebhook disables the endpoint in tx and records webhook.disabled, once.
func (s *Service) disableWebhook(ctx context.Context, tx Store, w Webhook, why string, at time.Time) error {
	changed, err := tx.DisableWebhook(ctx, w.Scope, w.ID, why, at)
	if err != nil || !changed {
		return err
	}
	data, err := json.Marshal(webhookEventData{WebhookID: w.ID, Reason: why})
	if err != nil {
		return err
	}
	return tx.AddEvent(ctx, Event{ID: id.New(id.Event), Scope: w.Scope, Type: EventWebhookDisabled, Data: data, CreatedAt: at})
}

// SendTestEvent sends a signed webhook.test event to the endpoint, delivered like any
// other (logged, retried), whatever events it subscribes to. The endpoint must be active.
func (s *Service) SendTestEvent(ctx context.Context, scope Scope, webhookID string) (Delivery, error) {
	var created Delivery
	err := s.store.InTx(ctx, func(tx Store) error {
		w, err := s.activeWebhook(ctx, tx, scope, webhookID)
		if err != nil {
			return err
		}
		data, err := json.Marshal(webhookEventData{WebhookID: w.ID})
		if err != nil {
			return err
		}
		e := Event{ID: id.New(id.Event), Scope: scope, Type: EventWebhookTest, Data: data, CreatedAt: s.clock.Now()}
		if err := tx.AddEvent(ctx, e); err != nil {
			return err
		}
		created, err = s.deliverAgain(ctx, tx, w.ID, e)
		return err
	})
	return created, err
}

// ResendDelivery sends a delivery's event to its endpoint again, as a new delivery with a
// fresh retry schedule (the event keeps its id, so a receiver can deduplicate it).
func (s *Service) ResendDelivery(ctx context.Context, scope Scope, webhookID, deliveryID string) (Delivery, error) {
	var created Delivery
	err := s.store.InTx(ctx, func(tx Store) error {
		w, err := s.activeWebhook(ctx, tx, scope, webhookID)
		if err != nil {
			return err
		}
		d, err := tx.GetDelivery(ctx, scope, deliveryID)
		if errors.Is(err, ErrNotFound) || (err == nil && d.WebhookID != w.ID) {
			return NotFound("Delivery")
		}
		if err != nil {
			return err
		}
		e, err := tx.GetEvent(ctx, scope, d.EventID)
		if err != nil {
			return err
		}
		created, err = s.deliverAgain(ctx, tx, w.ID, e)
		return err
	})
	return created, err
}

func (s *Service) activeWebhook(ctx context.Context, tx Store, scope Scope, webhookID string) (Webhook, error) {
	w, err := tx.GetWebhook(ctx, scope, webhookID)
	if errors.Is(err, ErrNotFound) {
		return Webhook{}, NotFound("Webhook")
	}
	if err != nil {
		return Webhook{}, err
	}
	if !w.IsActive {
		return Webhook{}, Conflict("Webhook is not active: set is_active to true first")
	}
	return w, nil
}

// deliverAgain creates and enqueues one delivery of e to the webhook, and returns it.
func (s *Service) deliverAgain(ctx context.Context, tx Store, webhookID string, e Event) (Delivery, error) {
	job, err := s.newDelivery(ctx, tx, webhookID, e)
	if err != nil {
		return Delivery{}, err
	}
	if err := s.enqueueDeliveries(ctx, tx, job); err != nil {
		return Delivery{}, err
	}
	return tx.GetDelivery(ctx, e.Scope, job.DeliveryID)
}

// ListDeliveries returns a page of the webhook's delivery log, newest first. cursor is
// the NextCursor of the previous page, or empty.
func (s *Service) ListDeliveries(ctx context.Context, scope Scope, webhookID string, limit int, cursor string) (DeliveryPage, error) {
	var problems Problems
	if limit < 1 || limit > 100 {
		problems.Add("limit", "must be between 1 and 100")
	}
	before, ok := decodeIDCursor(id.Delivery, cursor)
	if !ok {
		problems.Add("cursor", "is not a cursor returned by this API")
	}
	if err := problems.Err(); err != nil {
		return DeliveryPage{}, err
	}
	if _, err := s.store.GetWebhook(ctx, scope, webhookID); errors.Is(err, ErrNotFound) {
		return DeliveryPage{}, NotFound("Webhook")
	} else if err != nil {
		return DeliveryPage{}, err
	}
	rows, err := s.store.ListDeliveries(ctx, scope, webhookID, before, limit+1)
	if err != nil {
		return DeliveryPage{}, err
	}
	page := DeliveryPage{Deliveries: rows}
	if len(rows) > limit {
		page.Deliveries = rows[:limit]
		page.NextCursor = encodeCursor(rows[limit-1].ID)
	}
	return page, nil
}

// decodeIDCursor is decodeCursor for ids of kind prefix.
func decodeIDCursor(prefix, cursor string) (string, bool) {
	if cursor == "" {
		return "", true
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !id.Valid(prefix, string(raw)) {
		return "", false
	}
	return string(raw), true
}
