package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// newPreset returns a preset of the scope with only the required fields set.
func (b *testBundle) newPreset(sc service.Scope) service.Preset {
	return service.Preset{
		ID:        id.New(id.Preset),
		Scope:     sc,
		Name:      "Everything",
		Platforms: []service.Platform{"twitter", "bluesky"},
		CreatedAt: b.now,
		UpdatedAt: b.now,
	}
}

// fullPreset returns a default preset of the scope with every stored field set.
func (b *testBundle) fullPreset(sc service.Scope) service.Preset {
	p := b.newPreset(sc)
	p.Name = "Professional"
	p.Platforms = []service.Platform{"linkedin", "twitter"}
	p.PrimaryPlatform = new(service.Platform("linkedin"))
	p.CrossLinkEnabled = true
	p.CrossLinkTemplate = "Read more on {platform}: {link}"
	p.IsDefault = true
	p.UpdatedAt = b.now.Add(time.Minute)
	return p
}

func (b *testBundle) createPreset(t *testing.T, p service.Preset) service.Preset {
	t.Helper()
	require.NoError(t, b.store.CreatePreset(b.ctx, p))
	return p
}

func (b *testBundle) requirePreset(t *testing.T, want service.Preset) {
	t.Helper()
	got, err := b.store.GetPreset(b.ctx, want.Scope, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func (s *suite) presets(t *testing.T) {
	t.Run("RoundTripEveryField", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.fullPreset(b.scope)
		p.CreatedAt = b.now.In(zone)
		p.UpdatedAt = b.now.Add(time.Minute).In(zone)
		b.createPreset(t, p)

		want := p
		want.CreatedAt = b.now
		want.UpdatedAt = b.now.Add(time.Minute)
		b.requirePreset(t, want)
	})

	t.Run("RoundTripMinimal", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPreset(t, b.newPreset(b.testScope))
		b.requirePreset(t, p)
	})

	t.Run("OtherScopesDoNotSeeIt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPreset(t, b.newPreset(b.scope))
		for _, sc := range []service.Scope{b.testScope, b.other} {
			_, err := b.store.GetPreset(b.ctx, sc, p.ID)
			require.ErrorIs(t, err, service.ErrNotFound)

			changed := p
			changed.Scope = sc
			changed.Name = "hijacked"
			require.ErrorIs(t, b.store.UpdatePreset(b.ctx, changed), service.ErrNotFound)
			require.ErrorIs(t, b.store.DeletePreset(b.ctx, sc, p.ID), service.ErrNotFound)

			list, err := b.store.ListPresets(b.ctx, sc)
			require.NoError(t, err)
			require.Empty(t, list)
		}
		b.requirePreset(t, p)
	})

	t.Run("ListOldestFirst", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first := b.createPreset(t, b.fullPreset(b.scope))
		b.createPreset(t, b.newPreset(b.testScope))
		second := b.createPreset(t, b.newPreset(b.scope))
		b.createPreset(t, b.newPreset(b.other))
		third := b.createPreset(t, b.newPreset(b.scope))

		got, err := b.store.ListPresets(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, []service.Preset{first, second, third}, got)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPreset(t, b.newPreset(b.scope))
		updated := b.fullPreset(b.scope)
		updated.ID = p.ID
		updated.CreatedAt = b.now.Add(time.Hour) // ignored
		require.NoError(t, b.store.UpdatePreset(b.ctx, updated))

		want := updated
		want.CreatedAt = p.CreatedAt
		b.requirePreset(t, want)

		require.ErrorIs(t, b.store.UpdatePreset(b.ctx, b.newPreset(b.scope)), service.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		p := b.createPreset(t, b.newPreset(b.scope))
		require.NoError(t, b.store.DeletePreset(b.ctx, b.scope, p.ID))
		_, err := b.store.GetPreset(b.ctx, b.scope, p.ID)
		require.ErrorIs(t, err, service.ErrNotFound)
		require.ErrorIs(t, b.store.DeletePreset(b.ctx, b.scope, p.ID), service.ErrNotFound)
	})

	t.Run("OneDefaultPerUserAndMode", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first := b.createPreset(t, b.fullPreset(b.scope))

		second := b.fullPreset(b.scope)
		require.ErrorIs(t, b.store.CreatePreset(b.ctx, second), service.ErrDuplicate)

		second.IsDefault = false
		b.createPreset(t, second)
		second.IsDefault = true
		require.ErrorIs(t, b.store.UpdatePreset(b.ctx, second), service.ErrDuplicate)

		// Other modes and users have defaults of their own.
		b.createPreset(t, b.fullPreset(b.testScope))
		b.createPreset(t, b.fullPreset(b.other))

		b.requirePreset(t, first)
	})

	t.Run("ClearDefaultThenSetAnother", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first := b.createPreset(t, b.fullPreset(b.scope))
		second := b.newPreset(b.scope)
		b.createPreset(t, second)
		testDefault := b.createPreset(t, b.fullPreset(b.testScope))
		otherDefault := b.createPreset(t, b.fullPreset(b.other))

		at := b.now.Add(time.Hour)
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			if err := tx.ClearDefaultPreset(b.ctx, b.scope, at); err != nil {
				return err
			}
			second.IsDefault = true
			second.UpdatedAt = at
			return tx.UpdatePreset(b.ctx, second)
		})
		require.NoError(t, err)

		first.IsDefault = false
		first.UpdatedAt = at
		b.requirePreset(t, first)
		b.requirePreset(t, second)
		b.requirePreset(t, testDefault)
		b.requirePreset(t, otherDefault)

		// With no default in the scope it does nothing.
		require.NoError(t, b.store.ClearDefaultPreset(b.ctx, b.other, at))
		require.NoError(t, b.store.ClearDefaultPreset(b.ctx, b.other, at.Add(time.Hour)))
		otherDefault.IsDefault = false
		otherDefault.UpdatedAt = at
		b.requirePreset(t, otherDefault)
	})
}
