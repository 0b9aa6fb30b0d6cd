// Package postgres is the service.Store on PostgreSQL, over the queries sqlc generates
// into gen/postgres and a pgx connection pool.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octopost/octopost/db/internal/codec"
	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

// Store implements service.Store on one PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool // nil inside a transaction
	tx   *pipeTx       // set inside a transaction
	q    *pggen.Queries
	// w runs the writes a transaction may hold back (tx.go): q itself outside one.
	w *pggen.Queries
}

var _ service.Store = (*Store)(nil)

// New returns a Store over pool.
func New(pool *pgxpool.Pool) *Store {
	q := pggen.New(pool)
	return &Store{pool: pool, q: q, w: q}
}

// InTx runs fn in a transaction at PostgreSQL's default isolation (read committed);
// GetPostForUpdate locks the rows that must not change under it. Inside fn, InTx runs in
// the same transaction. The transaction sends its statements in as few round trips as it
// can (tx.go): a write it held back that failed is returned by InTx, which rolls back,
// whatever fn returned.
func (s *Store) InTx(ctx context.Context, fn func(service.Store) error) error {
	if s.pool == nil {
		return fn(s)
	}
	tx, err := begin(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Rollback is a no-op once committed; context.WithoutCancel lets it run even when ctx
	// is what ended the transaction.
	defer tx.Rollback(context.WithoutCancel(ctx))
	err = fn(&Store{tx: tx, q: s.q.WithTx(tx), w: s.q.WithTx(heldWrites{tx})})
	if tx.failed != nil {
		return tx.failed
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) CreateUser(ctx context.Context, u service.User) error {
	err := s.q.CreateUser(ctx, pggen.CreateUserParams{ID: u.ID, Email: u.Email, CreatedAt: u.CreatedAt})
	return writeErr("create user", err)
}

func (s *Store) GetUserByEmail(ctx context.Context, email string) (service.User, error) {
	r, err := s.q.GetUserByEmail(ctx, email)
	if err != nil {
		return service.User{}, readErr("get user", err)
	}
	return userFromRow(r), nil
}

func (s *Store) CreateAPIKey(ctx context.Context, k service.APIKey) error {
	err := s.q.CreateAPIKey(ctx, pggen.CreateAPIKeyParams{
		ID:          k.ID,
		UserID:      k.UserID,
		Name:        k.Name,
		Mode:        string(k.Mode),
		Permissions: codec.List(k.Permissions),
		KeyHash:     k.Hash,
		Hint:        k.Hint,
		CreatedAt:   k.CreatedAt,
		LastUsedAt:  k.LastUsedAt,
		RevokedAt:   k.RevokedAt,
	})
	return writeErr("create api key", err)
}

func (s *Store) GetAPIKeyByHash(ctx context.Context, hash string) (service.APIKey, error) {
	r, err := s.q.GetAPIKeyByHash(ctx, hash)
	if err != nil {
		return service.APIKey{}, readErr("get api key", err)
	}
	return apiKeyFromRow(r)
}

func (s *Store) ListAPIKeys(ctx context.Context, userID string) ([]service.APIKey, error) {
	rows, err := s.q.ListAPIKeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return convertRows(rows, apiKeyFromRow)
}

func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (service.APIKey, error) {
	r, err := s.q.RevokeAPIKey(ctx, pggen.RevokeAPIKeyParams{ID: id, RevokedAt: &at})
	if err != nil {
		return service.APIKey{}, readErr("revoke api key", err)
	}
	return apiKeyFromRow(r)
}

func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time, minAge time.Duration) error {
	err := s.q.TouchAPIKey(ctx, pggen.TouchAPIKeyParams{
		ID:         id,
		LastUsedAt: &at,
		UsedBefore: new(at.Add(-minAge)),
	})
	return writeErr("touch api key", err)
}

func (s *Store) CreatePost(ctx context.Context, p service.Post) error {
	err := s.q.CreatePost(ctx, pggen.CreatePostParams{
		ID:              p.ID,
		UserID:          p.Scope.UserID,
		Mode:            string(p.Scope.Mode),
		Content:         p.Content,
		Platforms:       codec.List(p.Platforms),
		Status:          string(p.Status),
		ScheduledFor:    p.ScheduledFor,
		Media:           codec.Media(p.Media),
		Segments:        codec.Segments(p.Segments),
		PlatformOptions: codec.PlatformOptions(p.PlatformOptions),
		PlatformContent: codec.PlatformContent(p.PlatformContent),
		PresetID:        p.PresetID,
		PlatformResults: codec.PlatformResults(p.PlatformResults),
		CreatedAt:       p.CreatedAt,
		UpdatedAt:       p.UpdatedAt,
		PublishedAt:     p.PublishedAt,
		Generation:      p.Generation,
		QueueState:      string(p.Queue),
		QueuedAt:        p.QueuedAt,
	})
	return writeErr("create post", err)
}

func (s *Store) GetPost(ctx context.Context, sc service.Scope, id string) (service.Post, error) {
	r, err := s.q.GetPost(ctx, pggen.GetPostParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Post{}, readErr("get post", err)
	}
	return postFromRow(r)
}

// GetPostForUpdate reads the post with SELECT … FOR UPDATE: inside InTx, other
// transactions that lock or change it wait until this one ends.
func (s *Store) GetPostForUpdate(ctx context.Context, sc service.Scope, id string) (service.Post, error) {
	r, err := s.q.GetPostForUpdate(ctx, pggen.GetPostForUpdateParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Post{}, readErr("get post for update", err)
	}
	return postFromRow(r)
}

func (s *Store) ListPosts(ctx context.Context, sc service.Scope, f service.PostFilter) ([]service.Post, error) {
	var platform string
	if f.Platform != nil {
		platform = string(*f.Platform)
	}
	var (
		rows []pggen.Post
		err  error
	)
	if f.Status != nil {
		rows, err = s.q.ListPostsByStatus(ctx, pggen.ListPostsByStatusParams{
			UserID:   sc.UserID,
			Mode:     string(sc.Mode),
			Status:   string(*f.Status),
			BeforeID: codec.BeforeID(f.BeforeID),
			Platform: platform,
			PageSize: int32(f.Limit),
		})
	} else {
		rows, err = s.q.ListPosts(ctx, pggen.ListPostsParams{
			UserID:   sc.UserID,
			Mode:     string(sc.Mode),
			BeforeID: codec.BeforeID(f.BeforeID),
			Platform: platform,
			PageSize: int32(f.Limit),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	return convertRows(rows, postFromRow)
}

func (s *Store) UpdatePost(ctx context.Context, p service.Post) error {
	err := s.w.UpdatePost(ctx, pggen.UpdatePostParams{
		ID:              p.ID,
		UserID:          p.Scope.UserID,
		Mode:            string(p.Scope.Mode),
		Content:         p.Content,
		Platforms:       codec.List(p.Platforms),
		Status:          string(p.Status),
		ScheduledFor:    p.ScheduledFor,
		Media:           codec.Media(p.Media),
		Segments:        codec.Segments(p.Segments),
		PlatformOptions: codec.PlatformOptions(p.PlatformOptions),
		PlatformContent: codec.PlatformContent(p.PlatformContent),
		PresetID:        p.PresetID,
		PlatformResults: codec.PlatformResults(p.PlatformResults),
		UpdatedAt:       p.UpdatedAt,
		PublishedAt:     p.PublishedAt,
		Generation:      p.Generation,
		QueueState:      string(p.Queue),
		QueuedAt:        p.QueuedAt,
	})
	return checkedErr("update post", err)
}

func (s *Store) DeletePost(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeletePost(ctx, pggen.DeletePostParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete post", n, err)
}

func (s *Store) CreatePreset(ctx context.Context, p service.Preset) error {
	err := s.q.CreatePreset(ctx, pggen.CreatePresetParams{
		ID:                p.ID,
		UserID:            p.Scope.UserID,
		Mode:              string(p.Scope.Mode),
		Name:              p.Name,
		Platforms:         codec.List(p.Platforms),
		PrimaryPlatform:   (*string)(p.PrimaryPlatform),
		CrossLinkEnabled:  p.CrossLinkEnabled,
		CrossLinkTemplate: p.CrossLinkTemplate,
		IsDefault:         p.IsDefault,
		CreatedAt:         p.CreatedAt,
		UpdatedAt:         p.UpdatedAt,
	})
	return writeErr("create preset", err)
}

func (s *Store) GetPreset(ctx context.Context, sc service.Scope, id string) (service.Preset, error) {
	r, err := s.q.GetPreset(ctx, pggen.GetPresetParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Preset{}, readErr("get preset", err)
	}
	return presetFromRow(r)
}

func (s *Store) ListPresets(ctx context.Context, sc service.Scope) ([]service.Preset, error) {
	rows, err := s.q.ListPresets(ctx, pggen.ListPresetsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list presets: %w", err)
	}
	return convertRows(rows, presetFromRow)
}

func (s *Store) UpdatePreset(ctx context.Context, p service.Preset) error {
	n, err := s.q.UpdatePreset(ctx, pggen.UpdatePresetParams{
		ID:                p.ID,
		UserID:            p.Scope.UserID,
		Mode:              string(p.Scope.Mode),
		Name:              p.Name,
		Platforms:         codec.List(p.Platforms),
		PrimaryPlatform:   (*string)(p.PrimaryPlatform),
		CrossLinkEnabled:  p.CrossLinkEnabled,
		CrossLinkTemplate: p.CrossLinkTemplate,
		IsDefault:         p.IsDefault,
		UpdatedAt:         p.UpdatedAt,
	})
	return affectedErr("update preset", n, err)
}

func (s *Store) DeletePreset(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeletePreset(ctx, pggen.DeletePresetParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete preset", n, err)
}

func (s *Store) ClearDefaultPreset(ctx context.Context, sc service.Scope, at time.Time) error {
	err := s.q.ClearDefaultPreset(ctx, pggen.ClearDefaultPresetParams{
		UserID: sc.UserID, Mode: string(sc.Mode), UpdatedAt: at,
	})
	return writeErr("clear default preset", err)
}

func (s *Store) CreateWebhook(ctx context.Context, w service.Webhook) error {
	err := s.q.CreateWebhook(ctx, pggen.CreateWebhookParams{
		ID:                      w.ID,
		UserID:                  w.Scope.UserID,
		Mode:                    string(w.Scope.Mode),
		Url:                     w.URL,
		Events:                  codec.List(w.Events),
		Secret:                  w.Secret,
		IsActive:                w.IsActive,
		DisabledReason:          w.DisabledReason,
		PreviousSecret:          w.PreviousSecret,
		PreviousSecretExpiresAt: w.PreviousSecretExpiresAt,
		CreatedAt:               w.CreatedAt,
		UpdatedAt:               w.UpdatedAt,
	})
	return writeErr("create webhook", err)
}

func (s *Store) GetWebhook(ctx context.Context, sc service.Scope, id string) (service.Webhook, error) {
	r, err := s.q.GetWebhook(ctx, pggen.GetWebhookParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Webhook{}, readErr("get webhook", err)
	}
	return webhookFromRow(r)
}

func (s *Store) ListWebhooks(ctx context.Context, sc service.Scope) ([]service.Webhook, error) {
	rows, err := s.q.ListWebhooks(ctx, pggen.ListWebhooksParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return convertRows(rows, webhookFromRow)
}

func (s *Store) UpdateWebhook(ctx context.Context, w service.Webhook) error {
	n, err := s.q.UpdateWebhook(ctx, pggen.UpdateWebhookParams{
		ID:                      w.ID,
		UserID:                  w.Scope.UserID,
		Mode:                    string(w.Scope.Mode),
		Url:                     w.URL,
		Events:                  codec.List(w.Events),
		Secret:                  w.Secret,
		IsActive:                w.IsActive,
		DisabledReason:          w.DisabledReason,
		PreviousSecret:          w.PreviousSecret,
		PreviousSecretExpiresAt: w.PreviousSecretExpiresAt,
		UpdatedAt:               w.UpdatedAt,
	})
	return affectedErr("update webhook", n, err)
}

func (s *Store) DeleteWebhook(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeleteWebhook(ctx, pggen.DeleteWebhookParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete webhook", n, err)
}

// readErr maps "no rows" to service.ErrNotFound.
func readErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, service.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// uniqueViolation is PostgreSQL's SQLSTATE for a unique index or constraint violation.
const uniqueViolation = "23505"

// writeErr maps a unique-constraint violation to service.ErrDuplicate.
func writeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return fmt.Errorf("%s: %w: %v", op, service.ErrDuplicate, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// affectedErr reports service.ErrNotFound when an update or delete matched no row.
func affectedErr(op string, n int64, err error) error {
	if err != nil {
		return writeErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, service.ErrNotFound)
	}
	return nil
}
