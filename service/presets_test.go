package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
)

// racingDefaults is a store on which another request always wins the race to set the
// default preset: the one-default constraint refuses this request's write.
type racingDefaults struct{ service.Store }

func (s racingDefaults) InTx(ctx context.Context, fn func(service.Store) error) error {
	return s.Store.InTx(ctx, func(tx service.Store) error { return fn(racingDefaults{tx}) })
}

func (racingDefaults) ClearDefaultPreset(context.Context, service.Scope, time.Time) error { return nil }

func (s racingDefaults) CreatePreset(ctx context.Context, p service.Preset) error {
	if p.IsDefault {
		return service.ErrDuplicate
	}
	return s.Store.CreatePreset(ctx, p)
}

func (s racingDefaults) UpdatePreset(ctx context.Context, p service.Preset) error {
	if p.IsDefault {
		return service.ErrDuplicate
	}
	return s.Store.UpdatePreset(ctx, p)
}

func TestConcurrentDefaultPresetIsAConflict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	svc := service.New(racingDefaults{b.store}, b.clock, nil, service.Config{Platforms: platforms.All})
	conflict := func(err error) {
		t.Helper()
		var se *service.Error
		require.ErrorAs(t, err, &se)
		require.Equal(t, service.KindConflict, se.Kind)
		require.Contains(t, se.Message, "default preset")
	}
	_, err := svc.CreatePreset(b.ctx, b.live, service.PresetInput{Name: "a", Platforms: []service.Platform{"slack"}, IsDefault: true})
	conflict(err)

	p, err := svc.CreatePreset(b.ctx, b.live, service.PresetInput{Name: "b", Platforms: []service.Platform{"slack"}})
	require.NoError(t, err)
	_, err = svc.UpdatePreset(b.ctx, b.live, p.ID, service.PresetPatch{IsDefault: service.Some(true)})
	conflict(err)
}
