package sqlite

import (
	"context"
	"errors"
	"fmt"

	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

func (s *Store) CreateAccount(ctx context.Context, a service.Account) error {
	err := s.q.CreateAccount(ctx, sqlitegen.CreateAccountParams{
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
		ConnectedAt:    formatTime(a.ConnectedAt),
		LastUsedAt:     formatTimePtr(a.LastUsedAt),
		Credentials:    a.Credentials,
		Simulate:       simulateColumn(a.Simulate),
	})
	return writeErr("create account", err)
}

func (s *Store) GetAccount(ctx context.Context, sc service.Scope, id string) (service.Account, error) {
	r, err := s.q.GetAccount(ctx, sqlitegen.GetAccountParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Account{}, readErr("get account", err)
	}
	return accountFromRow(r)
}

func (s *Store) ListAccounts(ctx context.Context, sc service.Scope) ([]service.Account, error) {
	rows, err := s.q.ListAccounts(ctx, sqlitegen.ListAccountsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return convertRows(rows, accountFromRow)
}

func (s *Store) ActiveAccount(ctx context.Context, sc service.Scope, platform service.Platform) (service.Account, error) {
	r, err := s.q.ActiveAccount(ctx, sqlitegen.ActiveAccountParams{
		UserID: sc.UserID, Mode: string(sc.Mode), Platform: string(platform),
	})
	if err != nil {
		return service.Account{}, readErr("active account", err)
	}
	return accountFromRow(r)
}

func (s *Store) UpdateAccount(ctx context.Context, a service.Account) error {
	n, err := s.q.UpdateAccount(ctx, sqlitegen.UpdateAccountParams{
		ID:             a.ID,
		UserID:         a.Scope.UserID,
		Mode:           string(a.Scope.Mode),
		PlatformUserID: a.PlatformUserID,
		Username:       a.Username,
		DisplayName:    a.DisplayName,
		AvatarUrl:      a.AvatarURL,
		IsActive:       a.IsActive,
		InactiveReason: a.InactiveReason,
		LastUsedAt:     formatTimePtr(a.LastUsedAt),
		Credentials:    a.Credentials,
		Simulate:       simulateColumn(a.Simulate),
	})
	return affectedErr("update account", n, err)
}

func (s *Store) DeleteAccount(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeleteAccount(ctx, sqlitegen.DeleteAccountParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete account", n, err)
}

func (s *Store) AddEvent(ctx context.Context, e service.Event) error {
	err := s.q.AddEvent(ctx, sqlitegen.AddEventParams{
		ID:        e.ID,
		UserID:    e.Scope.UserID,
		Mode:      string(e.Scope.Mode),
		Type:      string(e.Type),
		Data:      string(e.Data),
		CreatedAt: formatTime(e.CreatedAt),
	})
	return writeErr("add event", err)
}

func (s *Store) ListEvents(ctx context.Context, sc service.Scope) ([]service.Event, error) {
	rows, err := s.q.ListEvents(ctx, sqlitegen.ListEventsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return convertRows(rows, eventFromRow)
}

// simulateColumn stores a live account's empty Simulate as NULL.
func simulateColumn(s service.Simulate) *string {
	if s == "" {
		return nil
	}
	return new(string(s))
}

func accountFromRow(r sqlitegen.Account) (service.Account, error) {
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
		Credentials:    r.Credentials,
	}
	if r.Simulate != nil {
		a.Simulate = service.Simulate(*r.Simulate)
	}
	return a, rowErr("account", errors.Join(
		parseTime(r.ConnectedAt, &a.ConnectedAt),
		parseTimePtr(r.LastUsedAt, &a.LastUsedAt),
	))
}

func eventFromRow(r sqlitegen.Event) (service.Event, error) {
	e := service.Event{
		ID:    r.ID,
		Scope: service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Type:  service.EventType(r.Type),
		Data:  []byte(r.Data),
	}
	return e, rowErr("event", parseTime(r.CreatedAt, &e.CreatedAt))
}
