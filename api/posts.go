package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

func (s *Server) ListPosts(ctx context.Context, req oapi.ListPostsRequestObject) (oapi.ListPostsResponseObject, error) {
	p := req.Params
	var limit int
	if p.Limit != nil {
		limit = *p.Limit
	}
	var cursor string
	if p.Cursor != nil {
		cursor = *p.Cursor
	}
	page, err := s.svc.ListPosts(ctx, scopeFrom(ctx), (*service.PostStatus)(p.Status), (*service.Platform)(p.Platform), limit, cursor)
	if err != nil {
		return nil, err
	}
	body := oapi.PostList{Posts: make([]oapi.Post, len(page.Posts)), HasMore: page.HasMore}
	for i, post := range page.Posts {
		body.Posts[i] = toPost(post)
	}
	if page.NextCursor != "" {
		body.NextCursor.Set(page.NextCursor)
	} else {
		body.NextCursor.SetNull()
	}
	return oapi.ListPosts200JSONResponse{Body: body}, nil
}

func (s *Server) CreatePost(ctx context.Context, req oapi.CreatePostRequestObject) (oapi.CreatePostResponseObject, error) {
	b := req.Body
	in := service.PostInput{Content: b.Content, ScheduledFor: b.ScheduledFor, Media: fromMedia(b.Media), PresetID: b.PresetId}
	if b.Platforms != nil {
		in.Platforms = fromPlatforms(*b.Platforms)
	}
	if b.Segments != nil {
		in.Segments = fromSegments(*b.Segments)
	}
	if b.PlatformOptions != nil {
		options, err := fromPlatformOptions(*b.PlatformOptions)
		if err != nil {
			return nil, err
		}
		in.PlatformOptions = options
	}
	if b.PlatformContent != nil {
		content, err := fromPlatformContent(*b.PlatformContent)
		if err != nil {
			return nil, err
		}
		in.PlatformContent = content
	}
	queue, _, alias, err := queueStatus(b.QueueStatus, b.QueueStatusAlias)
	if err != nil {
		return nil, err
	}
	in.Queue = queue
	post, err := s.svc.CreatePost(ctx, scopeFrom(ctx), in)
	if err != nil {
		return nil, aliasQueueProblems(err, alias)
	}
	return oapi.CreatePost201JSONResponse{Body: toPost(post)}, nil
}

func (s *Server) GetPost(ctx context.Context, req oapi.GetPostRequestObject) (oapi.GetPostResponseObject, error) {
	post, err := s.svc.GetPost(ctx, scopeFrom(ctx), req.PostId)
	if err != nil {
		return nil, err
	}
	return oapi.GetPost200JSONResponse{Body: toPost(post)}, nil
}

func (s *Server) UpdatePost(ctx context.Context, req oapi.UpdatePostRequestObject) (oapi.UpdatePostResponseObject, error) {
	b := req.Body
	var patch service.PostPatch
	if b.Content != nil {
		patch.Content = service.Some(*b.Content)
	}
	if b.Platforms != nil {
		patch.Platforms = service.Some(fromPlatforms(*b.Platforms))
	}
	if b.Media != nil {
		patch.Media = service.Some(fromMedia(b.Media))
	}
	if b.ScheduledFor.IsSpecified() {
		var at *time.Time
		if !b.ScheduledFor.IsNull() {
			t := b.ScheduledFor.MustGet()
			at = &t
		}
		patch.ScheduledFor = service.Some(at)
	}
	if b.Segments.IsSpecified() {
		var segs []service.Segment
		if !b.Segments.IsNull() {
			segs = fromSegments(b.Segments.MustGet())
		}
		patch.Segments = service.Some(segs)
	}
	if b.PlatformOptions != nil {
		options, err := fromPlatformOptions(*b.PlatformOptions)
		if err != nil {
			return nil, err
		}
		patch.PlatformOptions = service.Some(options)
	}
	if b.PlatformContent != nil {
		content, err := fromPlatformContent(*b.PlatformContent)
		if err != nil {
			return nil, err
		}
		patch.PlatformContent = service.Some(content)
	}
	if b.PresetId.IsSpecified() {
		var presetID *string
		if !b.PresetId.IsNull() {
			v := b.PresetId.MustGet()
			presetID = &v
		}
		patch.PresetID = service.Some(presetID)
	}
	queue, given, alias, err := queueStatus(b.QueueStatus, b.QueueStatusAlias)
	if err != nil {
		return nil, err
	}
	if given {
		patch.Queue = service.Some(queue)
	}
	post, err := s.svc.UpdatePost(ctx, scopeFrom(ctx), req.PostId, patch)
	if err != nil {
		return nil, aliasQueueProblems(err, alias)
	}
	return oapi.UpdatePost200JSONResponse{Body: toPost(post)}, nil
}

func (s *Server) DeletePost(ctx context.Context, req oapi.DeletePostRequestObject) (oapi.DeletePostResponseObject, error) {
	if err := s.svc.DeletePost(ctx, scopeFrom(ctx), req.PostId); err != nil {
		return nil, err
	}
	return oapi.DeletePost204Response{}, nil
}

func (s *Server) PublishPost(ctx context.Context, req oapi.PublishPostRequestObject) (oapi.PublishPostResponseObject, error) {
	post, err := s.svc.PublishPost(ctx, scopeFrom(ctx), req.PostId)
	if err != nil {
		return nil, err
	}
	return oapi.PublishPost202JSONResponse{Body: toPost(post)}, nil
}

// fromPlatformOptions returns each platform's entry of o as raw JSON, the form the service
// stores and hands to the platform's adapter.
func fromPlatformOptions(o oapi.PlatformOptions) (map[service.Platform]json.RawMessage, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encoding platform_options: %w", err)
	}
	var out map[service.Platform]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decoding platform_options: %w", err)
	}
	return out, nil
}

// toPlatformOptions returns a post's options for its response: nil, the field left out,
// when it has none. Entries are stored as the schema shaped them, so they decode; one
// that does not (written by another version) is left out rather than failing the read.
func toPlatformOptions(options map[service.Platform]json.RawMessage) *oapi.PlatformOptions {
	if len(options) == 0 {
		return nil
	}
	var out oapi.PlatformOptions
	for pl, raw := range options {
		entry, err := json.Marshal(map[service.Platform]json.RawMessage{pl: raw})
		if err != nil {
			continue
		}
		_ = json.Unmarshal(entry, &out)
	}
	return &out
}
