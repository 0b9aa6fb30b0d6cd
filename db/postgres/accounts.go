package postgres

import (
	"context"
	"fmt"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

func (s *Store) CreateAccount(ctx context.Context, a service.Account) error {
	err := s.q.CreateAccount(ctx, pggen.CreateAccountParams{
		ID:             a.ID,
		UserID:         a.Scope.UserID,
		Mode:           string(a.Scope.Mode),
		Platform:       string(a.Platform),
		PlatformUserID: a.PlatformUserID,
		Username:       a.Username,
		DisplayName:    a.DisplayName,
		AvatarUrl:      a.AvatarURL,
		IsActive:       a.IsActive,
		InactiveReason: a.InactiveReason,
		ConnectedAt:    a.ConnectedAt,
		LastUsedAt:     a.LastUsedAt,
		Credentials:    a.Credentials,
		Simulate:       simulateColumn(a.Simulate),
	})
	return writeErr("create account", err)
}

func (s *Store) GetAccount(ctx context.Context, sc service.Scope, id string) (service.Account, error) {
	r, err := s.q.GetAccount(ctx, pggen.GetAccountParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Account{}, readErr("get account", err)
	}
	return accountFromRow(r), nil
}

func (s *Store) ListAccounts(ctx context.Context, sc service.Scope) ([]service.Account, error) {
	rows, err := s.q.ListAccounts(ctx, pggen.ListAccountsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out := make([]service.Account, len(rows))
	for i, r := range rows {
		out[i] = accountFromRow(r)
	}
	return out, nil
}

func (s *Store) ActiveAccount(ctx context.Context, sc service.Scope, platform service.Platform) (service.Account, error) {
	r, err := s.q.ActiveAccount(ctx, pggen.ActiveAccountParams{
		UserID: sc.UserID, Mode: string(sc.Mode), Platform: string(platform),
	})
	if err != nil {
		return service.Account{}, readErr("active account", err)
	}
	return accountFromRow(r), nil
}

func (s *Store) UpdateAccount(ctx context.Context, a service.Account) error {
	err := s.w.UpdateAccount(ctx, pggen.UpdateAccountParams{
		ID:             a.ID,
		UserID:         a.Scope.UserID,
		Mode:           string(a.Scope.Mode),
		PlatformUserID: a.PlatformUserID,
		Username:       a.Username,
		DisplayName:    a.DisplayName,
		AvatarUrl:      a.AvatarURL,
		IsActive:       a.IsActive,
		InactiveReason: a.InactiveReason,
		LastUsedAt:     a.LastUsedAt,
		Credentials:    a.Credentials,
		Simulate:       simulateColumn(a.Simulate),
	})
	return checkedErr("update account", err)
}

func (s *Store) DeleteAccount(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeleteAccount(ctx, pggen.DeleteAccountParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete account", n, err)
}

func (s *Store) AddEvent(ctx context.Context, e service.Event) error {
	err := s.w.AddEvent(ctx, pggen.AddEventParams{
		ID:        e.ID,
		UserID:    e.Scope.UserID,
		Mode:      string(e.Scope.Mode),
		Type:      string(e.Type),
		Data:      e.Data,
		CreatedAt: e.CreatedAt,
	})
	return writeErr("add event", err)
}

func (s *Store) ListEvents(ctx context.Context, sc service.Scope) ([]service.Event, error) {
	rows, err := s.q.ListEvents(ctx, pggen.ListEventsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out := make([]service.Event, len(rows))
	for i, r := range rows {
		out[i] = service.Event{
			ID:        r.ID,
			Scope:     service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
			Type:      service.EventType(r.Type),
			Data:      r.Data,
			CreatedAt: r.CreatedAt.UTC(),
		}
	}
	return out, nil
}

// simulateColumn stores a live account's empty Simulate as NULL.
func simulateColumn(s service.Simulate) *string {
	if s == "" {
		return nil
	}
	return new(string(s))
}

func accountFromRow(r pggen.Account) service.Account {
	a := service.Account{
		ID:             r.ID,
		Scope:          service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Platform:       service.Platform(r.Platform),
		PlatformUserID: r.PlatformUserID,
		Username:       r.Username,
		DisplayName:    r.DisplayName,
		AvatarURL:      r.AvatarUrl,
		IsActive:       r.IsActive,
		InactiveReason: r.InactiveReason,
		ConnectedAt:    r.ConnectedAt.UTC(),
		LastUsedAt:     utcPtr(r.LastUsedAt),
		Credentials:    r.Credentials,
	}
	if r.Simulate != nil {
		a.Simulate = service.Simulate(*r.Simulate)
	}
	return a
}
