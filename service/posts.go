package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/octopost/octopost/service/id"
)

const (
	maxScheduleAhead = 365 * 24 * time.Hour
	defaultPageSize  = 20
	maxPageSize      = 100
)

// PostInput is a new post as the caller sent it. A nil Platforms means "take the preset's".
type PostInput struct {
	Content      string
	Platforms    []Platform
	ScheduledFor *time.Time
	Media        Media
	Segments     []Segment
	PresetID     *string
	// PlatformOptions are the platform_options, each platform's entry as the caller gave it.
	PlatformOptions map[Platform]json.RawMessage
	// PlatformContent is the platform_content, each platform's own text and media.
	PlatformContent map[Platform]PlatformContent
	// Queue puts the post in the queue (queued or pending) instead of giving it a time.
	Queue QueueState
}

// PostPatch is a partial update of a post: only the fields that are Set change.
type PostPatch struct {
	Content      Optional[string]
	Platforms    Optional[[]Platform]
	ScheduledFor Optional[*time.Time] // Set with nil unschedules
	Media        Optional[Media]
	Segments     Optional[[]Segment]
	PresetID     Optional[*string]
	// PlatformOptions replaces all of the post's options; empty removes them.
	PlatformOptions Optional[map[Platform]json.RawMessage]
	// PlatformContent replaces all of the post's platform_content; empty removes it.
	PlatformContent Optional[map[Platform]PlatformContent]
	// Queue puts the post in the queue, or changes its state there (queue.go: requeue).
	Queue Optional[QueueState]
}

// PostPage is one page of a post listing.
type PostPage struct {
	Posts      []Post
	HasMore    bool
	NextCursor string // empty on the last page
}

// CreatePost stores a new draft, or a scheduled post when ScheduledFor is given.
func (s *Service) CreatePost(ctx context.Context, scope Scope, in PostInput) (Post, error) {
	now := s.clock.Now()
	var problems Problems
	platforms := in.Platforms
	if in.PresetID != nil {
		preset, err := s.GetPreset(ctx, scope, *in.PresetID)
		switch {
		case isKind(err, KindNotFound):
			problems.Add("/preset_id", "no preset with this id")
		case err != nil:
			return Post{}, err
		case platforms == nil:
			platforms = preset.Platforms
		}
	} else if platforms == nil {
		problems.Add("/platforms", "is required unless preset_id is given")
	}
	s.checkSchedule(&problems, "/scheduled_for", in.ScheduledFor, now)
	checkQueueInput(&problems, in.Queue, in.ScheduledFor)
	p := Post{
		ID: id.New(id.Post), Scope: scope, Content: in.Content, Platforms: platforms,
		Status: PostDraft, ScheduledFor: in.ScheduledFor, Media: in.Media, Segments: in.Segments,
		PresetID: in.PresetID, PlatformOptions: someOptions(in.PlatformOptions),
		PlatformContent: someContent(in.PlatformContent),
		PlatformResults: map[Platform]PlatformResult{}, CreatedAt: now, UpdatedAt: now,
	}
	if platforms != nil {
		checkPlatformContent(&problems, p)
		s.checkOptions(&problems, p)
	}
	if err := problems.Err(); err != nil {
		return Post{}, err
	}
	if p.ScheduledFor != nil {
		p.Status = PostScheduled
		p.Generation = 1
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if in.Queue != QueueNone {
			if err := enterQueue(ctx, tx, &p, in.Queue, now); err != nil {
				return err
			}
		}
		if err := tx.CreatePost(ctx, p); err != nil {
			return err
		}
		if p.Status == PostScheduled {
			return s.scheduled(ctx, tx, p)
		}
		return nil
	})
	if err != nil {
		return Post{}, err
	}
	return s.placed(ctx, p)
}

func (s *Service) checkSchedule(problems *Problems, field string, at *time.Time, now time.Time) {
	switch {
	case at == nil:
	case !at.After(now):
		problems.Add(field, "must be in the future")
	case at.Sub(now) > maxScheduleAhead:
		problems.Add(field, "must be at most 365 days ahead")
	}
}

// GetPost returns one of the scope's posts.
func (s *Service) GetPost(ctx context.Context, scope Scope, postID string) (Post, error) {
	p, err := s.store.GetPost(ctx, scope, postID)
	if errors.Is(err, ErrNotFound) {
		return Post{}, NotFound("Post")
	}
	if err != nil {
		return Post{}, err
	}
	return s.placed(ctx, p)
}

// ListPosts returns a page of the scope's posts, newest first. cursor is the NextCursor of
// the previous page, or empty for the first.
func (s *Service) ListPosts(ctx context.Context, scope Scope, status *PostStatus, platform *Platform, limit int, cursor string) (PostPage, error) {
	if limit == 0 {
		limit = defaultPageSize
	}
	var problems Problems
	if limit < 1 || limit > maxPageSize {
		problems.Add("limit", "must be between 1 and %d", maxPageSize)
	}
	before, ok := decodeCursor(cursor)
	if !ok {
		problems.Add("cursor", "is not a cursor returned by this API")
	}
	if err := problems.Err(); err != nil {
		return PostPage{}, err
	}
	posts, err := s.store.ListPosts(ctx, scope, PostFilter{Status: status, Platform: platform, BeforeID: before, Limit: limit + 1})
	if err != nil {
		return PostPage{}, err
	}
	page := PostPage{Posts: posts}
	if len(posts) > limit {
		page.Posts, page.HasMore = posts[:limit], true
		page.NextCursor = encodeCursor(page.Posts[limit-1].ID)
	}
	if err := s.placeInQueue(ctx, scope, page.Posts); err != nil {
		return PostPage{}, err
	}
	return page, nil
}

