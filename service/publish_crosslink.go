package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// excerptLength is how many characters of the content {excerpt} keeps.
const excerptLength = 100

// crossLinkPreset returns p's preset when it cross-links p: cross-linking is on and its
// primary platform is one of p's platforms. A preset deleted since is no preset, so the
// post goes out without links; any other failure to read it is returned, so that the job
// fails and is retried rather than publishing without the link the preset asks for.
func (s *Service) crossLinkPreset(ctx context.Context, store Store, p Post) (Preset, bool, error) {
	if p.PresetID == nil {
		return Preset{}, false, nil
	}
	preset, err := s.getPreset(ctx, store, p.Scope, *p.PresetID)
	var se *Error
	switch {
	case errors.As(err, &se) && se.Kind == KindNotFound:
		return Preset{}, false, nil
	case err != nil:
		return Preset{}, false, fmt.Errorf("reading preset %s of post %s for cross-linking: %w", *p.PresetID, p.ID, err)
	case !preset.CrossLinkEnabled || preset.PrimaryPlatform == nil || !slices.Contains(p.Platforms, *preset.PrimaryPlatform):
		return Preset{}, false, nil
	}
	return preset, true, nil
}

// crossLinkPrimary returns the platform p's other platforms link to, if p cross-links.
func (s *Service) crossLinkPrimary(ctx context.Context, store Store, p Post) (Platform, bool, error) {
	preset, ok, err := s.crossLinkPreset(ctx, store, p)
	if !ok || err != nil {
		return "", false, err
	}
	return *preset.PrimaryPlatform, true, nil
}

// crossLink returns the text to append to p's content on pl: the preset's template,
// rendered with the primary platform's post (its link, and the text it was given: its
// platform_content, or the post's content). It is empty on the primary platform itself,
// when p does not cross-link, and when the primary platform failed or gave no URL: the
// others then go out without a link. An error reading the preset is returned (see
// crossLinkPreset).
func (s *Service) crossLink(ctx context.Context, store Store, p Post, pl Platform) (string, error) {
	preset, ok, err := s.crossLinkPreset(ctx, store, p)
	if !ok || err != nil || *preset.PrimaryPlatform == pl {
		return "", err
	}
	primary := p.PlatformResults[*preset.PrimaryPlatform]
	if !primary.Success || primary.PostURL == "" {
		return "", nil
	}
	name := string(*preset.PrimaryPlatform)
	if spec, ok := s.config.Platforms.Lookup(name); ok {
		name = spec.Name
	}
	return renderCrossLink(preset.CrossLinkTemplate, name, primary.PostURL, partsFor(p, *preset.PrimaryPlatform)[0].content), nil
}

// renderCrossLink fills in a template's variables: {platform} is the primary platform's
// name as people write it (its Spec's Name), {link} its post's URL, {title} the content's first line and {excerpt} the
// content's first excerptLength characters.
func renderCrossLink(template, name, link, content string) string {
	title, _, _ := strings.Cut(content, "\n")
	return strings.NewReplacer(
		"{platform}", name,
		"{link}", link,
		"{title}", strings.TrimSpace(title),
		"{excerpt}", excerpt(content),
	).Replace(template)
}

// excerpt shortens text to excerptLength characters, at a word boundary where there is
// one, with an ellipsis when it cut.
func excerpt(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= excerptLength {
		return text
	}
	cut := string([]rune(text)[:excerptLength])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}
