package service

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/octopost/octopost/service/id"
)

// DefaultCrossLinkTemplate is appended to the other platforms' text when a preset turns
// cross-linking on without giving its own template.
const DefaultCrossLinkTemplate = "Also on {platform}: {link}"

// systemPresetsCreated is when the built-in presets came to be; they never change.
var systemPresetsCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func platformPtr(p Platform) *Platform { return &p }

// systemPresets are visible to every user in both modes and can be neither changed nor
// deleted. They live in code, not in the database, so an upgrade can add to them.
var systemPresets = []Preset{
	{
		ID: "preset_sys_all_platforms", Name: "All Platforms", Platforms: Platforms,
		CrossLinkTemplate: DefaultCrossLinkTemplate,
	},
	{
		ID: "preset_sys_professional", Name: "Professional",
		Platforms: []Platform{"linkedin", "twitter"}, PrimaryPlatform: platformPtr("linkedin"),
		CrossLinkEnabled: true, CrossLinkTemplate: "Read more on {platform}: {link}",
	},
}

func init() {
	for i := range systemPresets {
		systemPresets[i].IsSystem = true
		systemPresets[i].CreatedAt = systemPresetsCreated
		systemPresets[i].UpdatedAt = systemPresetsCreated
	}
}

func systemPreset(presetID string) (Preset, bool) {
	for _, p := range systemPresets {
		if p.ID == presetID {
			return p, true
		}
	}
	return Preset{}, false
}

// PresetInput is a new preset as the caller sent it.
type PresetInput struct {
	Name              string
	Platforms         []Platform
	PrimaryPlatform   *Platform
	CrossLinkEnabled  bool
	CrossLinkTemplate *string // nil means DefaultCrossLinkTemplate
	IsDefault         bool
}

// PresetPatch is a partial update of a preset: only the fields that are Set change.
type PresetPatch struct {
	Name              Optional[string]
	Platforms         Optional[[]Platform]
	PrimaryPlatform   Optional[*Platform]
	CrossLinkEnabled  Optional[bool]
	CrossLinkTemplate Optional[string]
	IsDefault         Optional[bool]
}

var templateVariable = regexp.MustCompile(`\{[^{}]*\}`)

var templateVariables = map[string]bool{"{platform}": true, "{link}": true, "{title}": true, "{excerpt}": true}

func checkPreset(problems *Problems, p Preset) {
	if p.PrimaryPlatform != nil && !slices.Contains(p.Platforms, *p.PrimaryPlatform) {
		problems.Add("/primary_platform", "must be one of platforms")
	}
	for _, v := range templateVariable.FindAllString(p.CrossLinkTemplate, -1) {
		if !templateVariables[v] {
			problems.Add("/cross_link_template", "unknown variable %s (use {platform}, {link}, {title} or {excerpt})", v)
		}
	}
}

// ListPresets returns the system presets, then the scope's own, oldest first.
func (s *Service) ListPresets(ctx context.Context, scope Scope) ([]Preset, error) {
	own, err := s.store.ListPresets(ctx, scope)
	if err != nil {
		return nil, err
	}
	return append(append([]Preset{}, systemPresets...), own...), nil
}

// GetPreset returns a system preset or one of the scope's own.
func (s *Service) GetPreset(ctx context.Context, scope Scope, presetID string) (Preset, error) {
	return s.getPreset(ctx, s.store, scope, presetID)
}

func (s *Service) getPreset(ctx context.Context, store Store, scope Scope, presetID string) (Preset, error) {
	if p, ok := systemPreset(presetID); ok {
		return p, nil
	}
	p, err := store.GetPreset(ctx, scope, presetID)
	if errors.Is(err, ErrNotFound) {
		return Preset{}, NotFound("Preset")
	}
	return p, err
}

// CreatePreset stores a new preset; with IsDefault it replaces the scope's default.
func (s *Service) CreatePreset(ctx context.Context, scope Scope, in PresetInput) (Preset, error) {
	now := s.clock.Now()
	p := Preset{
		ID: id.New(id.Preset), Scope: scope, Name: in.Name, Platforms: in.Platforms,
		PrimaryPlatform: in.PrimaryPlatform, CrossLinkEnabled: in.CrossLinkEnabled,
		CrossLinkTemplate: DefaultCrossLinkTemplate, IsDefault: in.IsDefault,
		CreatedAt: now, UpdatedAt: now,
	}
	if in.CrossLinkTemplate != nil {
		p.CrossLinkTemplate = *in.CrossLinkTemplate
	}
	var problems Problems
	checkPreset(&problems, p)
	if err := problems.Err(); err != nil {
		return Preset{}, err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if p.IsDefault {
			if err := tx.ClearDefaultPreset(ctx, scope, now); err != nil {
				return err
			}
		}
		return tx.CreatePreset(ctx, p)
	})
	if err != nil {
		return Preset{}, defaultRace(err)
	}
	return p, nil
}

// UpdatePreset applies patch to one of the scope's presets; system presets refuse.
func (s *Service) UpdatePreset(ctx context.Context, scope Scope, presetID string, patch PresetPatch) (Preset, error) {
	if _, ok := systemPreset(presetID); ok {
		return Preset{}, Forbidden("System presets cannot be modified")
	}
	var updated Preset
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := s.getPreset(ctx, tx, scope, presetID)
		if err != nil {
			return err
		}
		if patch.Name.Set {
			p.Name = patch.Name.Value
		}
		if patch.Platforms.Set {
			p.Platforms = patch.Platforms.Value
		}
		if patch.PrimaryPlatform.Set {
			p.PrimaryPlatform = patch.PrimaryPlatform.Value
		}
		if patch.CrossLinkEnabled.Set {
			p.CrossLinkEnabled = patch.CrossLinkEnabled.Value
		}
		if patch.CrossLinkTemplate.Set {
			p.CrossLinkTemplate = patch.CrossLinkTemplate.Value
		}
		var problems Problems
		checkPreset(&problems, p)
		if err := problems.Err(); err != nil {
			return err
		}
		now := s.clock.Now()
		if patch.IsDefault.Set && patch.IsDefault.Value != p.IsDefault {
			if patch.IsDefault.Value {
				if err := tx.ClearDefaultPreset(ctx, scope, now); err != nil {
					return err
				}
			}
			p.IsDefault = patch.IsDefault.Value
		}
		p.UpdatedAt = now
		if err := tx.UpdatePreset(ctx, p); err != nil {
			return err
		}
		updated = p
		return nil
	})
	return updated, defaultRace(err)
}

// defaultRace reports a concurrent change of the default preset: two requests that both
// made a preset the default at once meet the store's one-default constraint, and the
// loser is told to retry rather than shown an internal error.
func defaultRace(err error) error {
	if errors.Is(err, ErrDuplicate) {
		return Conflict("Another request changed the default preset at the same time; retry")
	}
	return err
}

// DeletePreset removes one of the scope's presets. The default cannot go until another
// preset takes its place, so a scope that has a default never silently loses it.
func (s *Service) DeletePreset(ctx context.Context, scope Scope, presetID string) error {
	if _, ok := systemPreset(presetID); ok {
		return Forbidden("System presets cannot be deleted")
	}
	return s.store.InTx(ctx, func(tx Store) error {
		p, err := s.getPreset(ctx, tx, scope, presetID)
		if err != nil {
			return err
		}
		if p.IsDefault {
			return Conflict("The default preset cannot be deleted; make another preset the default first")
		}
		return tx.DeletePreset(ctx, scope, presetID)
	})
}
