package postgres

import (
	"context"
	"time"

	"github.com/octopost/octopost/db/internal/codec"
	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

func (s *Store) GetEvent(ctx context.Context, sc service.Scope, id string) (service.Event, error) {
	r, err := s.q.GetEvent(ctx, pggen.GetEventParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Event{}, readErr("get event", err)
	}
	return service.Event{
		ID: r.ID, Scope: service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Type: service.EventType(r.Type), Data: r.Data, CreatedAt: r.CreatedAt.UTC(),
	}, nil
}

func (s *Store) CreateDelivery(ctx context.Context, d service.Delivery) error {
	err := s.q.CreateDelivery(ctx, pggen.CreateDeliveryParams{
		ID:             d.ID,
		WebhookID:      d.WebhookID,
		UserID:         d.Scope.UserID,
		Mode:           string(d.Scope.Mode),
		EventID:        d.EventID,
		EventType:      string(d.EventType),
		State:          string(d.State),
		Attempts:       int32(d.Attempts),
		LastStatusCode: statusColumn(d.LastStatusCode),
		LastError:      d.LastError,
		LastAttemptAt:  d.LastAttemptAt,
		NextAttemptAt:  d.NextAttemptAt,
		CreatedAt:      d.CreatedAt,
		UpdatedAt:      d.UpdatedAt,
	})
	return writeErr("create delivery", err)
}

func (s *Store) GetDelivery(ctx context.Context, sc service.Scope, id string) (service.Delivery, error) {
	r, err := s.q.GetDelivery(ctx, pggen.GetDeliveryParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Delivery{}, readErr("get delivery", err)
	}
	return deliveryFromRow(r)
}

func (s *Store) ListDeliveries(ctx context.Context, sc service.Scope, webhookID, beforeID string, limit int) ([]service.Delivery, error) {
	rows, err := s.q.ListDeliveries(ctx, pggen.ListDeliveriesParams{
		WebhookID: webhookID, UserID: sc.UserID, Mode: string(sc.Mode),
		BeforeID: codec.BeforeID(beforeID), PageSize: int32(limit),
	})
	if err != nil {
		return nil, readErr("list deliveries", err)
	}
	return convertRows(rows, deliveryFromRow)
}

func (s *Store) UpdateDelivery(ctx context.Context, d, from service.Delivery) error {
	n, err := s.q.UpdateDelivery(ctx, pggen.UpdateDeliveryParams{
		State:          string(d.State),
		Attempts:       int32(d.Attempts),
		LastStatusCode: statusColumn(d.LastStatusCode),
		LastError:      d.LastError,
		LastAttemptAt:  d.LastAttemptAt,
		NextAttemptAt:  d.NextAttemptAt,
		UpdatedAt:      d.UpdatedAt,
		ID:             d.ID,
		UserID:         d.Scope.UserID,
		Mode:           string(d.Scope.Mode),
		FromState:      string(from.State),
		FromAttempts:   int32(from.Attempts),
	})
	return affectedErr("update delivery", n, err)
}

func (s *Store) AddWebhookFailure(ctx context.Context, sc service.Scope, webhookID string) (int, error) {
	n, err := s.q.AddWebhookFailure(ctx, pggen.AddWebhookFailureParams{ID: webhookID, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return 0, readErr("add webhook failure", err)
	}
	return int(n), nil
}

func (s *Store) ResetWebhookFailures(ctx context.Context, sc service.Scope, webhookID string) error {
	err := s.q.ResetWebhookFailures(ctx, pggen.ResetWebhookFailuresParams{ID: webhookID, UserID: sc.UserID, Mode: string(sc.Mode)})
	return writeErr("reset webhook failures", err)
}

func (s *Store) DisableWebhook(ctx context.Context, sc service.Scope, webhookID, why string, at time.Time) (bool, error) {
	n, err := s.q.DisableWebhook(ctx, pggen.DisableWebhookParams{
		DisabledReason: &why, UpdatedAt: at, ID: webhookID, UserID: sc.UserID, Mode: string(sc.Mode),
	})
	if err != nil {
		return false, writeErr("disable webhook", err)
	}
	return n > 0, nil
}

func statusColumn(code *int) *int32 {
	if code == nil {
		return nil
	}
	return new(int32(*code))
}

func deliveryFromRow(r pggen.WebhookDelivery) (service.Delivery, error) {
	d := service.Delivery{
		ID:        r.ID,
		WebhookID: r.WebhookID,
		Scope:     service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		EventID:   r.EventID,
		EventType: service.EventType(r.EventType),
		State:     service.DeliveryState(r.State),
		Attempts:  int(r.Attempts),
		LastError: r.LastError,
	}
	if r.LastStatusCode != nil {
		d.LastStatusCode = new(int(*r.LastStatusCode))
	}
	d.LastAttemptAt, d.NextAttemptAt = utcPtr(r.LastAttemptAt), utcPtr(r.NextAttemptAt)
	d.CreatedAt, d.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return d, nil
}
