package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/octopost/octopost/db/internal/codec"
	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

// utcPtr returns t in UTC: pgx reads timestamptz in the local time zone.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return new(t.UTC())
}

func apiKeyFromRow(r pggen.ApiKey) (service.APIKey, error) {
	k := service.APIKey{
		ID:         r.ID,
		UserID:     r.UserID,
		Name:       r.Name,
		Mode:       service.Mode(r.Mode),
		Hash:       r.KeyHash,
		Hint:       r.Hint,
		CreatedAt:  r.CreatedAt.UTC(),
		LastUsedAt: utcPtr(r.LastUsedAt),
		RevokedAt:  utcPtr(r.RevokedAt),
	}
	return k, rowErr("api key", codec.ParseList(r.Permissions, &k.Permissions))
}

func postFromRow(r pggen.Post) (service.Post, error) {
	p := service.Post{
		ID:           r.ID,
		Scope:        service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Content:      r.Content,
		Status:       service.PostStatus(r.Status),
		ScheduledFor: utcPtr(r.ScheduledFor),
		PresetID:     r.PresetID,
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
		PublishedAt:  utcPtr(r.PublishedAt),
		Generation:   r.Generation,
		Queue:        service.QueueState(r.QueueState),
		QueuedAt:     utcPtr(r.QueuedAt),
	}
	return p, rowErr("post", errors.Join(
		codec.ParseList(r.Platforms, &p.Platforms),
		codec.ParseMedia(r.Media, &p.Media),
		codec.ParseSegments(r.Segments, &p.Segments),
		codec.ParsePlatformOptions(r.PlatformOptions, &p.PlatformOptions),
		codec.ParsePlatformContent(r.PlatformContent, &p.PlatformContent),
		codec.ParsePlatformResults(r.PlatformResults, &p.PlatformResults),
	))
}

func presetFromRow(r pggen.Preset) (service.Preset, error) {
	p := service.Preset{
		ID:                r.ID,
		Scope:             service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Name:              r.Name,
		PrimaryPlatform:   (*service.Platform)(r.PrimaryPlatform),
		CrossLinkEnabled:  r.CrossLinkEnabled,
		CrossLinkTemplate: r.CrossLinkTemplate,
		IsDefault:         r.IsDefault,
		CreatedAt:         r.CreatedAt.UTC(),
		UpdatedAt:         r.UpdatedAt.UTC(),
	}
	return p, rowErr("preset", codec.ParseList(r.Platforms, &p.Platforms))
}

func webhookFromRow(r pggen.Webhook) (service.Webhook, error) {
	w := service.Webhook{
		ID:                      r.ID,
		Scope:                   service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		URL:                     r.Url,
		Secret:                  r.Secret,
		IsActive:                r.IsActive,
		DisabledReason:          r.DisabledReason,
		PreviousSecret:          r.PreviousSecret,
		PreviousSecretExpiresAt: utcPtr(r.PreviousSecretExpiresAt),
		CreatedAt:               r.CreatedAt.UTC(),
		UpdatedAt:               r.UpdatedAt.UTC(),
	}
	return w, rowErr("webhook", codec.ParseList(r.Events, &w.Events))
}

// convertRows converts every row of a listing, failing on the first that does not decode.
func convertRows[R, T any](rows []R, convert func(R) (T, error)) ([]T, error) {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		v, err := convert(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// rowErr names the kind of row that failed to decode.
func rowErr(kind string, err error) error {
	if err != nil {
		return fmt.Errorf("stored %s: %w", kind, err)
	}
	return nil
}
