package service

import (
	"context"
	"encoding/json"
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

// part is one message of a post on a platform: the post's own content, or a segment, or a
// platform's own content in place of the post's (partsFor).
type part struct {
	// contentField and mediaField are the JSON pointers of the part's content and media in
	// the post: "/content", "/segments/N/media", "/platform_content/x/content", …
	contentField, mediaField string
	content                  string
	media                    Media
}

// parts returns the post's content followed by its thread segments.
func parts(p Post) []part {
	out := []part{{contentField: "/content", mediaField: "/media", content: p.Content, media: p.Media}}
	for i, seg := range p.Segments {
		at := fmt.Sprintf("/segments/%d", i)
		out = append(out, part{contentField: at + "/content", mediaField: at + "/media", content: seg.Content, media: seg.Media})
	}
	return out
}

func (m Media) has() (image, video bool) {
	return len(m.Images) > 0, m.Video != nil
}

// platformPost is part as the platform's adapter is given it, with options, the
// platform's entry of the post's platform_options (nil for none).
func platformPost(part part, options json.RawMessage) platform.Post {
	post := platform.Post{Text: part.content, Options: options}
	for _, img := range part.media.Images {
		post.Images = append(post.Images, platform.Image{URL: img.URL, AltText: deref(img.AltText)})
	}
	if part.media.Video != nil {
		post.VideoURL = part.media.Video.URL
	}
	return post
}

// checkOptions adds what is wrong with p's platform_options to problems, entry by entry in
// the order of Platforms: each entry must be for one of the post's platforms, and the
// platform's Spec.Options must accept it. It runs wherever the post's platforms are known:
// when a post is created or updated (a preset's platforms are the post's from then on),
// and again for each platform a publish goes to (checkPublishable).
func (s *Service) checkOptions(problems *Problems, p Post) {
	for _, pl := range Platforms {
		if _, ok := p.PlatformOptions[pl]; !ok {
			continue
		}
		if !slices.Contains(p.Platforms, pl) {
			problems.Add(optionsField(pl), "%s is not one of this post's platforms", pl)
			continue
		}
		*problems = append(*problems, s.optionProblems(p, pl)...)
	}
}

// optionProblems returns what pl's Spec.Options finds wrong with pl's entry of p's
// platform_options, checked against the post's first part as pl gets it; nil when the entry is fine, when
// there is none, and for a platform without options (the contract's schema has already
// shaped the entry).
func (s *Service) optionProblems(p Post, pl Platform) []FieldError {
	raw, ok := p.PlatformOptions[pl]
	if !ok {
		return nil
	}
	spec, ok := s.config.Platforms.Lookup(string(pl))
	if !ok || spec.Options == nil {
		return nil
	}
	var out []FieldError
	for _, problem := range spec.Options(raw, platformPost(partsFor(p, pl)[0], raw)) {
		out = append(out, FieldError{Field: optionsField(pl) + problem.Path, Message: problem.Message})
	}
	return out
}

func optionsField(pl Platform) string { return "/platform_options/" + string(pl) }

// refuse splits targets into those found has no problem with and the refused ones, each
// with its problems' messages joined: what a publish nobody waits for (a scheduled or
// queued post) does with the platforms PublishPost would refuse.
func refuse(targets []Platform, found []platformProblem) (ok []Platform, rejected map[Platform]string) {
	rejected = map[Platform]string{}
	for _, f := range found {
		if why, seen := rejected[f.platform]; seen {
			rejected[f.platform] = why + "; " + f.Message
		} else {
			rejected[f.platform] = f.Message
		}
	}
	ok = slices.DeleteFunc(targets, func(pl Platform) bool { _, bad := rejected[pl]; return bad })
	return ok, rejected
}

// checkPublishable checks what can be known before sending p to each of targets: that the
// scope has an active account there, that the platform accepts its entry of the post's
// platform_options, and that every part, as the platform gets it (its platform_content),
// fits the platform's text limit, carries the media it requires and no more images than it
// takes. Each problem names the platform. accounts are the
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
		for _, problem := range s.optionProblems(p, pl) {
			add(problem.Field, "%s: %s", pl, problem.Message)
		}
		for _, part := range partsFor(p, pl) {
			image, video := part.media.has()
			if need := spec.Media; !need.Met(image, video) {
				add(part.mediaField, "%s: a post needs %s", pl, need)
			}
			// MaxImages 0: the platform publishes no images, and the part's images are
			// for the post's other platforms.
			if n := len(part.media.Images); spec.MaxImages > 0 && n > spec.MaxImages {
				add(part.mediaField+"/images", "%s: a post takes at most %d images, not %d", pl, spec.MaxImages, n)
			}
			switch {
			case video && !spec.Video:
				add(part.mediaField+"/video", "%s: Octopost does not publish videos to %s yet: leave the video out or publish to %s separately", pl, spec.Name, spec.Name)
			case video && image && !spec.VideoWithImages && spec.MaxImages > 0:
				add(part.mediaField, "%s: a post takes a video or images, not both", pl)
			}
			err := spec.Text(part.content, image || video, maxChars)
			var missing *textlimit.MissingMediaError
			if err != nil && !errors.As(err, &missing) {
				add(part.contentField, "%s", err.Error())
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
