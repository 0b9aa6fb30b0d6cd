package postgres

import (
	"context"
	"fmt"
	"math"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

// The store's side of sealing, at start, the webhook secrets written in plaintext before
// they were sealed: the design is in service/webhooks.go (Service.SealWebhookSecrets).

func (s *Store) ListUnsealedWebhookSecrets(ctx context.Context, prefix, afterID string, limit int) ([]service.WebhookSecrets, error) {
	rows, err := s.q.ListUnsealedWebhookSecrets(ctx, pggen.ListUnsealedWebhookSecretsParams{
		AfterID: afterID, Prefix: prefix, Batch: int32(min(limit, math.MaxInt32)),
	})
	if err != nil {
		return nil, fmt.Errorf("list unsealed webhook secrets: %w", err)
	}
	out := make([]service.WebhookSecrets, len(rows))
	for i, r := range rows {
		out[i] = service.WebhookSecrets{WebhookID: r.ID, Secret: r.Secret, PreviousSecret: r.PreviousSecret}
	}
	return out, nil
}

func (s *Store) ReplaceWebhookSecrets(ctx context.Context, from, to service.WebhookSecrets) error {
	n, err := s.q.ReplaceWebhookSecrets(ctx, pggen.ReplaceWebhookSecretsParams{
		ID:                from.WebhookID,
		Secret:            to.Secret,
		PreviousSecret:    to.PreviousSecret,
		OldSecret:         from.Secret,
		OldPreviousSecret: from.PreviousSecret,
	})
	return affectedErr("replace webhook secrets", n, err)
}
