package postgres

import (
	"context"
	"fmt"
	"time"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

func (s *Store) CreateOAuthState(ctx context.Context, st service.OAuthState) error {
	err := s.q.CreateOAuthState(ctx, pggen.CreateOAuthStateParams{
		StateHash:   st.StateHash,
		UserID:      st.Scope.UserID,
		Mode:        string(st.Scope.Mode),
		Platform:    string(st.Platform),
		RedirectUrl: st.RedirectURL,
		Verifier:    st.Verifier,
		ExpiresAt:   st.ExpiresAt,
	})
	return writeErr("create oauth state", err)
}

func (s *Store) TakeOAuthState(ctx context.Context, hash string) (service.OAuthState, error) {
	r, err := s.q.TakeOAuthState(ctx, hash)
	if err != nil {
		return service.OAuthState{}, readErr("take oauth state", err)
	}
	return service.OAuthState{
		StateHash:   r.StateHash,
		Scope:       service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Platform:    service.Platform(r.Platform),
		RedirectURL: r.RedirectUrl,
		Verifier:    r.Verifier,
		ExpiresAt:   r.ExpiresAt.UTC(),
	}, nil
}

func (s *Store) DeleteExpiredOAuthStates(ctx context.Context, now time.Time) error {
	if err := s.q.DeleteExpiredOAuthStates(ctx, now); err != nil {
		return fmt.Errorf("delete expired oauth states: %w", err)
	}
	return nil
}
