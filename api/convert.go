package api

import (
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// This file is the one place where service values and API values meet.

func toPost(p service.Post) oapi.Post {
	out := oapi.Post{
		Id: p.ID, Content: p.Content, Platforms: toPlatforms(p.Platforms),
		Status: oapi.PostStatus(p.Status), Media: toMedia(p.Media),
		PlatformResults: map[string]oapi.PlatformResult{},
		CreatedAt:       p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
		ScheduledFor: nullable.NewNullNullable[time.Time](),
		PublishedAt:  nullable.NewNullNullable[time.Time](),
		PresetId:     nullable.NewNullNullable[string](),
		Segments:     nullable.NewNullNullable[[]oapi.Segment](),
		Queue:        toPostQueue(p),
	}
	if p.ScheduledFor != nil {
		out.ScheduledFor.Set(p.ScheduledFor.UTC())
	}
	if p.PublishedAt != nil {
		out.PublishedAt.Set(p.PublishedAt.UTC())
	}
	if p.PresetID != nil {
		out.PresetId.Set(*p.PresetID)
	}
	out.PlatformOptions = toPlatformOptions(p.PlatformOptions)
	out.PlatformContent = toPlatformContent(p.PlatformContent)
	if p.Segments != nil {
		segs := make([]oapi.Segment, len(p.Segments))
		for i, s := range p.Segments {
			m := toMedia(s.Media)
			segs[i] = oapi.Segment{Content: s.Content, Media: &m}
		}
		out.Segments.Set(segs)
	}
	for platform, r := range p.PlatformResults {
		res := oapi.PlatformResult{Success: r.Success}
		if r.PostID != "" {
			res.PostId = &r.PostID
		}
		if r.PostURL != "" {
			res.PostUrl = &r.PostURL
		}
		if r.Error != "" {
			res.Error = &r.Error
		}
		out.PlatformResults[string(platform)] = res
	}
	return out
}

func toPlatforms(ps []service.Platform) []oapi.Platform {
	out := make([]oapi.Platform, len(ps))
	for i, p := range ps {
		out[i] = oapi.Platform(p)
	}
	return out
}

func fromPlatforms(ps []oapi.Platform) []service.Platform {
	out := make([]service.Platform, len(ps))
	for i, p := range ps {
		out[i] = service.Platform(p)
	}
	return out
}

func toMedia(m service.Media) oapi.Media {
	images := make([]oapi.Image, len(m.Images))
	for i, img := range m.Images {
		images[i] = oapi.Image{Url: img.URL, AltText: nullable.NewNullNullable[string]()}
		if img.AltText != nil {
			images[i].AltText.Set(*img.AltText)
		}
	}
	out := oapi.Media{Images: &images, Video: nullable.NewNullNullable[oapi.Video]()}
	if m.Video != nil {
		out.Video.Set(oapi.Video{Url: m.Video.URL})
	}
	return out
}

func fromMedia(m *oapi.Media) service.Media {
	out := service.Media{Images: []service.Image{}}
	if m == nil {
		return out
	}
	if m.Images != nil {
		for _, img := range *m.Images {
			i := service.Image{URL: img.Url}
			if alt, err := img.AltText.Get(); err == nil {
				i.AltText = &alt
			}
			out.Images = append(out.Images, i)
		}
	}
	if v, err := m.Video.Get(); err == nil {
		out.Video = &service.Video{URL: v.Url}
	}
	return out
}

func fromSegments(segs []oapi.Segment) []service.Segment {
	out := make([]service.Segment, len(segs))
	for i, s := range segs {
		out[i] = service.Segment{Content: s.Content, Media: fromMedia(s.Media)}
	}
	return out
}

func toPreset(p service.Preset) oapi.Preset {
	out := oapi.Preset{
		Id: p.ID, Name: p.Name, Platforms: toPlatforms(p.Platforms),
		PrimaryPlatform:  nullable.NewNullNullable[oapi.Platform](),
		CrossLinkEnabled: p.CrossLinkEnabled, CrossLinkTemplate: p.CrossLinkTemplate,
		IsDefault: p.IsDefault, IsSystem: p.IsSystem,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
	if p.PrimaryPlatform != nil {
		out.PrimaryPlatform.Set(oapi.Platform(*p.PrimaryPlatform))
	}
	return out
}

// optionalPlatform reads a nullable platform: nil when null, ok=false when left out.
func optionalPlatform(n nullable.Nullable[oapi.Platform]) (*service.Platform, bool) {
	if !n.IsSpecified() {
		return nil, false
	}
	if n.IsNull() {
		return nil, true
	}
	p := service.Platform(n.MustGet())
	return &p, true
}

// toWebhook renders a webhook; the secret is shown in full only when reveal is set, at
// creation and rotation.
func toWebhook(w service.Webhook, reveal bool) oapi.Webhook {
	events := make([]oapi.WebhookEvent, len(w.Events))
	for i, e := range w.Events {
		events[i] = oapi.WebhookEvent(e)
	}
	secret := service.MaskSecret(w.Secret)
	if reveal {
		secret = w.Secret
	}
	return oapi.Webhook{
		Id: w.ID, Url: w.URL, Events: events, Secret: secret, IsActive: w.IsActive,
		DisabledReason: nullableString(w.DisabledReason),
		CreatedAt:      w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(),
	}
}

// nullableString renders an optional text as its value or null, never left out.
func nullableString(s *string) nullable.Nullable[string] {
	if s == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*s)
}

func fromEvents(es []oapi.WebhookEvent) []service.WebhookEvent {
	out := make([]service.WebhookEvent, len(es))
	for i, e := range es {
		out[i] = service.WebhookEvent(e)
	}
	return out
}

// toAccount renders an account. Its credentials and sandbox settings are not part of it.
func toAccount(a service.Account) oapi.Account {
	out := oapi.Account{
		Id: a.ID, Platform: oapi.Platform(a.Platform), PlatformUserId: a.PlatformUserID,
		Username: a.Username, DisplayName: a.DisplayName, IsActive: a.IsActive,
		ConnectedAt:    a.ConnectedAt.UTC(),
		AvatarUrl:      nullable.NewNullNullable[string](),
		InactiveReason: nullableString(a.InactiveReason),
		LastUsedAt:     nullable.NewNullNullable[time.Time](),
	}
	if a.AvatarURL != nil {
		out.AvatarUrl.Set(*a.AvatarURL)
	}
	if a.LastUsedAt != nil {
		out.LastUsedAt.Set(a.LastUsedAt.UTC())
	}
	return out
}
