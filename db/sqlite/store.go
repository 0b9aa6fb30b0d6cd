// Package sqlite is the service.Store on SQLite, over the queries sqlc generates into
// gen/sqlite. Open the database with db.Open, which sets the connection options this
// store relies on (WAL, busy timeout, foreign keys, immediate write transactions).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/octopost/octopost/db/internal/codec"
	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

// Store implements service.Store on one SQLite database.
type Store struct {
	db    *sql.DB // nil inside a transaction
	tx    *sql.Tx // set inside a transaction
	stmts *stmtCache
	q     *sqlitegen.Queries
	// counts are the rate-limit windows, kept in the process (ratelimit.go).
	counts *requestCounts
}

var _ service.Store = (*Store)(nil)

// New returns a Store over db, a pool opened with the modernc.org/sqlite driver and the
// options db.Open sets. Close it before closing db.
func New(db *sql.DB) *Store {
	stmts := &stmtCache{db: db}
	return &Store{db: db, stmts: stmts, q: sqlitegen.New(poolStmts{stmts}), counts: newRequestCounts()}
}

// Close releases the store's prepared statements.
func (s *Store) Close() error {
	return s.stmts.close()
}

// InTx runs fn in a transaction. The connection opens write transactions with BEGIN
// IMMEDIATE, so transactions that write are serialised from their start and never fail
// on a lock upgrade. Inside fn, InTx runs in the same transaction.
func (s *Store) InTx(ctx context.Context, fn func(service.Store) error) error {
	if s.db == nil {
		return fn(s)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	if err := fn(&Store{tx: tx, stmts: s.stmts, q: sqlitegen.New(txStmts{s.stmts, tx}), counts: s.counts}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) CreateUser(ctx context.Context, u service.User) error {
	err := s.q.CreateUser(ctx, sqlitegen.CreateUserParams{
		ID: u.ID, Email: u.Email, CreatedAt: formatTime(u.CreatedAt),
	})
	return writeErr("create user", err)
}

func (s *Store) GetUserByEmail(ctx context.Context, email string) (service.User, error) {
	r, err := s.q.GetUserByEmail(ctx, email)
	if err != nil {
		return service.User{}, readErr("get user", err)
	}
	return userFromRow(r)
}

func (s *Store) CreateAPIKey(ctx context.Context, k service.APIKey) error {
	err := s.q.CreateAPIKey(ctx, sqlitegen.CreateAPIKeyParams{
		ID:          k.ID,
		UserID:      k.UserID,
		Name:        k.Name,
		Mode:        string(k.Mode),
		Permissions: string(codec.List(k.Permissions)),
		KeyHash:     k.Hash,
		Hint:        k.Hint,
		CreatedAt:   formatTime(k.CreatedAt),
		LastUsedAt:  formatTimePtr(k.LastUsedAt),
		RevokedAt:   formatTimePtr(k.RevokedAt),
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
	r, err := s.q.RevokeAPIKey(ctx, sqlitegen.RevokeAPIKeyParams{ID: id, RevokedAt: new(formatTime(at))})
	if err != nil {
		return service.APIKey{}, readErr("revoke api key", err)
	}
	return apiKeyFromRow(r)
}

func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time, minAge time.Duration) error {
	err := s.q.TouchAPIKey(ctx, sqlitegen.TouchAPIKeyParams{
		ID:         id,
		LastUsedAt: new(formatTime(at)),
		UsedBefore: new(formatTime(at.Add(-minAge))),
	})
	return writeErr("touch api key", err)
}

func (s *Store) CreatePost(ctx context.Context, p service.Post) error {
	err := s.q.CreatePost(ctx, sqlitegen.CreatePostParams{
		ID:              p.ID,
		UserID:          p.Scope.UserID,
		Mode:            string(p.Scope.Mode),
		Content:         p.Content,
		Platforms:       string(codec.List(p.Platforms)),
		Status:          string(p.Status),
		ScheduledFor:    formatTimePtr(p.ScheduledFor),
		Media:           string(codec.Media(p.Media)),
		Segments:        nullString(codec.Segments(p.Segments)),
		PlatformOptions: codec.PlatformOptions(p.PlatformOptions),
		PlatformContent: string(codec.PlatformContent(p.PlatformContent)),
		PresetID:        p.PresetID,
		PlatformResults: string(codec.PlatformResults(p.PlatformResults)),
		CreatedAt:       formatTime(p.CreatedAt),
		UpdatedAt:       formatTime(p.UpdatedAt),
		PublishedAt:     formatTimePtr(p.PublishedAt),
		Generation:      p.Generation,
		QueueState:      string(p.Queue),
		QueuedAt:        formatTimePtr(p.QueuedAt),
	})
	return writeErr("create post", err)
}

func (s *Store) GetPost(ctx context.Context, sc service.Scope, id string) (service.Post, error) {
	r, err := s.q.GetPost(ctx, sqlitegen.GetPostParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Post{}, readErr("get post", err)
	}
	return postFromRow(r)
}

// GetPostForUpdate is GetPost: inside InTx the transaction already holds SQLite's write
// lock (BEGIN IMMEDIATE), so no other writer can change the post until it ends.
func (s *Store) GetPostForUpdate(ctx context.Context, sc service.Scope, id string) (service.Post, error) {
	return s.GetPost(ctx, sc, id)
}

func (s *Store) ListPosts(ctx context.Context, sc service.Scope, f service.PostFilter) ([]service.Post, error) {
	var platform string
	if f.Platform != nil {
		platform = string(*f.Platform)
	}
	var (
		rows []sqlitegen.Post
		err  error
	)
	if f.Status != nil {
		rows, err = s.q.ListPostsByStatus(ctx, sqlitegen.ListPostsByStatusParams{
			UserID:   sc.UserID,
			Mode:     string(sc.Mode),
			Status:   string(*f.Status),
			BeforeID: codec.BeforeID(f.BeforeID),
			Platform: platform,
			PageSize: int64(f.Limit),
		})
	} else {
		rows, err = s.q.ListPosts(ctx, sqlitegen.ListPostsParams{
			UserID:   sc.UserID,
			Mode:     string(sc.Mode),
			BeforeID: codec.BeforeID(f.BeforeID),
			Platform: platform,
			PageSize: int64(f.Limit),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	return convertRows(rows, postFromRow)
}

func (s *Store) UpdatePost(ctx context.Context, p service.Post) error {
	n, err := s.q.UpdatePost(ctx, sqlitegen.UpdatePostParams{
		ID:              p.ID,
		UserID:          p.Scope.UserID,
		Mode:            string(p.Scope.Mode),
		Content:         p.Content,
		Platforms:       string(codec.List(p.Platforms)),
		Status:          string(p.Status),
		ScheduledFor:    formatTimePtr(p.ScheduledFor),
		Media:           string(codec.Media(p.Media)),
		Segments:        nullString(codec.Segments(p.Segments)),
		PlatformOptions: codec.PlatformOptions(p.PlatformOptions),
		PlatformContent: string(codec.PlatformContent(p.PlatformContent)),
		PresetID:        p.PresetID,
		PlatformResults: string(codec.PlatformResults(p.PlatformResults)),
		UpdatedAt:       formatTime(p.UpdatedAt),
		PublishedAt:     formatTimePtr(p.PublishedAt),
		Generation:      p.Generation,
		QueueState:      string(p.Queue),
		QueuedAt:        formatTimePtr(p.QueuedAt),
	})
	return affectedErr("update post", n, err)
}

func (s *Store) DeletePost(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeletePost(ctx, sqlitegen.DeletePostParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete post", n, err)
}

func (s *Store) CreatePreset(ctx context.Context, p service.Preset) error {
	err := s.q.CreatePreset(ctx, sqlitegen.CreatePresetParams{
		ID:                p.ID,
		UserID:            p.Scope.UserID,
		Mode:              string(p.Scope.Mode),
		Name:              p.Name,
		Platforms:         string(codec.List(p.Platforms)),
		PrimaryPlatform:   (*string)(p.PrimaryPlatform),
		CrossLinkEnabled:  p.CrossLinkEnabled,
		CrossLinkTemplate: p.CrossLinkTemplate,
		IsDefault:         p.IsDefault,
		CreatedAt:         formatTime(p.CreatedAt),
		UpdatedAt:         formatTime(p.UpdatedAt),
	})
	return writeErr("create preset", err)
}

func (s *Store) GetPreset(ctx context.Context, sc service.Scope, id string) (service.Preset, error) {
	r, err := s.q.GetPreset(ctx, sqlitegen.GetPresetParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Preset{}, readErr("get preset", err)
	}
	return presetFromRow(r)
}

func (s *Store) ListPresets(ctx context.Context, sc service.Scope) ([]service.Preset, error) {
	rows, err := s.q.ListPresets(ctx, sqlitegen.ListPresetsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list presets: %w", err)
	}
	return convertRows(rows, presetFromRow)
}

func (s *Store) UpdatePreset(ctx context.Context, p service.Preset) error {
	n, err := s.q.UpdatePreset(ctx, sqlitegen.UpdatePresetParams{
		ID:                p.ID,
		UserID:            p.Scope.UserID,
		Mode:              string(p.Scope.Mode),
		Name:              p.Name,
		Platforms:         string(codec.List(p.Platforms)),
		PrimaryPlatform:   (*string)(p.PrimaryPlatform),
		CrossLinkEnabled:  p.CrossLinkEnabled,
		CrossLinkTemplate: p.CrossLinkTemplate,
		IsDefault:         p.IsDefault,
		UpdatedAt:         formatTime(p.UpdatedAt),
	})
	return affectedErr("update preset", n, err)
}

func (s *Store) DeletePreset(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeletePreset(ctx, sqlitegen.DeletePresetParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete preset", n, err)
}

func (s *Store) ClearDefaultPreset(ctx context.Context, sc service.Scope, at time.Time) error {
	err := s.q.ClearDefaultPreset(ctx, sqlitegen.ClearDefaultPresetParams{
		UserID: sc.UserID, Mode: string(sc.Mode), UpdatedAt: formatTime(at),
	})
	return writeErr("clear default preset", err)
}

func (s *Store) CreateWebhook(ctx context.Context, w service.Webhook) error {
	err := s.q.CreateWebhook(ctx, sqlitegen.CreateWebhookParams{
		ID:                      w.ID,
		UserID:                  w.Scope.UserID,
		Mode:                    string(w.Scope.Mode),
		Url:                     w.URL,
		Events:                  string(codec.List(w.Events)),
		Secret:                  w.Secret,
		IsActive:                w.IsActive,
		DisabledReason:          w.DisabledReason,
		PreviousSecret:          w.PreviousSecret,
		PreviousSecretExpiresAt: formatTimePtr(w.PreviousSecretExpiresAt),
		CreatedAt:               formatTime(w.CreatedAt),
		UpdatedAt:               formatTime(w.UpdatedAt),
	})
	return writeErr("create webhook", err)
}

func (s *Store) GetWebhook(ctx context.Context, sc service.Scope, id string) (service.Webhook, error) {
	r, err := s.q.GetWebhook(ctx, sqlitegen.GetWebhookParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Webhook{}, readErr("get webhook", err)
	}
	return webhookFromRow(r)
}

func (s *Store) ListWebhooks(ctx context.Context, sc service.Scope) ([]service.Webhook, error) {
	rows, err := s.q.ListWebhooks(ctx, sqlitegen.ListWebhooksParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return convertRows(rows, webhookFromRow)
}

func (s *Store) UpdateWebhook(ctx context.Context, w service.Webhook) error {
	n, err := s.q.UpdateWebhook(ctx, sqlitegen.UpdateWebhookParams{
		ID:                      w.ID,
		UserID:                  w.Scope.UserID,
		Mode:                    string(w.Scope.Mode),
		Url:                     w.URL,
		Events:                  string(codec.List(w.Events)),
		Secret:                  w.Secret,
		IsActive:                w.IsActive,
		DisabledReason:          w.DisabledReason,
		PreviousSecret:          w.PreviousSecret,
		PreviousSecretExpiresAt: formatTimePtr(w.PreviousSecretExpiresAt),
		UpdatedAt:               formatTime(w.UpdatedAt),
	})
	return affectedErr("update webhook", n, err)
}

func (s *Store) DeleteWebhook(ctx context.Context, sc service.Scope, id string) error {
	n, err := s.q.DeleteWebhook(ctx, sqlitegen.DeleteWebhookParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	return affectedErr("delete webhook", n, err)
}

// readErr maps "no rows" to service.ErrNotFound.
func readErr(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, service.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// writeErr maps a unique-constraint violation to service.ErrDuplicate.
func writeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w: %v", op, service.ErrDuplicate, err)
		}
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