// Cursors are opaque to callers: the last id of the page, base64url-encoded, so that
// nobody builds them by hand and the encoding can change later.
func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// PostsCreatedBefore returns a ListPosts cursor whose page starts with the posts created
// before t: a view of a past month (the dashboard's calendar) skips every newer post
// without reading it. Ids sort by creation time (package id), so an id made at t is the
// keyset's bound.
func PostsCreatedBefore(t time.Time) string {
	g := &id.Generator{Now: func() time.Time { return t }}
	return encodeCursor(g.New(id.Post))
}

func decodeCursor(cursor string) (string, bool) {
	if cursor == "" {
		return "", true
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !id.Valid(id.Post, string(raw)) {
		return "", false
	}
	return string(raw), true
}

// UpdatePost applies patch to a post that has not been published yet.
func (s *Service) UpdatePost(ctx context.Context, scope Scope, postID string, patch PostPatch) (Post, error) {
	var updated Post
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, scope, postID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Post")
		}
		if err != nil {
			return err
		}
		switch p.Status {
		case PostPublished:
			return Conflict("Post has already been published and cannot be modified")
		case PostPublishing:
			return Conflict("Post is being published and cannot be modified")
		}
		now := s.clock.Now()
		was := p
		var problems Problems
		if patch.Content.Set {
			p.Content = patch.Content.Value
		}
		if patch.Media.Set {
			p.Media = patch.Media.Value
		}
		if patch.Segments.Set {
			p.Segments = patch.Segments.Value
		}
		if patch.Platforms.Set {
			p.Platforms = patch.Platforms.Value
		}
		if patch.PresetID.Set {
			p.PresetID = patch.PresetID.Value
			if p.PresetID != nil {
				preset, err := s.getPreset(ctx, tx, scope, *p.PresetID)
				switch {
				case isKind(err, KindNotFound):
					problems.Add("/preset_id", "no preset with this id")
				case err != nil:
					return err
				case !patch.Platforms.Set:
					p.Platforms = preset.Platforms
				}
			}
		}
		if patch.PlatformOptions.Set {
			p.PlatformOptions = someOptions(patch.PlatformOptions.Value)
		}
		if patch.PlatformContent.Set {
			p.PlatformContent = someContent(patch.PlatformContent.Value)
		}
		checkPlatformContent(&problems, p)
		// The options are checked against the post as it will be: its platforms, and the
		// first part an entry may depend on (an Instagram carousel's images).
		s.checkOptions(&problems, p)
		if patch.ScheduledFor.Set {
			at := patch.ScheduledFor.Value
			s.checkSchedule(&problems, "/scheduled_for", at, now)
			p.ScheduledFor = at
			switch {
			case at != nil:
				p.Status = PostScheduled
			case p.Status == PostScheduled:
				p.Status = PostDraft
			}
		}
		checkQueueInput(&problems, patch.Queue.Value, patch.ScheduledFor.Value)
		if err := problems.Err(); err != nil {
			return err
		}
		if err := requeue(ctx, tx, &p, was, patch.Queue, now); err != nil {
			return err
		}
		p.UpdatedAt = now
		// A changed schedule retires the job of the old one: it is cancelled, and should it
		// fire anyway, the new generation makes it a no-op.
		rescheduled := p.Status != was.Status || !sameTime(p.ScheduledFor, was.ScheduledFor)
		if rescheduled {
			p.Generation++
			if err := s.unscheduled(ctx, tx, was); err != nil {
				return err
			}
		}
		if err := tx.UpdatePost(ctx, p); err != nil {
			return err
		}
		if rescheduled && p.Status == PostScheduled {
			if err := s.scheduled(ctx, tx, p); err != nil {
				return err
			}
		}
		updated = p
		return nil
	})
	if err != nil {
		return Post{}, err
	}
	return s.placed(ctx, updated)
}

// DeletePost removes a post from Octopost (not from the platforms it went out on).
func (s *Service) DeletePost(ctx context.Context, scope Scope, postID string) error {
	return s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, scope, postID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Post")
		}
		if err != nil {
			return err
		}
		if p.Status == PostPublishing {
			return Conflict("Post is being published and cannot be deleted")
		}
		if err := s.unscheduled(ctx, tx, p); err != nil {
			return err
		}
		return tx.DeletePost(ctx, scope, postID)
	})
}

// someOptions is options, or nil when there are none: a post without options has none, not
// an empty set.
func someOptions(options map[Platform]json.RawMessage) map[Platform]json.RawMessage {
	if len(options) == 0 {
		return nil
	}
	return options
}

func isKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
