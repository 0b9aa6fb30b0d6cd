package sqlite

import (
	"errors"
	"fmt"
	"time"

	"github.com/octopost/octopost/db/internal/codec"
	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

// timeLayout is how timestamps are stored: UTC, fixed width, microseconds. Fixed width
// keeps string order equal to time order; microseconds are what PostgreSQL keeps too.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return new(formatTime(*t))
}

func parseTime(s string, dst *time.Time) error {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("decoding stored time: %w", err)
	}
	*dst = t
	return nil
}

func parseTimePtr(s *string, dst **time.Time) error {
	if s == nil {
		*dst = nil
		return nil
	}
	var t time.Time
	if err := parseTime(*s, &t); err != nil {
		return err
	}
	*dst = &t
	return nil
}

// nullString turns codec's nil-for-NULL bytes into a nullable TEXT parameter.
func nullString(b []byte) *string {
	if b == nil {
		return nil
	}
	return new(string(b))
}

// nullBytes turns a nullable TEXT column into codec's nil-for-NULL bytes.
func nullBytes(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func apiKeyFromRow(r sqlitegen.ApiKey) (service.APIKey, error) {
	k := service.APIKey{
		ID:     r.ID,
		UserID: r.UserID,
		Name:   r.Name,
		Mode:   service.Mode(r.Mode),
		Hash:   r.KeyHash,
		Hint:   r.Hint,
	}
	return k, rowErr("api key", errors.Join(
		codec.ParseList(r.Permissions, &k.Permissions),
		parseTime(r.CreatedAt, &k.CreatedAt),
		parseTimePtr(r.LastUsedAt, &k.LastUsedAt),
		parseTimePtr(r.RevokedAt, &k.RevokedAt),
	))
}

func postFromRow(r sqlitegen.Post) (service.Post, error) {
	p := service.Post{
		ID:         r.ID,
		Scope:      service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Content:    r.Content,
		Status:     service.PostStatus(r.Status),
		PresetID:   r.PresetID,
		Generation: r.Generation,
		Queue:      service.QueueState(r.QueueState),
	}
	return p, rowErr("post", errors.Join(
		parseTimePtr(r.QueuedAt, &p.QueuedAt),
		codec.ParseList(r.Platforms, &p.Platforms),
		parseTimePtr(r.ScheduledFor, &p.ScheduledFor),
		codec.ParseMedia(r.Media, &p.Media),
		codec.ParseSegments(nullBytes(r.Segments), &p.Segments),
		codec.ParsePlatformOptions(r.PlatformOptions, &p.PlatformOptions),
		codec.ParsePlatformContent(r.PlatformContent, &p.PlatformContent),
		codec.ParsePlatformResults(r.PlatformResults, &p.PlatformResults),
		parseTime(r.CreatedAt, &p.CreatedAt),
		parseTime(r.UpdatedAt, &p.UpdatedAt),
		parseTimePtr(r.PublishedAt, &p.PublishedAt),
	))
}

func presetFromRow(r sqlitegen.Preset) (service.Preset, error) {
	p := service.Preset{
		ID:                r.ID,
		Scope:             service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		Name:              r.Name,
		PrimaryPlatform:   (*service.Platform)(r.PrimaryPlatform),
		CrossLinkEnabled:  r.CrossLinkEnabled,
		CrossLinkTemplate: r.CrossLinkTemplate,
		IsDefault:         r.IsDefault,
	}
	return p, rowErr("preset", errors.Join(
		codec.ParseList(r.Platforms, &p.Platforms),
		parseTime(r.CreatedAt, &p.CreatedAt),
		parseTime(r.UpdatedAt, &p.UpdatedAt),
	))
}

func webhookFromRow(r sqlitegen.Webhook) (service.Webhook, error) {
	w := service.Webhook{
		ID:             r.ID,
		Scope:          service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		URL:            r.Url,
		Secret:         r.Secret,
		IsActive:       r.IsActive,
		DisabledReason: r.DisabledReason,
		PreviousSecret: r.PreviousSecret,
	}
	return w, rowErr("webhook", errors.Join(
		codec.ParseList(r.Events, &w.Events),
		parseTimePtr(r.PreviousSecretExpiresAt, &w.PreviousSecretExpiresAt),
		parseTime(r.CreatedAt, &w.CreatedAt),
		parseTime(r.UpdatedAt, &w.UpdatedAt),
	))
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
