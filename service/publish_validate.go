package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandbox"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// platformProblem is a reason a post cannot be published to one platform.
type platformProblem struct {
	platform Platform
	FieldError
}

// part is one message of a post on a platform: the post's own content, or a segment.
type part struct {
	field   string // the JSON pointer of the part in the post: "" or "/segments/N"
	content string
	media   Media
}

// parts returns the post's content followed by its thread segments.
func parts(p Post) []part {
	out := []part{{content: p.Content, media: p.Media}}
	for i, seg := range p.Segments {
		out = append(out, part{field: fmt.Sprintf("/segments/%d", i), content: seg.Content, media: seg.Media})
	}
	return out
}

func (m Media) has() (image, video bool) {
	return len(m.Images) > 0, m.Video != nil
}

// checkPublishable checks what can be known before sending p to each of targets: that the
// scope has an active account there, and that every part fits the platform's text limit
// and carries the media it requires. Each problem names the platform. accounts are the
// active accounts it found, by platform.
func (s *Service) checkPublishable(ctx context.Context, store Store, p Post, targets []Platform) (found []platformProblem, accounts map[Platform]Account, _ error) {
	accounts = make(map[Platform]Account, len(targets))
	for _, pl := range targets {
		add := func(field, format string, args ...any) {
			found = append(found, platformProblem{pl, FieldError{Field: field, Message: fmt.Sprintf(format, args...)}})
		}
		platformField := fmt.Sprintf("/platforms/%d", slices.Index(p.Platforms, pl))
		a, err := store.ActiveAccount(ctx, p.Scope, pl)
		if errors.Is(err, ErrNotFound) {
			add(platformField, "%s: no active %s account is connected", pl, pl)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		accounts[pl] = a
		spec, err := s.publishSpec(a)
		if err != nil {
			add(platformField, "%s", err.Error())
			continue
		}
		maxChars, err := s.maxChars(ctx, spec, a)
		if err != nil {
			return nil, nil, err
		}
		for _, part := range parts(p) {
			image, video := part.media.has()
			if need := spec.Media; !need.Met(image, video) {
				add(part.field+"/media", "%s: a post needs %s", pl, need)
			}
			err := spec.Text(part.content, image || video, maxChars)
			var missing *textlimit.MissingMediaError
			if err != nil && !errors.As(err, &missing) {
				add(part.field+"/content", "%s", err.Error())
			}
		}
	}
	return found, accounts, nil
}

// maxChars is a's own text limit (a Mastodon instance's), which Connect stored with its
// credentials; 0 where the platform has none and for sandbox accounts, meaning the
// platform's default.
func (s *Service) maxChars(ctx context.Context, spec platform.Spec, a Account) (int, error) {
	if spec.AccountLimit == nil || a.Credentials == nil {
		return 0, nil
	}
	creds, err := s.AccountCredentials(ctx, a)
	if err != nil {
		return 0, err
	}
	return spec.AccountLimit(creds), nil
}

// publishSpec returns the Spec of a's platform, once it is known that a's posts can go
// out: through the sandbox in test mode, through the platform's adapter in live mode.
func (s *Service) publishSpec(a Account) (platform.Spec, error) {
	if _, err := s.adapterFor(a); err != nil {
		return platform.Spec{}, err
	}
	return s.spec(a.Platform)
}

// spec returns pl's Spec from the registry the service was given.
func (s *Service) spec(pl Platform) (platform.Spec, error) {
	spec, ok := s.config.Platforms.Lookup(string(pl))
	if !ok || spec.Text == nil {
		return platform.Spec{}, fmt.Errorf("%s: publishing to %s is not available on this server", pl, pl)
	}
	return spec, nil
}

// adapterFor returns the adapter a's posts go out through. Test-mode accounts publish to
// the sandbox only, which never makes a network call and fails as a's Simulate says.
func (s *Service) adapterFor(a Account) (platform.Adapter, error) {
	if a.Scope.Mode == ModeTest {
		spec, _ := s.config.Platforms.Lookup(string(a.Platform))
		spec.ID = string(a.Platform) // named in the error when the registry lacks it
		adapter, err := sandbox.New(spec, string(a.Simulate))
		if err != nil {
			return nil, err
		}
		return adapter.As(platform.Profile{UserID: a.PlatformUserID, Username: a.Username, DisplayName: a.DisplayName}), nil
	}
	if adapter := s.config.Adapters[a.Platform]; adapter != nil {
		return adapter, nil
	}
	return nil, fmt.Errorf("%s: publishing to %s is not available on this server", a.Platform, a.Platform)
}
