package api

import (
	"context"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

func (s *Server) ListPresets(ctx context.Context, _ oapi.ListPresetsRequestObject) (oapi.ListPresetsResponseObject, error) {
	presets, err := s.svc.ListPresets(ctx, scopeFrom(ctx))
	if err != nil {
		return nil, err
	}
	body := oapi.PresetList{Presets: make([]oapi.Preset, len(presets))}
	for i, p := range presets {
		body.Presets[i] = toPreset(p)
	}
	return oapi.ListPresets200JSONResponse{Body: body}, nil
}

func (s *Server) CreatePreset(ctx context.Context, req oapi.CreatePresetRequestObject) (oapi.CreatePresetResponseObject, error) {
	b := req.Body
	in := service.PresetInput{Name: b.Name, Platforms: fromPlatforms(b.Platforms), CrossLinkTemplate: b.CrossLinkTemplate}
	in.PrimaryPlatform, _ = optionalPlatform(b.PrimaryPlatform)
	if b.CrossLinkEnabled != nil {
		in.CrossLinkEnabled = *b.CrossLinkEnabled
	}
	if b.IsDefault != nil {
		in.IsDefault = *b.IsDefault
	}
	preset, err := s.svc.CreatePreset(ctx, scopeFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return oapi.CreatePreset201JSONResponse{Body: toPreset(preset)}, nil
}

func (s *Server) GetPreset(ctx context.Context, req oapi.GetPresetRequestObject) (oapi.GetPresetResponseObject, error) {
	preset, err := s.svc.GetPreset(ctx, scopeFrom(ctx), req.PresetId)
	if err != nil {
		return nil, err
	}
	return oapi.GetPreset200JSONResponse{Body: toPreset(preset)}, nil
}

func (s *Server) UpdatePreset(ctx context.Context, req oapi.UpdatePresetRequestObject) (oapi.UpdatePresetResponseObject, error) {
	b := req.Body
	var patch service.PresetPatch
	if b.Name != nil {
		patch.Name = service.Some(*b.Name)
	}
	if b.Platforms != nil {
		patch.Platforms = service.Some(fromPlatforms(*b.Platforms))
	}
	if primary, ok := optionalPlatform(b.PrimaryPlatform); ok {
		patch.PrimaryPlatform = service.Some(primary)
	}
	if b.CrossLinkEnabled != nil {
		patch.CrossLinkEnabled = service.Some(*b.CrossLinkEnabled)
	}
	if b.CrossLinkTemplate != nil {
		patch.CrossLinkTemplate = service.Some(*b.CrossLinkTemplate)
	}
	if b.IsDefault != nil {
		patch.IsDefault = service.Some(*b.IsDefault)
	}
	preset, err := s.svc.UpdatePreset(ctx, scopeFrom(ctx), req.PresetId, patch)
	if err != nil {
		return nil, err
	}
	return oapi.UpdatePreset200JSONResponse{Body: toPreset(preset)}, nil
}

func (s *Server) DeletePreset(ctx context.Context, req oapi.DeletePresetRequestObject) (oapi.DeletePresetResponseObject, error) {
	if err := s.svc.DeletePreset(ctx, scopeFrom(ctx), req.PresetId); err != nil {
		return nil, err
	}
	return oapi.DeletePreset204Response{}, nil
}
