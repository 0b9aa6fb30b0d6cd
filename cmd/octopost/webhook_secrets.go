package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/octopost/octopost/service"
)

// sealWebhookSecrets seals, before serve listens, the webhook signing secrets that rows
// written before sealing still hold in plaintext (service.Service.SealWebhookSecrets:
// batched, idempotent, safe with several instances starting at once), and logs how many
// webhooks it sealed, never a secret. A failure stops serve: it means the database or the
// key is not usable, and serving would fail on the same rows anyway.
func sealWebhookSecrets(ctx context.Context, svc *service.Service, logger *slog.Logger) error {
	sealed, err := svc.SealWebhookSecrets(ctx, service.WebhookSealBatch)
	if sealed > 0 {
		logger.Info("sealed webhook signing secrets stored in plaintext", "webhooks", sealed)
	}
	if err != nil {
		return fmt.Errorf("seal webhook secrets: %w", err)
	}
	return nil
}
